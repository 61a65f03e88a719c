# Test-only stand-in for Zuul's `zuul_return` action: merges the data it is given into the JSON
# file named by TAGMAN_ZUUL_RETURN_FILE, after checking `zuul.file_comments` the way Zuul does
# (zuul/lib/filecomments.py: a voluptuous schema, extra keys refused) plus what Gerrit refuses
# (lines below 1, a range whose end line is not the comment's line). Zuul drops every comment
# when one is malformed, so a malformed one fails the task here.
from __future__ import annotations

import json
import os

from ansible.plugins.action import ActionBase

RANGE_KEYS = ("start_line", "start_character", "end_line", "end_character")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def file_comment_errors(file_comments):
    if not isinstance(file_comments, dict):
        return ["file_comments is not a mapping"]
    errors = []
    for path, comments in file_comments.items():
        if not isinstance(path, str) or not path:
            errors.append(f"path {path!r} is not a string")
        if path.startswith("./") or (path.startswith("/") and path != "/COMMIT_MSG"):
            errors.append(f"path {path!r} is not relative to the project root")
        if not isinstance(comments, list):
            errors.append(f"{path}: comments are not a list")
            continue
        for c in comments:
            where = f"{path}: {c!r}"
            if not isinstance(c, dict):
                errors.append(f"{where}: not a mapping")
                continue
            extra = set(c) - {"line", "message", "range"}
            if extra:
                errors.append(f"{where}: extra keys {sorted(extra)}")
            if "line" in c and not (_is_int(c["line"]) and c["line"] >= 1):
                errors.append(f"{where}: line is not an integer >= 1")
            if "message" in c and not isinstance(c["message"], str):
                errors.append(f"{where}: message is not a string")
            if "range" in c:
                r = c["range"]
                if not isinstance(r, dict) or set(r) - set(RANGE_KEYS):
                    errors.append(f"{where}: range has unknown keys")
                    continue
                if not all(_is_int(r.get(k)) for k in RANGE_KEYS):
                    errors.append(f"{where}: range values are not integers")
                    continue
                if r["end_line"] != c.get("line"):
                    errors.append(f"{where}: range end_line is not the comment's line")
                if (r["start_line"], r["start_character"]) > (r["end_line"], r["end_character"]):
                    errors.append(f"{where}: range ends before it starts")
    return errors


def merge(old, new):
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            merge(old[key], value)
        else:
            old[key] = value
    return old


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        data = self._task.args.get("data") or {}
        if not isinstance(data, dict):
            return dict(result, failed=True, msg="zuul_return data is not a mapping")
        errors = file_comment_errors(data.get("zuul", {}).get("file_comments", {}))
        if errors:
            return dict(result, failed=True, msg="Zuul would drop the file comments: " + "; ".join(errors))
        path = os.environ["TAGMAN_ZUUL_RETURN_FILE"]
        old = {}
        if os.path.exists(path):
            with open(path) as f:
                old = json.load(f)
        with open(path, "w") as f:
            json.dump(merge(old, data), f, indent=2, sort_keys=True)
        return dict(result, changed=False)
