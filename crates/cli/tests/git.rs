//! End-to-end tests of the git-aware commands on real repositories built with git2:
//! `commit-msg`, `lint --commit/--base/--commit-msg-file`, `diff`, `suggest`, `add`.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use git2::{Repository, Signature, Time};

use crate::support::json;

use crate::support::describe;

const POLICY: &str = "manifests: [\"**/image-tags*.yaml\"]\n";

fn entry(name: &str, build: &str, tag: &str) -> String {
    format!(
        "  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-{build}.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
    )
}

fn manifest(entries: &[String]) -> String {
    format!(
        "# yamllint disable rule:line-length\n---\nimages:\n{}",
        entries.concat()
    )
}

fn a() -> String {
    entry("rvmc", "20241110T070002Z", "stx.10.0-v1.0.1")
}

fn b() -> String {
    entry("stx-snmp", "20241110T070002Z", "stx.10.0-v1.0.2")
}

struct Repo {
    dir: tempfile::TempDir,
    git: Repository,
}

impl Repo {
    /// A repository whose first commit holds `files`.
    fn new(files: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let git = Repository::init(dir.path()).unwrap();
        std::fs::write(dir.path().join("tagman.yaml"), POLICY).unwrap();
        let repo = Self { dir, git };
        repo.commit(files, "Add images\n\nStory: 2011100\n");
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, path: &str, text: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn stage(&self, files: &[(&str, String)]) {
        let mut index = self.git.index().unwrap();
        for (path, text) in files {
            self.write(path, text);
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
    }

    fn remove(&self, path: &str) {
        std::fs::remove_file(self.path().join(path)).unwrap();
        let mut index = self.git.index().unwrap();
        index.remove_path(Path::new(path)).unwrap();
        index.write().unwrap();
    }

    fn commit(&self, files: &[(&str, String)], message: &str) {
        self.stage(files);
        let mut index = self.git.index().unwrap();
        let tree = self.git.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::new("Dev", "dev@example.org", &Time::new(1_732_700_000, 0)).unwrap();
        let parent = self.git.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<_> = parent.iter().collect();
        self.git
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap();
    }

    fn tagman(&self) -> Command {
        crate::support::tagman_in(self.path())
    }
}

fn codes(out: &Output) -> Vec<String> {
    json(out)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

fn commit_msg(repo: &Repo, message: &str) -> Output {
    repo.write("COMMIT_EDITMSG", message);
    repo.tagman()
        .args(["commit-msg", "COMMIT_EDITMSG", "--format", "json"])
        .output()
        .unwrap()
}

#[test]
fn commit_msg_requires_a_reference_when_staged_entries_are_added() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a()]))]);
    repo.stage(&[("image-tags.yaml", manifest(&[a(), b()]))]);
    let out = commit_msg(
        &repo,
        "Add snmp\n\n# Closes-Bug: 2084021\n# Please enter the commit message\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out), ["TM101", "TM104"]);
    let out = commit_msg(&repo, "Add snmp\n\nCloses-Bug: 2084021\n# ------------------------ >8 ------------------------\nStory: x\n");
    assert_eq!(out.status.code(), Some(0), "{:?}", codes(&out));
    assert!(codes(&out).is_empty());
}

#[test]
fn commit_msg_needs_no_reference_to_move_or_remove_entries() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a(), b()]))]);
    // b moves to a new file unchanged, a is removed, the old file goes.
    repo.remove("image-tags.yaml");
    repo.stage(&[("sub/image-tags-snmp.yaml", manifest(&[b()]))]);
    let out = commit_msg(&repo, "Move snmp to its own file\n");
    assert_eq!(out.status.code(), Some(0), "{:?}", codes(&out));
    // A malformed reference is reported even so.
    let out = commit_msg(&repo, "Move snmp\n\nStory: LP#1\n");
    assert_eq!(
        (out.status.code(), codes(&out)),
        (Some(1), vec!["TM103".to_owned()])
    );
}

#[test]
fn commit_msg_outside_a_repository_requires_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tagman.yaml"), POLICY).unwrap();
    std::fs::write(dir.path().join("msg"), "Update tags\n").unwrap();
    let out = Command::cargo_bin("tagman")
        .unwrap()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["commit-msg", "msg", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let d = &json(&out)["diagnostics"][0];
    assert_eq!(d["code"], "TM101");
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("not inside a git repository"));
}

#[test]
fn lint_commit_fails_a_repointed_tag_and_reads_the_revision_not_the_tree() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a()]))]);
    let repointed = entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1");
    repo.commit(
        &[("image-tags.yaml", manifest(&[repointed]))],
        "Rebuild rvmc\n\nCloses-Bug: 2084021\n",
    );
    // The working tree is broken; --commit must not look at it.
    repo.write("image-tags.yaml", "images: [\n");
    let out = repo
        .tagman()
        .args(["lint", "--commit", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out), ["TM106"]);
    let d = &json(&out)["diagnostics"][0];
    // Machine formats name the file by its repository path, so annotations attach to it.
    assert_eq!(
        (d["file"].as_str(), d["line"].as_i64()),
        (Some("image-tags.yaml"), Some(5))
    );
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("was published from master-debian-stable-20241110T070002Z.0"));
    // The root commit adds entries and carries a story: clean.
    let out = repo
        .tagman()
        .args(["lint", "--commit", "HEAD~1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", codes(&out));
}

#[test]
fn lint_base_checks_the_working_tree_and_a_message_from_stdin() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a(), b()]))]);
    let repointed = entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1");
    repo.write("image-tags.yaml", &manifest(&[repointed, b()]));
    let out = repo
        .tagman()
        .args(["lint", "--base", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), codes(&out)),
        (Some(1), vec!["TM106".to_owned()])
    );

    let bumped = entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.2");
    repo.write("image-tags.yaml", &manifest(&[bumped, b()]));
    let lint = |message: &str| {
        repo.tagman()
            .args([
                "lint",
                "--base",
                "HEAD",
                "--commit-msg-file",
                "-",
                "--format",
                "json",
            ])
            .write_stdin(message)
            .output()
            .unwrap()
    };
    let out = lint("Bump rvmc\n");
    assert_eq!(
        (out.status.code(), codes(&out)),
        (Some(1), vec!["TM101".to_owned()])
    );
    let out = lint("Bump rvmc\n\nTask: 51000\n");
    assert_eq!(out.status.code(), Some(0), "{:?}", codes(&out));
}

#[test]
fn diff_lists_added_changed_removed_and_moved_entries() {
    let c = entry("n3000-opae", "20241110T070002Z", "stx.10.0-v1.0.0");
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a(), b(), c.clone()]))]);
    let repointed = entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1");
    let d = entry("vault-manager", "20241110T070002Z", "stx.10.0-v1.0.0");
    repo.write("image-tags.yaml", &manifest(&[repointed, d]));
    repo.write("more/image-tags-fpga.yaml", &manifest(&[c]));
    let out = repo
        .tagman()
        .args(["diff", "--base", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let names = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e.get("head").unwrap_or(e)["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(names("added"), ["docker.io/starlingx/vault-manager"]);
    assert_eq!(names("changed"), ["docker.io/starlingx/rvmc"]);
    assert_eq!(names("removed"), ["docker.io/starlingx/stx-snmp"]);
    assert_eq!(names("moved"), ["docker.io/starlingx/n3000-opae"]);
    assert_eq!(v["moved"][0]["head"]["file"], "more/image-tags-fpga.yaml");
    assert_eq!(v["base"], "HEAD");

    let out = repo
        .tagman()
        .args(["diff", "--base", "HEAD", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("changed  image-tags.yaml:4  docker.io/starlingx/rvmc:stx.10.0-v1.0.1"),
        "{text}"
    );
    assert!(text.contains("src_build_tag master-debian-stable-20241110T070002Z.0 -> master-debian-stable-20241120T070002Z.0"), "{text}");
}

/// An upstream clone with `v0.11.0` two commits below its head; returns the head's hash.
fn upstream() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let git = Repository::init(dir.path()).unwrap();
    let sig = Signature::new("Up", "up@example.org", &Time::new(1_700_000_000, 0)).unwrap();
    let mut parent: Option<git2::Oid> = None;
    for i in 0..3 {
        let mut index = git.index().unwrap();
        std::fs::write(dir.path().join("f"), format!("{i}")).unwrap();
        index.add_path(Path::new("f")).unwrap();
        index.write().unwrap();
        let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .iter()
            .map(|p| git.find_commit(*p).unwrap())
            .collect();
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = git
            .commit(Some("HEAD"), &sig, &sig, &format!("c{i}"), &tree, &refs)
            .unwrap();
        if i == 0 {
            git.tag_lightweight("v0.11.0", &git.find_object(id, None).unwrap(), false)
                .unwrap();
        }
        parent = Some(id);
    }
    (dir, parent.unwrap().to_string())
}

#[test]
fn suggest_describes_the_upstream_commit() {
    let (up, head) = upstream();
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a()]))]);
    let out = repo
        .tagman()
        .args(["suggest", "--upstream"])
        .arg(up.path())
        .args(["--commit", &head, "--release", "4.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let want = format!("stx.4.0-v0.11.0-2-g{}\n", &head[..7]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    // No release given and none in the policy: exit 2 with the fix.
    let out = repo
        .tagman()
        .args(["suggest", "--upstream"])
        .arg(up.path())
        .args(["--commit", &head])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--release X.Y"));
}

#[test]
fn add_appends_byte_for_byte_and_lints() {
    let (up, head) = upstream();
    let original = format!("{}# keep this trailing comment\n", manifest(&[a()]));
    let repo = Repo::new(&[("image-tags.yaml", original.clone())]);
    let out = add_snmp(&repo, "20241110T070002Z")
        .args(["--upstream"])
        .arg(up.path())
        .args(["--commit", &head, "--release", "10.0", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let now = std::fs::read_to_string(repo.path().join("image-tags.yaml")).unwrap();
    let tag = format!("stx.10.0-v0.11.0-2-g{}", &head[..7]);
    // After the last entry's trailing comment, not between the two (issue 14, point 6).
    let expected = format!(
        "{}# keep this trailing comment\n{}",
        manifest(&[a()]),
        entry("stx-snmp", "20241110T070002Z", &tag)
    );
    assert_eq!(now, expected);
    // The same (name, tag) again is refused, and the file is left alone.
    let out = add_snmp(&repo, "20241111T070002Z")
        .args(["--tag", &tag])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(repo.path().join("image-tags.yaml")).unwrap(),
        expected
    );
}

#[test]
fn src_repos_without_clones_warns_but_passes() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a()]))]);
    let empty = tempfile::tempdir().unwrap();
    let out = repo
        .tagman()
        .args(["lint", "--format", "json", "--src-repos"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(codes(&out), ["TM110"]);
    assert!(json(&out)["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no clone of integ"));
}

/// A Launchpad stand-in on loopback: bug 1854869 exists, every other path is a 404.
fn launchpad(limit: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (status, body) = if request.contains(" /bugs/1854869 ") {
                (
                    "200 OK",
                    r#"{"id": 1854869, "title": "Static tags", "private": false}"#,
                )
            } else {
                ("404 Not Found", "{}")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

#[test]
fn online_checks_the_references_of_a_commit() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a()]))]);
    let base = launchpad(10);
    repo.write(
        "tagman.yaml",
        &format!("{POLICY}launchpad_api: {base}\nstoryboard_api: {base}/sb\n"),
    );
    repo.commit(
        &[("image-tags.yaml", manifest(&[a(), b()]))],
        "Add snmp\n\nPartial-Bug: 1854869\nCloses-Bug: 99\n",
    );
    let out = repo
        .tagman()
        .args(["lint", "--commit", "HEAD", "--online", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out), ["TM111"]);
    assert_eq!(json(&out)["diagnostics"][0]["line"], 4);
}

#[test]
fn commit_msg_reads_the_index_git_hands_the_hook() {
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a()]))]);
    // `git commit -a`: the real index is untouched, the commit is in a temporary one.
    repo.write("image-tags.yaml", &manifest(&[a(), b()]));
    let temp = repo.path().join(".git/index.tagman-test");
    let mut index = git2::Index::open(&temp).unwrap();
    let blob = repo.git.blob(manifest(&[a(), b()]).as_bytes()).unwrap();
    let mut entry = repo
        .git
        .index()
        .unwrap()
        .get_path(Path::new("image-tags.yaml"), 0)
        .unwrap();
    entry.id = blob;
    entry.file_size = u32::try_from(manifest(&[a(), b()]).len()).unwrap();
    index.add(&entry).unwrap();
    index.write().unwrap();
    repo.write("COMMIT_EDITMSG", "Add snmp\n");
    let run = |index_file: Option<&Path>| {
        let mut cmd = repo.tagman();
        cmd.args(["commit-msg", "COMMIT_EDITMSG", "--format", "json"]);
        match index_file {
            Some(path) => cmd.env("GIT_INDEX_FILE", path),
            None => cmd.env_remove("GIT_INDEX_FILE"),
        };
        cmd.output().unwrap()
    };
    assert_eq!(run(None).status.code(), Some(0));
    let out = run(Some(Path::new(".git/index.tagman-test")));
    assert_eq!(
        (out.status.code(), codes(&out)),
        (Some(1), vec!["TM101".to_owned()])
    );
}

/// Regression (issue 12): `add` wrote to the fixed temp name `<file>.tagman-add` following
/// symlinks, and replaced a symlinked manifest by an edited copy.
#[cfg(unix)]
#[test]
fn add_is_not_redirected_by_a_planted_symlink_and_edits_a_symlinked_manifest_at_its_target() {
    use std::os::unix::fs::{symlink, PermissionsExt as _};
    let repo = Repo::new(&[("real-tags.yaml", manifest(&[a()]))]);
    let real = repo.path().join("real-tags.yaml");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let link = repo.path().join("image-tags.yaml");
    symlink("real-tags.yaml", &link).unwrap();
    symlink(&victim, repo.path().join("image-tags.yaml.tagman-add")).unwrap();
    let out = repo
        .tagman()
        .args([
            "add",
            "image-tags.yaml",
            "--name",
            "docker.io/starlingx/stx-snmp",
        ])
        .args(["--tag", "stx.10.0-v0.11.0"])
        .args(["--src-build-tag", "master-debian-stable-20241110T070002Z.0"])
        .args([
            "--src-ref",
            "https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4",
        ])
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let now = std::fs::read_to_string(&real).unwrap();
    assert!(now.contains("docker.io/starlingx/stx-snmp"), "{now}");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}

/// (code, the file a machine format names, whether it is marked as a project file) of every
/// finding in `out`, in the format's own terms, sorted.
fn located(format: &str, out: &Output) -> Vec<(String, Option<String>)> {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut found: Vec<(String, Option<String>)> = match format {
        "json" => json(out)["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let file = d["file"].as_str().map(str::to_owned);
                (d["code"].as_str().unwrap().to_owned(), file)
            })
            .collect(),
        "zuul" => {
            let v = json(out);
            let mut found = Vec::new();
            for (path, comments) in v["zuul"]["file_comments"].as_object().unwrap() {
                for c in comments.as_array().unwrap() {
                    let code = c["message"].as_str().unwrap()[..5].to_owned();
                    found.push((code, Some(path.clone())));
                }
            }
            found
        }
        "sarif" => json(out)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
                let uri = artifact["uri"].as_str().unwrap();
                // Only a project file is under %SRCROOT%.
                let file = (artifact["uriBaseId"] == "%SRCROOT%").then(|| uri.to_owned());
                (r["ruleId"].as_str().unwrap().to_owned(), file)
            })
            .collect(),
        "github" => text
            .lines()
            .filter(|l| l.starts_with("::"))
            .map(|l| {
                let props = l[2..].split("::").next().unwrap();
                let prop = |key: &str| {
                    props
                        .split([' ', ','])
                        .find_map(|p| p.strip_prefix(key))
                        .map(str::to_owned)
                };
                let code = prop("title=").unwrap();
                (code, prop("file="))
            })
            .collect(),
        other => panic!("no format {other}"),
    };
    found.sort();
    found
}

fn pairs(expected: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    let mut v: Vec<_> = expected
        .iter()
        .map(|(c, f)| ((*c).to_owned(), f.map(str::to_owned)))
        .collect();
    v.sort();
    v
}

/// Issue 14, point 5: from a subdirectory of the work tree, every machine format names a
/// manifest by its repository path; the commit message is `/COMMIT_MSG` in zuul, and elsewhere
/// the message file's repository path (`--commit-msg-file`) or, for `--commit`, no project file.
#[test]
fn machine_formats_name_files_from_the_repository_root_in_a_subdirectory() {
    let repo = Repo::new(&[("sub/image-tags.yaml", manifest(&[a()]))]);
    let repointed = entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1");
    repo.commit(
        &[("sub/image-tags.yaml", manifest(&[repointed]))],
        "Rebuild rvmc\n",
    );
    let in_sub = |args: &[&str], format: &str| {
        let mut cmd = repo.tagman();
        cmd.current_dir(repo.path().join("sub"))
            .args(["lint", "--format", format])
            .args(args);
        cmd.output().unwrap()
    };
    let manifest_file = "sub/image-tags.yaml";
    // --commit: files read from git.
    for (format, message) in [
        ("json", Some("COMMIT_MSG")),
        ("zuul", Some("/COMMIT_MSG")),
        ("sarif", None),
        ("github", None),
    ] {
        let out = in_sub(&["--commit", "HEAD"], format);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", describe(&out));
        let got = located(format, &out);
        assert_eq!(
            got,
            pairs(&[("TM101", message), ("TM106", Some(manifest_file))]),
            "--commit --format {format}"
        );
    }
    // The working tree, a file named relative to `sub/`, and a message file beside it.
    repo.write("sub/msg.txt", "Rebuild rvmc\n");
    for (format, message) in [
        ("json", "sub/msg.txt"),
        ("zuul", "/COMMIT_MSG"),
        ("sarif", "sub/msg.txt"),
        ("github", "sub/msg.txt"),
    ] {
        let out = in_sub(
            &[
                "--base",
                "HEAD~1",
                "--commit-msg-file",
                "msg.txt",
                "image-tags.yaml",
            ],
            format,
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", describe(&out));
        let got = located(format, &out);
        assert_eq!(
            got,
            pairs(&[("TM101", Some(message)), ("TM106", Some(manifest_file))]),
            "working tree --format {format}"
        );
    }
}

/// Issue 14, point 7: plain `lint` inside a work tree compares with `HEAD`, so a re-pointed
/// published tag fails before the commit; `--no-base` turns that off.
#[test]
fn lint_compares_with_head_by_default_inside_a_work_tree() {
    let repo = Repo::new(&[
        ("image-tags.yaml", manifest(&[a()])),
        ("other/image-tags-snmp.yaml", manifest(&[b()])),
    ]);
    let lint = |args: &[&str]| {
        repo.tagman()
            .args(["lint", "--format", "json"])
            .args(args)
            .output()
            .unwrap()
    };
    // A message handed over is judged against --base only: in a CI checkout HEAD is the change
    // itself, so against HEAD no reference would ever be required.
    let out = repo
        .tagman()
        .args(["lint", "--format", "json", "--commit-msg-file", "-"])
        .write_stdin("Bump rvmc\n")
        .output()
        .unwrap();
    assert_eq!(codes(&out), ["TM101"]);
    let repointed = entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1");
    repo.write("image-tags.yaml", &manifest(&[repointed]));
    for args in [&[][..], &["image-tags.yaml"]] {
        let out = lint(args);
        assert_eq!(
            (out.status.code(), codes(&out)),
            (Some(1), vec!["TM106".to_owned()]),
            "{args:?}"
        );
    }
    // A file named alone is compared with its own past, not with every manifest at HEAD: the
    // other file's entries are not "removed" (TM107).
    repo.write("image-tags.yaml", &manifest(&[a()]));
    let out = lint(&["image-tags.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(codes(&out).is_empty());
    // A deleted manifest is compared too: its entries are removed.
    std::fs::remove_file(repo.path().join("other/image-tags-snmp.yaml")).unwrap();
    assert_eq!(codes(&lint(&["image-tags.yaml"])), ["TM107"]);
    assert_eq!(codes(&lint(&[])), ["TM107"]);

    repo.write(
        "image-tags.yaml",
        &manifest(&[entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1")]),
    );
    let out = lint(&["--no-base"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(codes(&out).is_empty());
}

/// Outside a repository, with an unborn `HEAD`, and for files outside the work tree, the default
/// base changes nothing.
#[test]
fn the_default_base_needs_a_work_tree_holding_the_files() {
    let repointed = manifest(&[entry("rvmc", "20241120T070002Z", "stx.10.0-v1.0.1")]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("tagman.yaml"), POLICY).unwrap();
    std::fs::write(outside.path().join("image-tags.yaml"), &repointed).unwrap();
    let out = crate::support::tagman_in(outside.path())
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    // A repository without a commit: everything is new, nothing can have moved.
    let unborn = tempfile::tempdir().unwrap();
    Repository::init(unborn.path()).unwrap();
    std::fs::write(unborn.path().join("tagman.yaml"), POLICY).unwrap();
    std::fs::write(unborn.path().join("image-tags.yaml"), &repointed).unwrap();
    let out = crate::support::tagman_in(unborn.path())
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(codes(&out).is_empty());

    // Inside a repository, a file from elsewhere is compared with nothing there.
    let repo = Repo::new(&[("image-tags.yaml", manifest(&[a(), b()]))]);
    let out = repo
        .tagman()
        .args(["lint", "--format", "json"])
        .arg(outside.path().join("image-tags.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(codes(&out).is_empty(), "{:?}", codes(&out));
}

/// Issue 14, point 8, through the binary: StarlingX's multi-release file, as committed, lints
/// clean with `release: "10.0"` (the default base, HEAD, holds every old entry); a new entry for
/// another release is still an error, and `--no-base` checks every entry.
#[test]
fn release_applies_to_added_and_changed_entries_only() {
    let row = tagman_testkit::corpus::rows().pop().unwrap();
    let (name, bytes) = row.manifests().pop().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let repo = Repo::new(&[(name.as_str(), text.clone())]);
    repo.write("tagman.yaml", &format!("{POLICY}release: \"10.0\"\n"));
    let lint = |args: &[&str]| {
        repo.tagman()
            .args(["lint", "--format", "json"])
            .args(args)
            .output()
            .unwrap()
    };
    let tm005 = |out: &Output| codes(out).iter().filter(|c| *c == "TM005").count();
    let out = lint(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(tm005(&lint(&["--no-base"])), 23);
    // A new stx.9.0 tag on this branch is held to the release; the old ones are not.
    repo.write(
        &name,
        &format!(
            "{text}{}",
            entry("stx-snmp", "20241201T070002Z", "stx.9.0-v1.0.9")
        ),
    );
    let out = lint(&[]);
    assert_eq!(
        (out.status.code(), tm005(&out)),
        (Some(1), 1),
        "{}",
        describe(&out)
    );
    let out = lint(&["--base", "HEAD", &name]);
    assert_eq!(
        (out.status.code(), tm005(&out)),
        (Some(1), 1),
        "{}",
        describe(&out)
    );
}

/// `tagman add image-tags.yaml` in `repo` for stx-snmp built at `build` (a build timestamp); the
/// tag and the rest follow.
fn add_snmp(repo: &Repo, build: &str) -> Command {
    let mut cmd = repo.tagman();
    cmd.args([
        "add",
        "image-tags.yaml",
        "--name",
        "docker.io/starlingx/stx-snmp",
    ])
    .args([
        "--src-build-tag",
        &format!("master-debian-stable-{build}.0"),
    ])
    .args([
        "--src-ref",
        "https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4",
    ]);
    cmd
}

/// `tagman add` of stx-snmp (the entry [`b`] holds, under `tag`) with `extra` arguments.
fn add(repo: &Repo, tag: &str, extra: &[&str]) -> Output {
    add_snmp(repo, "20241110T070002Z")
        .args(["--tag", tag])
        .args(extra)
        .output()
        .unwrap()
}

/// Issue 14, point 6: `add` lints the would-be file first and writes nothing when the new entry
/// has errors; `--dry-run` prints the diff and writes nothing; a write says what it added.
#[test]
fn add_validates_first_shows_a_dry_run_and_says_what_it_added() {
    let original = manifest(&[a()]);
    let repo = Repo::new(&[("image-tags.yaml", original.clone())]);
    let read = || std::fs::read_to_string(repo.path().join("image-tags.yaml")).unwrap();

    // The 2022 typo: refused, with the finding on the would-be line, and the file untouched.
    let out = add(&repo, "stx.10.0.v1.0.2", &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let d = &json(&out)["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["line"].as_i64()),
        (Some("TM004"), Some(11))
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    assert_eq!(read(), original);
    assert!(!repo.path().join("image-tags.yaml.tagman-add").exists());

    // A dry run: the diff on stdout, nothing written.
    let out = add(&repo, "stx.10.0-v1.0.2", &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("--- a/image-tags.yaml\n+++ b/image-tags.yaml\n@@ -5,3 +5,7 @@\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n+    tag: stx.10.0-v1.0.2\n"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("would add"));
    assert_eq!(read(), original);

    // The write, and what it added.
    let out = add(&repo, "stx.10.0-v1.0.2", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "tagman: added docker.io/starlingx/stx-snmp:stx.10.0-v1.0.2 to image-tags.yaml at line 8"
        ),
        "{}",
        describe(&out)
    );
    assert_eq!(read(), manifest(&[a(), b()]));
}

/// Issue 14, point 10: help lines that pointed the wrong way.
#[test]
fn help_lines_point_the_right_way() {
    let repo = Repo::new(&[("other.yaml", "x: 1\n".to_owned())]);
    let stderr = |out: &Output| {
        assert_eq!(out.status.code(), Some(2), "{}", describe(out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // `refs` with no manifests: how refs names them, not `tagman lint …`.
    let text = stderr(&repo.tagman().args(["refs", "."]).output().unwrap());
    assert!(text.contains("tagman refs --manifests"), "{text}");
    assert!(!text.contains("tagman lint"), "{text}");
    // `add` to a file that is not there: check the path, not "run tagman lint".
    let text = stderr(&add(&repo, "stx.10.0-v1.0.2", &[]));
    assert!(text.contains("check the path"), "{text}");
    assert!(!text.contains("tagman lint"), "{text}");
    // `suggest` has no --tag; a codename the policy lacks is named as such.
    let (up, head) = upstream();
    let text = stderr(
        &repo
            .tagman()
            .args(["suggest", "--upstream"])
            .arg(up.path())
            .args([
                "--commit",
                &head,
                "--release",
                "10.0",
                "--codename",
                "jessie",
            ])
            .output()
            .unwrap(),
    );
    assert!(text.contains("`jessie` is not an OS codename"), "{text}");
    assert!(!text.contains("pass the tag with --tag"), "{text}");
    let text = stderr(
        &repo
            .tagman()
            .args(["suggest", "--upstream"])
            .arg(up.path())
            .args(["--commit", &head, "--release", "10"])
            .output()
            .unwrap(),
    );
    assert!(text.contains("--release 10.0"), "{text}");
}
