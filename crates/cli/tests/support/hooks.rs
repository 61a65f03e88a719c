//! The scenario both flavours of pre-commit hooks are tested with (built from source, and the
//! mirror that installs the wheel): `tagman-lint` and `tagman-commit-msg` through `pre-commit
//! try-repo`, each on a passing and a failing case.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use super::{describe, git, git_init};

/// A manifest every hook passes.
pub const GOOD: &str = "images:
  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: stx.4.0-v2.2
";

/// The same entry with a tag that breaks the grammar (TM004).
pub const BAD: &str = "images:
  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: stx.4.0.v2.2
";

/// Runs both hooks through `try_repo(work_dir, hook_id, extra_args)`, which runs `pre-commit
/// try-repo` in `work_dir`, and checks each passes and fails where it should. Returns how long the
/// first run took (it installs the hook environment).
pub fn exercise_hooks(try_repo: &dyn Fn(&Path, &str, &[&str]) -> Output) -> Duration {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    git_init(dir);
    std::fs::write(dir.join("image-tags.yaml"), GOOD).unwrap();
    git(dir, &["add", "image-tags.yaml"]);
    git(dir, &["commit", "-q", "-m", "Start\n\nStory: 2011001"]);

    // tagman-lint, passing: the first run also installs the hook.
    let started = Instant::now();
    let out = try_repo(dir, "tagman-lint", &["--files", "image-tags.yaml"]);
    let first_run = started.elapsed();
    let text = describe(&out);
    assert!(out.status.success(), "good manifest failed:\n{text}");
    assert!(text.contains("tagman lint (image tag manifests)"), "{text}");
    assert!(text.contains("Passed"), "{text}");

    // tagman-lint, failing: a tag that breaks the grammar, in a second manifest.
    std::fs::create_dir_all(dir.join("stx")).unwrap();
    std::fs::write(dir.join("stx/image-tags-extra.yaml"), BAD).unwrap();
    git(dir, &["add", "stx/image-tags-extra.yaml"]);
    let out = try_repo(
        dir,
        "tagman-lint",
        &["--files", "image-tags.yaml", "stx/image-tags-extra.yaml"],
    );
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "bad manifest passed:\n{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("TM004"), "{text}");
    assert!(text.contains("stx/image-tags-extra.yaml"), "{text}");

    // tagman-lint compares with HEAD: a published tag re-pointed fails before the commit.
    std::fs::write(
        dir.join("image-tags.yaml"),
        GOOD.replace("20191203T153530Z", "20191204T153530Z"),
    )
    .unwrap();
    git(dir, &["add", "image-tags.yaml"]);
    let out = try_repo(dir, "tagman-lint", &["--files", "image-tags.yaml"]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "re-pointed tag passed:\n{text}");
    assert!(text.contains("TM106"), "{text}");
    std::fs::write(dir.join("image-tags.yaml"), GOOD).unwrap();
    git(dir, &["add", "image-tags.yaml"]);

    // A file the hook's `files:` pattern does not match is not handed to tagman.
    std::fs::write(dir.join("notes.yaml"), "tag: nonsense\n").unwrap();
    let out = try_repo(dir, "tagman-lint", &["--files", "notes.yaml"]);
    let text = describe(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no files to check"), "{text}");

    cross_file_case(try_repo);

    // tagman-commit-msg: the staged manifest adds an entry, so a reference is required.
    std::fs::write(
        dir.join("stx/image-tags-extra.yaml"),
        GOOD.replace("v2.2", "v2.3"),
    )
    .unwrap();
    git(dir, &["add", "stx/image-tags-extra.yaml"]);
    let msg = dir.join("COMMIT_EDITMSG");
    std::fs::write(&msg, "Bump sriov to v2.3\n\nNo reference here.\n").unwrap();
    let args = [
        "--hook-stage",
        "commit-msg",
        "--commit-msg-filename",
        msg.to_str().unwrap(),
    ];
    let out = try_repo(dir, "tagman-commit-msg", &args);
    let text = describe(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "message without reference passed:\n{text}"
    );
    assert!(
        text.contains("tagman commit-msg (bug or story reference)"),
        "{text}"
    );
    assert!(text.contains("TM101"), "{text}");

    std::fs::write(
        &msg,
        "Bump sriov to v2.3\n\nPicks up the CNI fix.\n\nCloses-Bug: 2034567\n",
    )
    .unwrap();
    let out = try_repo(dir, "tagman-commit-msg", &args);
    let text = describe(&out);
    assert!(
        out.status.success(),
        "message with reference failed:\n{text}"
    );
    assert!(text.contains("Passed"), "{text}");
    first_run
}

/// Issue 18: pre-commit passes the hook only the staged manifests (`pre-commit run` with no
/// `--files`). A trixie manifest staged with `stx.4.0-v2.2` given to another build, while the
/// committed bullseye manifest gives that tag to its build, is TM008: the hook lints the staged
/// file beside every manifest the policy selects. The bullseye manifest's own defect (a TM004,
/// committed earlier) is not the commit's, and is not reported.
fn cross_file_case(try_repo: &dyn Fn(&Path, &str, &[&str]) -> Output) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    git_init(dir);
    std::fs::create_dir_all(dir.join("bullseye")).unwrap();
    std::fs::create_dir_all(dir.join("trixie")).unwrap();
    let own_defect = BAD
        .replace("images:\n", "")
        .replace("k8s-cni-sriov", "k8s-other");
    std::fs::write(
        dir.join("bullseye/image-tags.yaml"),
        format!("{GOOD}{own_defect}"),
    )
    .unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "Start\n\nStory: 2011001"]);
    std::fs::write(
        dir.join("trixie/image-tags.yaml"),
        GOOD.replace("20191203T153530Z", "20191205T153530Z"),
    )
    .unwrap();
    git(dir, &["add", "trixie/image-tags.yaml"]);
    let out = try_repo(dir, "tagman-lint", &[]);
    let text = describe(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a tag another manifest gives another build passed:\n{text}"
    );
    assert!(text.contains("TM008"), "{text}");
    assert!(text.contains("trixie/image-tags.yaml"), "{text}");
    assert!(
        !text.contains("TM004"),
        "the unstaged manifest's own finding was reported:\n{text}"
    );
}
