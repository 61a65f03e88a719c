//! The refs tests' scan helpers: the fixture application's manifest, a scan with the default
//! policy; the packages themselves are built by tagman-testkit's `packages`.
#![allow(dead_code)]

use std::path::PathBuf;

use tagman_core::{Limits, Manifest, Policy, SourceFile};
use tagman_refs::{Catalog, Scan, WalkOptions};
pub use tagman_testkit::packages::*;

/// The fixture manifest's catalog.
pub fn manifests() -> Vec<Manifest> {
    let path = release().join("image-tags.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    vec![Manifest::parse(
        SourceFile::new(path.to_string_lossy(), text),
        &Limits::default(),
    )
    .unwrap()]
}

/// Scans `paths` with the default policy and the fixture manifest.
pub fn scan(paths: &[PathBuf], options: WalkOptions) -> (Scan, Catalog, Policy) {
    let policy = Policy::defaults(std::env::temp_dir());
    let manifests = manifests();
    let scan = tagman_refs::scan(paths, &policy, &manifests, options).unwrap();
    (scan, Catalog::new(&manifests), policy)
}

/// Scans the tree at `root` with its own `tagman.yaml` and the manifests that policy finds.
pub fn scan_tree(root: &std::path::Path) -> (Policy, Vec<Manifest>, Scan) {
    let policy = Policy::load(&root.join("tagman.yaml")).unwrap();
    let manifests: Vec<Manifest> = policy
        .discover_manifests()
        .unwrap()
        .iter()
        .map(|p| Manifest::read(p, &policy.limits()).unwrap())
        .collect();
    let scanned = tagman_refs::scan(
        &[root.to_path_buf()],
        &policy,
        &manifests,
        WalkOptions::default(),
    )
    .unwrap();
    (policy, manifests, scanned)
}

/// Options for an inventory.
pub fn inventory_options() -> WalkOptions {
    WalkOptions {
        all_images: true,
        ..WalkOptions::default()
    }
}

/// A budget error as `Variant: message`, or `other: …`, for the bomb and hostile-image tests.
pub fn budget_error(e: &tagman_refs::archive::ArchiveError) -> String {
    use tagman_refs::archive::ArchiveError;
    let variant = match e {
        ArchiveError::TotalBytes { .. } => "TotalBytes",
        ArchiveError::MemberTooLarge { .. } => "MemberTooLarge",
        ArchiveError::TooDeep { .. } => "TooDeep",
        ArchiveError::TooManyMembers { .. } => "TooManyMembers",
        _ => "other",
    };
    format!("{variant}: {e}")
}

/// Runs the ignored test `test` of this binary in a child process of its own with `var=value`,
/// so that the peak memory it reports is that case's alone; returns the `RESULT` line the child
/// printed with [`child_report`] and its peak RSS in KiB.
pub fn in_child(test: &str, var: &str, value: &str) -> (String, u64) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(var, value)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{value}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |prefix: &str| stdout.lines().find_map(|l| l.strip_prefix(prefix));
    let result = line("CHILD-RESULT ").unwrap_or("").to_owned();
    let rss = line("CHILD-PEAK-KIB ")
        .and_then(|v| v.parse().ok())
        .unwrap();
    (result, rss)
}

/// In the child [`in_child`] started: prints `result` and this process's peak memory. The peak
/// is the kernel's high-water mark of this process's own memory (`VmHWM`): getrusage's
/// `ru_maxrss` can carry over the parent's peak when the child is spawned sharing the parent's
/// memory (vfork).
pub fn child_report(result: &str) {
    use std::io::Write;
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .unwrap()
        .trim()
        .to_owned();
    let mut out = std::io::stdout().lock();
    writeln!(out, "\nCHILD-RESULT {result}\nCHILD-PEAK-KIB {peak}").unwrap();
    out.flush().unwrap();
}

/// A copy of the release fixture's chart and FluxCD manifests (a StarlingX-shaped app), for
/// tests that plant in them.
pub fn release_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["charts", "fluxcd-manifests"] {
        run(std::process::Command::new("cp")
            .arg("-r")
            .arg(release().join(sub))
            .arg(dir.path()));
    }
    dir
}

/// `file:line CODE` per finding of `report`, files relative to `root`.
pub fn findings_under(
    report: &tagman_diag::diagnostic::Report,
    root: &std::path::Path,
) -> Vec<String> {
    let prefix = root.to_string_lossy();
    report
        .diagnostics
        .iter()
        .map(|d| {
            let file = d
                .file()
                .trim_start_matches(&*prefix)
                .trim_start_matches('/');
            format!("{file}:{} {}", d.finding.primary.start().line, d.code())
        })
        .collect()
}

/// The chart defaults a scan set aside, as `key by FILE:LINE` with FILE shortened by `short`.
pub fn set_aside(scan: &Scan, short: impl Fn(&str) -> String) -> Vec<String> {
    scan.overridden
        .iter()
        .map(|o| {
            format!(
                "{} by {}:{}",
                o.key,
                short(o.by.file.name()),
                o.by.start().line
            )
        })
        .collect()
}
