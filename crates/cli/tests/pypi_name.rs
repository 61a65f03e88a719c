//! Issue 18: PyPI's `tagman` is an unrelated 2012 Django app, so the wheel is published as
//! `starlingx-tagman`, and `scripts/release` refuses a name whose PyPI project is not ours
//! (`scripts/pypi-name-check`), asked of a loopback stand-in for PyPI's JSON API
//! (`support/pypi_stand_in.py`, which says what still differs from PyPI).

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::json;
use support::{describe, project_root, venv_python};

const OURS: &str = "https://opendev.org/starlingx/tagman";

/// The stand-in index serving `projects`; killed when dropped.
struct Index {
    child: Child,
    url: String,
}

impl Index {
    fn start(dir: &Path, projects: serde_json::Value, fail: bool) -> Self {
        let file = dir.join("projects.json");
        std::fs::write(&file, projects.to_string()).unwrap();
        let mut cmd = Command::new(venv_python());
        cmd.arg(project_root().join("crates/cli/tests/support/pypi_stand_in.py"))
            .arg(&file)
            .stdout(Stdio::piped());
        if fail {
            cmd.arg("--fail");
        }
        let mut child = cmd.spawn().unwrap();
        // The stand-in prints its port once it listens.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = format!("http://127.0.0.1:{}", line.trim());
        Self { child, url }
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn project(name: &str, summary: &str, urls: serde_json::Value) -> serde_json::Value {
    json!({
        "info": { "name": name, "summary": summary, "home_page": "", "project_urls": urls },
        "releases": { "0.1.9": [], "0.1.10": [], "0.1.11": [] },
    })
}

fn check(index: &Index) -> Output {
    Command::new(venv_python())
        .arg(project_root().join("scripts/pypi-name-check"))
        .args(["--pypi-url", &index.url])
        .current_dir(project_root())
        .output()
        .unwrap()
}

/// The name in pyproject.toml, and the default pip spec of the jobs, name the same project.
#[test]
fn the_distribution_is_starlingx_tagman_everywhere() {
    let root = project_root();
    let pyproject = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("\nname = \"starlingx-tagman\"\n"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("pip install starlingx-tagman"));
    assert!(
        !readme.contains("pip install tagman "),
        "README still says pip install tagman"
    );
    for file in [
        "playbooks/tagman/install.yaml",
        ".zuul.yaml",
        "packaging/pre-commit-mirror/.pre-commit-hooks.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(text.contains("starlingx-tagman=="), "{file}");
        assert!(
            !text.contains("\"tagman=="),
            "{file} pins PyPI's unrelated tagman"
        );
        assert!(
            !text.contains("'tagman=="),
            "{file} pins PyPI's unrelated tagman"
        );
        assert!(
            !text.contains(" tagman=="),
            "{file} pins PyPI's unrelated tagman"
        );
    }
}

#[test]
fn release_refuses_a_pypi_name_that_is_not_ours() {
    let dir = tempfile::tempdir().unwrap();

    // Free: the first upload makes it ours.
    let index = Index::start(
        dir.path(),
        json!([project(
            "tagman",
            "Curated tagging app for Django",
            json!({})
        )]),
        false,
    );
    let out = check(&index);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(describe(&out).contains("`starlingx-tagman` is free"));
    drop(index);

    // Taken under another spelling PyPI takes as the same name, by someone else.
    let index = Index::start(
        dir.path(),
        json!([project(
            "StarlingX_Tagman",
            "Something else",
            json!({"Homepage": "https://example.invalid/other"})
        )]),
        false,
    );
    let out = check(&index);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("refusing to release as `starlingx-tagman`"),
        "{text}"
    );
    assert!(text.contains("the project `StarlingX_Tagman`"), "{text}");
    // scripts/release stops there, before building anything.
    let out = Command::new(project_root().join("scripts/release"))
        .args(["--no-publish-check", "--pypi-url", &index.url])
        .arg("--out")
        .arg(dir.path().join("dist"))
        .output()
        .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("refusing to release"), "{text}");
    assert!(!text.contains("==> the wheel"), "{text}");
    drop(index);

    // Ours: its project URLs hold our repository (a trailing slash or .git is the same URL).
    let index = Index::start(
        dir.path(),
        json!([project(
            "starlingx-tagman",
            "Keeps the container images a release references pinned",
            json!({"Repository": format!("{OURS}.git")})
        )]),
        false,
    );
    let out = check(&index);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(describe(&out).contains("is ours"));
    drop(index);

    // An index that cannot be asked is no answer: refused.
    let index = Index::start(dir.path(), json!([]), true);
    let out = check(&index);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(describe(&out).contains("cannot ask"));
}
