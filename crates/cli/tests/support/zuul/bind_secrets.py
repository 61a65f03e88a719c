"""Test-only stand-in for how Zuul hands a job's variables and secrets to a playbook.

Reads a Zuul layout (YAML files of `job`, `secret` and `project` items), walks the job's
inheritance from the named job up to the parent that defines `run`, and prints, as JSON, the
playbook that runs and the variables it sees:
  - `vars`: the job variables, merged from the top parent down to the job (a child overrides);
  - `secrets`: what Zuul binds to that playbook. A secret is given to the playbooks of the job
    that attaches it, and to its parents' playbooks only with `pass-to-parent: true` (Zuul's
    docs, "Secrets"; zuul/model.py). An `!encrypted/...` value becomes the `--secret` text.

Usage: bind_secrets.py --job NAME --secret TEXT LAYOUT.yaml...
"""

import argparse
import json

import yaml


def loader(secret):
    class Loader(yaml.SafeLoader):
        pass

    def encrypted(_loader, _suffix, _node):
        return secret

    Loader.add_multi_constructor("!encrypted/", encrypted)
    return Loader


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--job", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("layouts", nargs="+")
    args = parser.parse_args()
    jobs, secrets = {}, {}
    for path in args.layouts:
        with open(path) as f:
            for item in yaml.load(f, Loader=loader(args.secret)) or []:
                if "job" in item:
                    jobs[item["job"]["name"]] = item["job"]
                elif "secret" in item:
                    secrets[item["secret"]["name"]] = item["secret"]["data"]
    chain = []
    name = args.job
    while name:
        job = jobs[name]
        chain.append(job)
        name = job.get("parent")
    # The playbook is the run of the nearest job (from the named one up) that has one.
    owner = next(i for i, job in enumerate(chain) if "run" in job)
    variables = {}
    for job in reversed(chain):
        variables.update(job.get("vars", {}))
    bound = {}
    for depth, job in enumerate(chain):
        for attached in job.get("secrets", []):
            if isinstance(attached, str):
                attached = {"name": attached, "secret": attached}
            visible = depth == owner or (depth < owner and attached.get("pass-to-parent", False))
            if visible:
                bound[attached["name"]] = secrets[attached.get("secret", attached["name"])]
    print(json.dumps({"playbook": chain[owner]["run"], "vars": variables, "secrets": bound}))


if __name__ == "__main__":
    main()
