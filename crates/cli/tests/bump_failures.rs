//! `tagman refs --bump` when its writes fail or the tree changes under it (issue 20, items 9
//! and 10), end to end: a file root cannot replace (`chattr +i`) midway through a bump, and a
//! directory swapped for a symlink to outside the tree while a 1,500-file bump runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tagman_testkit::files::{self, NEW, OLD, SPEC};

use crate::support::describe;

fn bump(root: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(crate::support::tagman());
    cmd.current_dir(root)
        .env("NO_COLOR", "1")
        // Wide enough that miette wraps no path of these messages.
        .env("COLUMNS", "1000")
        .env_remove("TAGMAN_CONFIG")
        .env_remove("GIT_INDEX_FILE")
        .args(["refs", "--bump", SPEC])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// stderr on one line, without miette's frame.
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| l.trim_start_matches([' ', '│']).trim_end())
        .collect::<Vec<_>>()
        .join(" ")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Issue 20, item 10: a bump stopped midway by a file that cannot be replaced (immutable: root
/// may not rename over it either) exits 2, names the files it wrote before and the one that
/// failed; those files hold the new tag, the failed one and the rest keep the old.
#[test]
fn a_bump_failing_midway_names_the_files_it_wrote() {
    let tree = files::bump_tree(1, 6);
    let dir = files::app_dir(tree.path(), 0);
    let file = |i: usize| dir.join(format!("f{i:04}.yaml"));
    let _immutable = files::Immutable::new(&file(3));
    let out = bump(tree.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = stderr(&out);
    assert!(
        text.contains("cannot write ")
            && text.contains("apps/d000/f0003.yaml: Operation not permitted"),
        "{text}"
    );
    assert!(
        text.contains(
            "3 file(s) were written before it: ./apps/d000/f0000.yaml, ./apps/d000/f0001.yaml, ./apps/d000/f0002.yaml"
        ),
        "{text}"
    );
    assert!(text.contains("run the bump again"), "{text}");
    for i in 0..3 {
        assert_eq!(read(&file(i)), NEW, "written: {}", file(i).display());
    }
    for i in 3..6 {
        assert_eq!(read(&file(i)), OLD, "not written: {}", file(i).display());
    }
}

/// What one bump under a swapping attacker did.
struct Outcome {
    out: Output,
    swaps: usize,
}

/// Runs the bump of `root` while another thread, from the moment the first file (`first`)
/// holds the new tag, swaps `dir` for a symlink to `outside` and back as fast as it can
/// (`forever`: swaps once and leaves the symlink in place). Waits for conditions, never sleeps.
fn bump_while_swapping(
    root: &Path,
    first: &Path,
    dir: &Path,
    outside: &Path,
    forever: bool,
) -> Outcome {
    let done = AtomicBool::new(false);
    let swaps = AtomicUsize::new(0);
    let out = std::thread::scope(|s| {
        let child: Child = bump(root).spawn().unwrap();
        s.spawn(|| {
            while !done.load(Ordering::Relaxed)
                && std::fs::read(first).ok().as_deref() != Some(NEW.as_bytes())
            {
                std::thread::yield_now();
            }
            while !done.load(Ordering::Relaxed) {
                let aside = files::swap_for_symlink(dir, outside);
                swaps.fetch_add(1, Ordering::Relaxed);
                if forever {
                    return;
                }
                files::swap_back(dir, &aside);
            }
        });
        let out = child.wait_with_output().unwrap();
        done.store(true, Ordering::Relaxed);
        out
    });
    Outcome {
        out,
        swaps: swaps.into_inner(),
    }
}

/// The files a failed bump names as written (`./apps/...` from its message).
fn named_written(text: &str) -> Vec<PathBuf> {
    let Some((_, list)) = text.split_once("were written before it: ") else {
        return Vec::new();
    };
    list.split(", ")
        .map(|p| p.split_whitespace().next().unwrap_or(p))
        .filter(|p| p.starts_with("./"))
        .map(PathBuf::from)
        .collect()
}

/// Which check refused a write into the swapped directory: the walk from `/` that does not
/// follow symlinks, the resolve again before each write (symlink now leading outside, or the
/// moment between the swap's rename and its symlink, when the path is missing).
fn caught_by(text: &str) -> Option<&'static str> {
    [
        ("no longer the directory", "the O_NOFOLLOW walk"),
        (
            "outside the scanned tree",
            "the resolve before the write (outside)",
        ),
        ("No such file or directory", "a missing path mid-swap"),
    ]
    .into_iter()
    .find(|(needle, _)| text.contains(needle))
    .map(|(_, by)| by)
}

/// Regression (issue 20, item 9): the outside-the-tree check ran once before the writes, so a
/// directory swapped for a symlink during a 1,500-file bump let files outside be written. Now
/// a swap at any moment fails the write that meets it, naming the path, and nothing outside
/// changes: runs with the symlink left in place, and with it swapped in and out in a loop.
#[test]
fn a_directory_swapped_during_a_large_bump_never_leads_a_write_outside() {
    for (run, forever) in [(0, true), (1, false)] {
        let tree = files::bump_tree(30, 50);
        let root = tree.path();
        let swapped = files::app_dir(root, 29);
        let outside = files::outside_copy(&swapped);
        let before = tagman_testkit::tree::contents(outside.path());
        let first = files::app_dir(root, 0).join("f0000.yaml");
        let outcome = bump_while_swapping(root, &first, &swapped, outside.path(), forever);
        let text = stderr(&outcome.out);
        assert_eq!(
            tagman_testkit::tree::contents(outside.path()),
            before,
            "run {run}: a file outside the tree was written; {}",
            describe(&outcome.out)
        );
        let written = named_written(&text);
        match outcome.out.status.code() {
            // Every write met the directory in place (a loop run only).
            Some(0) => assert!(!forever, "{}", describe(&outcome.out)),
            Some(2) => {
                assert!(text.contains("apps/d029/"), "run {run}: {text}");
                assert!(caught_by(&text).is_some(), "run {run}: {text}");
                assert!(
                    !written.is_empty(),
                    "run {run}: the first file was written: {text}"
                );
            }
            _ => panic!("run {run}: {}", describe(&outcome.out)),
        }
        for path in &written {
            assert_eq!(read(&root.join(path)), NEW, "run {run}: {}", path.display());
        }
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "swap run {run} ({}): {} swap(s) during the bump, exit {:?}, {} file(s) written, then refused by {}",
                if forever { "symlink left" } else { "loop" },
                outcome.swaps,
                outcome.out.status.code(),
                text.split_once(" file(s) were written").map_or("all", |(head, _)| {
                    head.rsplit(' ').next().unwrap_or("?")
                }),
                caught_by(&text).unwrap_or("nothing")
            );
        }
    }
}
