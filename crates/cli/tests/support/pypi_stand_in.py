"""A stand-in for PyPI's JSON API on loopback, for scripts/pypi-name-check's tests.

Built from how pypi.org answers: `GET /pypi/<name>/json` finds a project by its PEP 503
normalised name (case, and runs of `-`, `_`, `.` are one), so `starlingx_tagman` and
`StarlingX.Tagman` are the same project; a request not spelled as the project's own name is
redirected (301) to the URL with its name; an unknown project is 404 with a JSON body
`{"message": "Not Found"}`. The answer has `info` (name, summary, home_page, project_urls)
and `releases`.

What still differs from PyPI: no simple API, no files, no ETag/caching headers, no rate limits,
and no `urls`/`vulnerabilities`; `--fail` answers every request with 503, as a PyPI outage does.

Usage: python3 pypi_stand_in.py PROJECTS.json [--fail]; prints the port, then serves until killed.
"""

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


PROJECTS = {}
FAIL = "--fail" in sys.argv


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if FAIL:
            return self.send(503, {"message": "Service Unavailable"})
        match = re.fullmatch(r"/pypi/([^/]+)/json/?", self.path)
        if not match:
            return self.send(404, {"message": "Not Found"})
        asked = match.group(1)
        project = PROJECTS.get(normalise(asked))
        if project is None:
            return self.send(404, {"message": "Not Found"})
        if asked != project["info"]["name"]:
            return self.send(301, {}, [("Location", f"/pypi/{project['info']['name']}/json")])
        self.send(200, project)


def main():
    with open(sys.argv[1]) as f:
        for project in json.load(f):
            PROJECTS[normalise(project["info"]["name"])] = project
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
