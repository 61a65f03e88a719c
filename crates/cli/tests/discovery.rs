//! Manifest discovery through the binary (issue 21, one walker): a manifest an ignore file
//! leaves out is not checked, and tagman says so rather than skipping it silently; named, it is
//! checked. In a real git repository, with `.gitignore` and a force-added (tracked) manifest.

use std::path::Path;

use crate::support::{describe, git, git_init, hooks, project_root, tagman_in};

fn lint(dir: &Path, args: &[&str]) -> std::process::Output {
    tagman_in(dir).arg("lint").args(args).output().unwrap()
}

#[test]
fn an_ignored_manifest_is_named_not_skipped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git_init(root);
    std::fs::write(root.join("tagman.yaml"), "max_findings: 1000\n").unwrap();
    std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
    std::fs::create_dir_all(root.join("build")).unwrap();
    std::fs::write(root.join("build/image-tags.yaml"), hooks::BAD).unwrap();

    // Only an ignored manifest: none found, and the help names it and the way to check it.
    let out = lint(root, &["--no-base"]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("no tag manifests found"), "{text}");
    assert!(
        text.contains("1 file matching `manifests` that an ignore file"),
        "{text}"
    );
    assert!(text.contains("build/image-tags.yaml"), "{text}");

    // Named, it is read like any file: its typo is found.
    let out = lint(root, &["--no-base", "build/image-tags.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(describe(&out).contains("TM004"));

    // Beside a manifest that is found, the run goes on and the warning says what was left out,
    // also when git tracks the ignored file (`git add -f`): ignore files decide, as in ripgrep.
    std::fs::copy(
        project_root().join("fixtures/image-tags.yaml"),
        root.join("image-tags.yaml"),
    )
    .unwrap();
    git(
        root,
        &["add", "-f", "build/image-tags.yaml", "image-tags.yaml"],
    );
    let out = lint(root, &["--no-base"]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 errors, 0 warnings in 1 file"), "{text}");
    assert!(
        text.contains("warning: not checked: 1 file matching `manifests`"),
        "{text}"
    );
    assert!(
        text.contains("build/image-tags.yaml; name it to check it"),
        "{text}"
    );
    // `-q` keeps quiet about it, as about every warning.
    let out = lint(root, &["--no-base", "-q"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not checked"),
        "{}",
        describe(&out)
    );
}
