//! The `tagman-follow-up` Zuul job (issue 22) run by ansible-playbook with Zuul's variables, in
//! the promote pipeline after a change to the manifests merged: each required project with a
//! reference to an image the change declared gets one commit, pushed to a local bare repository
//! standing in for Gerrit's receive (`support/gerrit/pre-receive`, which says what it does not
//! check) at `refs/for/master%topic=<the change's topic>`; a project without references gets no
//! push; the secret's password shows in no output. The stand-in is first shown to refuse what
//! Gerrit refuses (a push to a branch, a commit without a Change-Id).

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::zuul::playbook;
use crate::support::{describe, git, git_init, git_output, project_root, require_tool};

// PASSWORD: the text bind_secrets.py gives every `!encrypted` value.
use crate::zuul_jobs::{bind, layout_dir, PASSWORD};

/// The YAML block of the README's "After the promote: the follow-up review" section.
fn readme_layout() -> String {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let section = &readme[readme
        .find("## After the promote: the follow-up review")
        .unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_owned()
}

/// The README's layout, checked by zuulcilint beside `.zuul.yaml`, bound as Zuul binds it:
/// the secret reaches tagman-follow-up's playbook only through `pass-to-parent`.
fn bound_secret(scratch: &Path) -> serde_json::Value {
    let text = readme_layout();
    let layout = layout_dir(&scratch.join("layout"), &text);
    let lint = std::process::Command::new(require_tool("zuulcilint"))
        .args(["--check-playbook-paths", "zuul.yaml"])
        .current_dir(scratch.join("layout"))
        .output()
        .unwrap();
    assert!(lint.status.success(), "{}", describe(&lint));
    let without = layout_dir(
        &scratch.join("without"),
        &text.replace("pass-to-parent: true", "pass-to-parent: false"),
    );
    assert_eq!(bind(&without, "starlingx-tagman-follow-up").2, json!({}));
    let (book, _, secrets) = bind(&layout, "starlingx-tagman-follow-up");
    assert_eq!(book, "playbooks/tagman/follow-up.yaml");
    secrets["tagman_gerrit"].clone()
}

fn entry(name: &str, tag: &str) -> String {
    format!(
        "  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-20260101T000000Z.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
    )
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// A "Gerrit" bare repository for `project` under `gerrit`, its master holding `files`, with
/// the stand-in receive hook; returns the Zuul checkout of it under `src`.
fn gerrit_project(gerrit: &Path, src: &Path, project: &str, files: &[(&str, &str)]) -> PathBuf {
    let seed = src
        .parent()
        .unwrap()
        .join(format!("seed-{}", project.replace('/', "-")));
    std::fs::create_dir_all(&seed).unwrap();
    git_init(&seed);
    for (path, text) in files {
        write(&seed, path, text);
    }
    git(&seed, &["add", "-A"]);
    git(
        &seed,
        &[
            "commit",
            "-q",
            "-m",
            "Import\n\nChange-Id: I0000000000000000000000000000000000000001",
        ],
    );
    let bare = gerrit.join(project);
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "master"]);
    git(&seed, &["push", "-q", bare.to_str().unwrap(), "master"]);
    let hook = bare.join("hooks/pre-receive");
    std::fs::copy(
        project_root().join("crates/cli/tests/support/gerrit/pre-receive"),
        &hook,
    )
    .unwrap();
    let checkout = src.join("opendev.org").join(project);
    std::fs::create_dir_all(checkout.parent().unwrap()).unwrap();
    git(
        src,
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            checkout.to_str().unwrap(),
        ],
    );
    checkout
}

/// The stand-in refuses a push to a branch and a commit without a Change-Id, as Gerrit does.
fn stand_in_refuses_what_gerrit_refuses(gerrit: &Path, checkout: &Path) {
    let url = gerrit.join("starlingx/app");
    let url = url.to_str().unwrap();
    write(checkout, "notes.txt", "x\n");
    git(checkout, &["add", "notes.txt"]);
    git(checkout, &["commit", "-q", "-m", "No id"]);
    let pushed = git_output(checkout, &["push", url, "HEAD:refs/heads/master"]);
    assert!(!pushed.status.success());
    assert!(
        String::from_utf8_lossy(&pushed.stderr).contains("prohibited by Gerrit"),
        "{}",
        describe(&pushed)
    );
    let pushed = git_output(checkout, &["push", url, "HEAD:refs/for/master"]);
    assert!(
        String::from_utf8_lossy(&pushed.stderr).contains("missing Change-Id in message footer"),
        "{}",
        describe(&pushed)
    );
    let pushed = git_output(checkout, &["push", url, "HEAD~1:refs/for/master"]);
    assert!(
        String::from_utf8_lossy(&pushed.stderr).contains("no new changes"),
        "{}",
        describe(&pushed)
    );
    git(checkout, &["reset", "-q", "--hard", "HEAD~1"]);
}

#[test]
fn the_follow_up_job_proposes_one_commit_per_project_with_the_changes_topic() {
    let scratch = tempfile::tempdir().unwrap();
    let s = scratch.path();
    let gerrit = s.join("gerrit");
    let src = s.join("src");
    std::fs::create_dir_all(&src).unwrap();
    // The manifests' project: the change replaces a's tag and adds c, which nothing references.
    let root = src.join("opendev.org/starlingx/root");
    std::fs::create_dir_all(&root).unwrap();
    git_init(&root);
    let manifest = "build-tools/image-tags.yaml";
    write(
        &root,
        manifest,
        &format!(
            "images:\n{}{}",
            entry("a", "stx.12.0-v1"),
            entry("b", "stx.12.0-v2")
        ),
    );
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "Start\n\nStory: 2011001"]);
    write(
        &root,
        manifest,
        &format!(
            "images:\n{}{}{}",
            entry("a", "stx.13.0-v1"),
            entry("b", "stx.12.0-v2"),
            entry("c", "stx.13.0-v3")
        ),
    );
    git(
        &root,
        &[
            "commit",
            "-q",
            "-a",
            "-m",
            "Update a to stx.13.0-v1, add c\n\nPartial-Bug: 2000002\nStory: 2011771",
        ],
    );
    let commit_id = git(&root, &["rev-parse", "HEAD"]);
    let app = gerrit_project(
        &gerrit,
        &src,
        "starlingx/app",
        &[
            (
                "chart/values.yaml",
                "image:\n  repository: docker.io/starlingx/a\n  tag: stx.12.0-v1\n",
            ),
            (
                "deploy/pod.yaml",
                "image: docker.io/starlingx/b:stx.12.0-v2\n",
            ),
        ],
    );
    let other = gerrit_project(
        &gerrit,
        &src,
        "starlingx/other",
        &[("README", "no images\n")],
    );
    stand_in_refuses_what_gerrit_refuses(&gerrit, &app);
    // The README's secret as Zuul binds it, its url pointed at the stand-in.
    let mut secret = bound_secret(s);
    assert_eq!(secret["password"], PASSWORD);
    secret["url"] = json!(format!("file://{}", gerrit.display()));
    let project = |name: &str, dir: &Path| {
        json!({
            "name": name, "short_name": name.rsplit('/').next().unwrap(),
            "canonical_name": format!("opendev.org/{name}"), "src_dir": dir, "checkout": "master",
        })
    };
    let vars = json!({
        "zuul": {
            "project": project("starlingx/root", &root),
            "projects": {
                "opendev.org/starlingx/root": project("starlingx/root", &root),
                "opendev.org/starlingx/app": project("starlingx/app", &app),
                "opendev.org/starlingx/other": project("starlingx/other", &other),
                "opendev.org/starlingx/tagman": project("starlingx/tagman", &s.join("no-tagman-src")),
            },
            "branch": "master", "pipeline": "promote", "job": "starlingx-tagman-follow-up",
            "change": "987654", "patchset": "2", "topic": "stx-13-a", "commit_id": commit_id,
        },
        "tagman_gerrit": secret,
    });
    let vars_file = s.join("vars.json");
    std::fs::write(&vars_file, serde_json::to_vec_pretty(&vars).unwrap()).unwrap();
    let out = playbook(
        s,
        "follow-up.yaml",
        &vars_file,
        &s.join("returned.json"),
        &["-v".to_owned()],
    );
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains(PASSWORD), "the password leaked:\n{text}");
    // One push, to app, with the topic; none to other.
    let received = std::fs::read_to_string(gerrit.join("starlingx/app/received.log")).unwrap();
    let lines: Vec<&str> = received.lines().collect();
    assert_eq!(lines.len(), 1, "{received}");
    assert!(
        lines[0].starts_with("master ") && lines[0].ends_with(" topic=stx-13-a changes=1"),
        "{received}"
    );
    assert!(!gerrit.join("starlingx/other/received.log").exists());
    let pushed = git(
        &gerrit.join("starlingx/app"),
        &["rev-parse", "refs/for/master%topic=stx-13-a"],
    );
    assert_eq!(lines[0].split(' ').nth(1), Some(pushed.as_str()));
    let message = git(
        &gerrit.join("starlingx/app"),
        &["log", "-1", "--format=%an <%ae>%n%B", &pushed],
    );
    assert!(
        message.starts_with(
            "StarlingX tagman bot <tagman-bot@starlingx.invalid>\nMove a to stx.13.0-v1\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("\n\nCloses-Bug: 2000002\nStory: 2011771\nChange-Id: I"),
        "{message}"
    );
    let files = git(
        &gerrit.join("starlingx/app"),
        &["show", "--name-only", "--format=", &pushed],
    );
    assert_eq!(files, "chart/values.yaml");
    // The credentials' directory (its path in the -v log of the tempfile task) is gone.
    let at = text
        .find(".tagman-gerrit\"")
        .expect("the tempfile task's path in the log");
    let start = text[..at].rfind('"').unwrap() + 1;
    let dir = PathBuf::from(&text[start..at + ".tagman-gerrit".len()]);
    assert!(dir.is_absolute() && !dir.exists(), "{}", dir.display());
}
