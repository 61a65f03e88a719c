//! Running the Zuul jobs' playbooks for real: a project checkout with a base commit and a change,
//! Zuul's variables as a vars file, and `ansible-playbook` on localhost with the test-only
//! `zuul_return` action plugin and `ensure-rust` role (`support/zuul/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

use super::{git, git_init, project_root, require_tool, tagman};

/// One entry; `TAG` is replaced.
const ENTRY: &str = "  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: TAG
";

pub fn manifest(tags: &[&str]) -> String {
    let mut text = String::from("images:\n");
    for tag in tags {
        text.push_str(&ENTRY.replace("TAG", tag));
    }
    text
}

/// A project repository with a base commit and the change on top; returns the change's sha.
pub fn project(dir: &Path, before: &str, after: &str, message: &str) -> String {
    project_with(dir, before, after, message, &[])
}

/// Where Zuul checks the project out, under `scratch`.
pub fn checkout(scratch: &Path) -> PathBuf {
    let src = scratch.join("src/opendev.org/starlingx/root");
    std::fs::create_dir_all(&src).unwrap();
    src
}

/// A change that adds a well-formed entry; returns its sha.
pub fn good_change(src: &Path, message: &str) -> String {
    project(
        src,
        &manifest(&["stx.4.0-v2.2"]),
        &manifest(&["stx.4.0-v2.2", "stx.4.0-v2.3"]),
        message,
    )
}

/// Like [`project`], with more files in the base commit that the change leaves alone.
pub fn project_with(
    dir: &Path,
    before: &str,
    after: &str,
    message: &str,
    untouched: &[(&str, &str)],
) -> String {
    git_init(dir);
    for (path, text) in untouched {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(dir.join("build-tools")).unwrap();
    std::fs::write(dir.join("build-tools/image-tags.yaml"), before).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "Start\n\nStory: 2011001"]);
    std::fs::write(dir.join("build-tools/image-tags.yaml"), after).unwrap();
    git(dir, &["commit", "-q", "-a", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Zuul's variables for a change to `src_dir`, as a vars file.
pub fn zuul_vars(dir: &Path, src_dir: &Path, commit_id: &str, message: Value) -> PathBuf {
    let mut zuul = json!({
        "project": {
            "name": "opendev.org/starlingx/root",
            "short_name": "root",
            "canonical_name": "opendev.org/starlingx/root",
            "src_dir": src_dir,
        },
        "projects": {
            "opendev.org/starlingx/root": {
                "name": "opendev.org/starlingx/root",
                "short_name": "root",
                "src_dir": src_dir,
            }
        },
        "branch": "master",
        "pipeline": "check",
        "job": "tagman-lint",
        "change": "123456",
        "patchset": "1",
        "commit_id": commit_id,
        "executor": { "work_root": dir, "log_root": dir.join("logs") },
    });
    zuul.as_object_mut()
        .unwrap()
        .extend(message.as_object().unwrap().clone());
    // JSON is YAML: ansible-playbook reads it with `-e @file`.
    let path = dir.join("zuul-vars.yaml");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&json!({ "zuul": zuul })).unwrap(),
    )
    .unwrap();
    path
}

/// ansible-playbook on this machine, with the fake zuul_return writing to `returned`.
pub fn playbook(
    scratch: &Path,
    name: &str,
    vars: &Path,
    returned: &Path,
    extra: &[String],
) -> Output {
    playbook_command(scratch, name, vars, returned, extra)
        .arg("-e")
        .arg(format!("tagman_executable={}", tagman().display()))
        .output()
        .unwrap()
}

/// ansible-playbook with everything but the tagman to use.
pub fn playbook_command(
    scratch: &Path,
    name: &str,
    vars: &Path,
    returned: &Path,
    extra: &[String],
) -> Command {
    let ansible = require_tool("ansible-playbook");
    let stand_ins = project_root().join("crates/cli/tests/support/zuul");
    let home = scratch.join("ansible-home");
    std::fs::create_dir_all(&home).unwrap();
    // Modules run with the Python ansible-core is installed in (its venv); interpreter discovery
    // may find a shim that does not work.
    let python = ansible.with_file_name("python3");
    let mut cmd = Command::new(&ansible);
    cmd.current_dir(scratch)
        .args(["-i", "localhost,", "-c", "local"])
        .arg(project_root().join("playbooks/tagman").join(name))
        .arg("-e")
        .arg(format!("@{}", vars.display()))
        .arg("-e")
        .arg(format!("ansible_python_interpreter={}", python.display()))
        // Whatever the jobs install stays in the scratch directory (a test may say otherwise).
        .arg("-e")
        .arg(format!(
            "tagman_venv={}",
            scratch.join("tagman-venv").display()
        ))
        .arg("-e")
        .arg(format!(
            "tagman_install_root={}",
            scratch.join("local").display()
        ))
        .args(extra)
        .env("ANSIBLE_ACTION_PLUGINS", stand_ins.join("action_plugins"))
        .env("ANSIBLE_ROLES_PATH", stand_ins.join("roles"))
        .env("ANSIBLE_HOME", &home)
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_REMOTE_TEMP", home.join("remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_CONFIG", scratch.join("no-ansible.cfg"))
        .env("TAGMAN_ZUUL_RETURN_FILE", returned)
        // The jobs try `pip install starlingx-tagman==…` before building from source: offline, and only
        // from a wheelhouse a test names (PIP_FIND_LINKS).
        .env("PIP_NO_INDEX", "1")
        .env_remove("PIP_FIND_LINKS")
        .env_remove("TAGMAN_CONFIG");
    cmd
}

/// What the jobs handed to zuul_return (the stand-in writes it to a file).
pub fn returned(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("zuul_return was not called ({}): {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}
