"""The PEP 517 backend of the tagman pre-commit mirror: builds the empty `tagman-pre-commit` wheel.

pre-commit installs a `language: python` hook repository with `pip install .`, which needs a build
backend; a backend fetched from an index (setuptools) would make an offline install with only a
wheelhouse fail. This one needs nothing but the standard library. The real work is the tagman
wheel the hooks name in `additional_dependencies`.
"""

import base64
import hashlib
import os
import re
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11: read the two keys this backend needs by hand.
    tomllib = None

_HERE = os.path.dirname(os.path.abspath(__file__))


def _project():
    with open(os.path.join(_HERE, "pyproject.toml"), "rb") as f:
        data = f.read()
    if tomllib is not None:
        return tomllib.loads(data.decode("utf-8"))["project"]
    text = data.decode("utf-8")
    section = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return {
        key: value
        for key, value in re.findall(r'^(\w[\w-]*)\s*=\s*"([^"]*)"', section, re.M)
    }


def _names():
    project = _project()
    name, version = project["name"], project["version"]
    # The file-name form of a distribution name (PEP 427 / PEP 503 normalised).
    return project, re.sub(r"[-_.]+", "_", name).lower(), version


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"License: {project.get('license', '')}",
        f"Requires-Python: {project.get('requires-python', '')}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project, dist, version = _names()
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{info}/METADATA": _metadata(project),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tagman_mirror_build\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ).encode("utf-8"),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    name = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    import tarfile

    _, dist, version = _names()
    base = f"{dist}-{version}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as sdist:
        for entry in ("pyproject.toml", "tagman_mirror_build.py", ".pre-commit-hooks.yaml"):
            sdist.add(os.path.join(_HERE, entry), arcname=f"{base}/{entry}")
    return name
