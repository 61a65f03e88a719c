//! Hardening round 3 (issue 20): what a run keeps and expands is bounded per run, every
//! compression real packages use is read, tar types real tools read are read, and member names
//! are cut. The inputs are made by tagman-testkit's `hostile` generators with the real tools; the
//! full-size repros (a 92 KB `.tar.zst` of millions of references, ten 1 GiB bombs, a 2 GB
//! installer-like ISO) are measured by `scripts/hostile` and `cargo bench --bench inventory`,
//! these tests show the same logic scaled down.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;
use tagman_refs::archive::{ArchiveError, Budgets};
use tagman_refs::walk::KeepCaps;
use tagman_refs::{RefsError, WalkOptions};
use tagman_testkit::hostile::{self, DEX_LINE};

const MIB: u64 = 1024 * 1024;

/// `(code, file)` of every finding, and the scan.
fn findings(paths: &[PathBuf], options: WalkOptions) -> (Vec<(String, String)>, tagman_refs::Scan) {
    let (scan, catalog, policy) = scan(paths, options);
    let report = tagman_refs::check(&scan, &policy, &catalog);
    let found = report
        .diagnostics
        .iter()
        .map(|d| (d.code().to_owned(), d.file().to_owned()))
        .collect();
    (found, scan)
}

fn one_thread() -> WalkOptions {
    WalkOptions {
        threads: 1,
        ..WalkOptions::default()
    }
}

#[test]
fn references_past_the_keep_caps_are_counted_reported_and_fail_the_run() {
    let work = tempfile::tempdir().unwrap();
    // The shape of the 92 KB repro, scaled down: 40 members of 64 KiB of floating references.
    let zst = hostile::compress(
        "zstd",
        &["-19", "-q"],
        hostile::references_tar(40, 64 * 1024),
    );
    let path = hostile::write(&work.path().join("refs.tar.zst"), &zst);
    let per_member = (64 * 1024) / DEX_LINE.len();
    let options = WalkOptions {
        keep: KeepCaps {
            refs_per_file: 100,
            refs_per_run: 1_000,
            bytes_per_run: 100 * MIB,
        },
        ..one_thread()
    };
    let (found, scan) = findings(std::slice::from_ref(&path), options);
    // Ten members fit the run's 1,000 references; thirty are counted, not kept. Past its first
    // 100 references a member is only searched, so its mentions are counted, not parsed.
    assert_eq!(scan.walked.files.len(), 10);
    assert_eq!(
        scan.walked.capped.len(),
        40,
        "every member was capped at 100"
    );
    assert!(scan
        .walked
        .capped
        .iter()
        .all(|c| c.kept == 100 && c.left_out == per_member - 100));
    let tm000 = found.iter().filter(|(code, _)| code == "TM000").count();
    assert_eq!(tm000, 10, "one TM000 per kept file: {found:?}");
    assert!(
        matches!(
            scan.walked.errors.as_slice(),
            [RefsError::NotKept {
                files: 30,
                refs,
                max_refs: 1_000,
                ..
            }] if *refs == 30 * per_member as u64
        ),
        "{:?}",
        scan.walked.errors
    );
    println!(
        "{} bytes of .tar.zst: {} files kept, {} TM000, {}",
        zst.len(),
        scan.walked.files.len(),
        tm000,
        scan.walked.errors[0]
    );
}

#[test]
fn an_inventory_stops_reading_a_file_at_its_cap_in_both_lists() {
    let work = tempfile::tempdir().unwrap();
    // One file of floating managed references, one of images outside the managed namespaces:
    // an inventory reads each only up to its cap, then counts (managed) or stops (others).
    let lines = 64 * 1024 / DEX_LINE.len();
    let managed = hostile::write(
        &work.path().join("managed.yaml"),
        DEX_LINE.repeat(lines).as_bytes(),
    );
    let other_line = "image: quay.io/example/app:latest\n";
    let other = hostile::write(
        &work.path().join("other.yaml"),
        other_line.repeat(lines).as_bytes(),
    );
    let options = WalkOptions {
        all_images: true,
        keep: KeepCaps {
            refs_per_file: 100,
            ..KeepCaps::default()
        },
        ..one_thread()
    };
    let (found, scan) = findings(&[managed, other], options);
    let mut capped: Vec<_> = scan
        .walked
        .capped
        .iter()
        .map(|c| {
            (
                c.name.rsplit('/').next().unwrap_or_default(),
                c.kept,
                c.left_out,
            )
        })
        .collect();
    capped.sort();
    assert_eq!(
        capped,
        [("managed.yaml", 100, lines - 100), ("other.yaml", 100, 0)],
        "the managed file counts what it did not read; the other stops"
    );
    let kept: Vec<_> = scan
        .walked
        .files
        .iter()
        .map(|f| (f.extracted.refs.len(), f.unmanaged.len()))
        .collect();
    assert!(
        kept.contains(&(100, 0)) && kept.contains(&(0, 100)),
        "{kept:?}"
    );
    let tm000 = found.iter().filter(|(code, _)| code == "TM000").count();
    assert_eq!(tm000, 2, "each capped file is an error: {found:?}");
}

/// Ten copies of one bzip2 bomb (15 members of 1 MiB of zeros: a 15 MiB tar in 1.5 KB).
fn bombs(dir: &Path) -> Vec<PathBuf> {
    let bomb = hostile::compress("bzip2", &["-9"], hostile::zeros_tar(15, MIB));
    (0..10)
        .map(|i| hostile::write(&dir.join(format!("bomb-{i}.tar.bz2")), &bomb))
        .collect()
}

/// The one-archive budget scaled from 1 GiB to 16 MiB: a bomb fits it alone, ten do not.
fn scaled() -> Budgets {
    Budgets {
        total_bytes: 16 * MIB,
        ..Budgets::default()
    }
}

fn run_errors(path: &Path, budgets: Budgets) -> Vec<String> {
    let options = WalkOptions {
        budgets,
        ..one_thread()
    };
    let (_, scan) = findings(&[path.to_path_buf()], options);
    scan.walked
        .errors
        .iter()
        .map(|e| match e {
            RefsError::Archive(a @ ArchiveError::RunBytes { .. }) => format!("RunBytes: {a}"),
            RefsError::Archive(a @ ArchiveError::RunSpent { .. }) => format!("RunSpent: {a}"),
            other => format!("other: {other}"),
        })
        .collect()
}

#[test]
fn ten_bombs_in_a_folder_or_on_an_iso_break_one_budget_for_the_run() {
    let work = tempfile::tempdir().unwrap();
    let folder = work.path().join("bombs");
    let paths = bombs(&folder);
    assert!(std::fs::metadata(&paths[0]).unwrap().len() < 4096);

    // Each bomb alone fits the one-archive budget: before, ten of them cost ten budgets.
    assert!(run_errors(&paths[0], scaled()).is_empty());
    let errors = run_errors(&folder, scaled());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("RunBytes: "), "{errors:?}");
    assert!(errors[0].contains("bomb-"), "names the archive: {errors:?}");
    assert!(
        errors[1].starts_with("RunSpent: 8 more archive(s) not read"),
        "{errors:?}"
    );

    let tree = work.path().join("iso-tree");
    for p in &paths {
        hostile::write(
            &tree.join("pool").join(p.file_name().unwrap()),
            &std::fs::read(p).unwrap(),
        );
    }
    let image = iso(&tree, &work.path().join("bombs.iso"), &["-R", "-J"]);
    let errors = run_errors(&image, scaled());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("bombs.iso!pool/bomb-"), "{errors:?}");
    println!("ten bombs: {errors:?}");
}

#[test]
fn genuine_packages_over_the_one_archive_budget_are_read_whole_by_their_ratio() {
    // An installer ISO scaled down: 24 packages of about 1 MiB of text each, gzip'd (about 4:1,
    // as packages of text and charts are), 24 MiB expanded against a 16 MiB one-archive budget.
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("iso-tree");
    let mut text = String::new();
    let mut i = 0u64;
    while text.len() < MIB as usize {
        i = i.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        text.push_str(&format!(
            "key_{}: value {}\n",
            (i >> 40) % 5000,
            (i >> 20) % 99_991
        ));
    }
    text.push_str(DEX_LINE);
    for n in 0..24 {
        let tar = hostile::tar_entry(&format!("pkg-{n}/values.yaml"), b'0', text.as_bytes());
        let stream = Box::new(std::io::Cursor::new(
            [tar, hostile::TAR_END.to_vec()].concat(),
        ));
        let tgz = hostile::compress("gzip", &["-6"], stream);
        hostile::write(&tree.join(format!("pool/pkg-{n}.tgz")), &tgz);
    }
    let image = iso(&tree, &work.path().join("release.iso"), &["-R", "-J"]);
    let options = WalkOptions {
        budgets: scaled(),
        ..one_thread()
    };
    let (found, scan) = findings(std::slice::from_ref(&image), options);
    assert!(scan.walked.errors.is_empty(), "{:?}", scan.walked.errors);
    let (expanded, input) = scan.walked.expanded;
    assert!(
        expanded > 16 * MIB,
        "more than one archive's budget: {expanded}"
    );
    assert_eq!(
        found.len(),
        24,
        "one floating reference per package: {found:?}"
    );
    println!(
        "installer-like ISO scaled down: {expanded} bytes expanded from {input} read (ratio {:.1}), no budget error",
        expanded as f64 / input as f64
    );
}

/// A tar holding `values.yaml` with a floating reference, compressed by `xz` with `flags`.
fn xz_tar(flags: &[&str]) -> Vec<u8> {
    let tar = hostile::tar_entry("values.yaml", b'0', DEX_LINE.as_bytes());
    let stream = Box::new(std::io::Cursor::new(
        [tar, hostile::TAR_END.to_vec()].concat(),
    ));
    hostile::compress("xz", flags, stream)
}

#[test]
fn every_xz_preset_and_an_lzma_package_are_read() {
    let work = tempfile::tempdir().unwrap();
    let presets = [
        "-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9", "-0e", "-6e", "-9e",
    ];
    for preset in presets {
        let path = hostile::write(
            &work.path().join(format!("values{preset}.tar.xz")),
            &xz_tar(&[preset, "--memlimit-compress=1GiB"]),
        );
        let (found, scan) = findings(std::slice::from_ref(&path), one_thread());
        assert!(
            scan.walked.warnings.is_empty(),
            "{preset}: {:?}",
            scan.walked.warnings
        );
        assert_eq!(found.len(), 1, "{preset}: {found:?}");
    }

    // `dpkg-deb -Zxz -z9`, and a package whose data.tar is legacy LZMA.
    let tree = work.path().join("pkg");
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::copy(
        release().join("DEBIAN/control"),
        tree.join("DEBIAN/control"),
    )
    .unwrap();
    hostile::write(&tree.join("usr/share/x/values.yaml"), DEX_LINE.as_bytes());
    let xz9 = work.path().join("xz9.deb");
    run(Command::new("dpkg-deb")
        .args(["-Zxz", "-z9", "--root-owner-group", "--build"])
        .arg(&tree)
        .arg(&xz9));
    let lzma = hostile::lzma_deb(work.path(), &tree);
    for deb in [xz9, lzma] {
        let (found, scan) = findings(std::slice::from_ref(&deb), one_thread());
        assert!(
            scan.walked.warnings.is_empty(),
            "{:?}",
            scan.walked.warnings
        );
        assert_eq!(
            found,
            [(
                "TM201".to_owned(),
                format!("{}!usr/share/x/values.yaml", deb.display())
            )],
            "{}",
            deb.display()
        );
    }
}

#[test]
fn contiguous_unknown_type_and_gnu_sparse_members_are_read_links_are_not() {
    let work = tempfile::tempdir().unwrap();
    let mut tar = Vec::new();
    for (name, kind) in [
        ("contiguous.yaml", b'7'),
        ("unknown.yaml", b'Z'),
        ("label", b'V'),
    ] {
        tar.extend(hostile::tar_entry(name, kind, DEX_LINE.as_bytes()));
    }
    tar.extend(hostile::tar_header("link.yaml", 0, b'2'));
    tar.extend_from_slice(&hostile::TAR_END);
    let path = hostile::write(&work.path().join("types.tar"), &tar);
    // Text, then a hole: the first 8 KiB (where a NUL means binary) must be data, not hole.
    let mut head = DEX_LINE.to_owned();
    head.push_str(&"\n".repeat(12 * 1024 - DEX_LINE.len()));
    let tail = format!("\n{DEX_LINE}");
    let sparse = hostile::gnu_sparse_tar(work.path(), &head, &tail);
    let sparse = hostile::write(&work.path().join("sparse.tar"), &sparse);
    let (found, scan) = findings(&[path.clone(), sparse.clone()], one_thread());
    assert!(
        scan.walked.warnings.is_empty(),
        "{:?}",
        scan.walked.warnings
    );
    let files: Vec<&str> = found.iter().map(|(_, f)| f.as_str()).collect();
    let at = |dir: &Path, name: &str| format!("{}!{name}", dir.display());
    // Both references of the sparse file, on either side of its hole, are read.
    let sparse_file = scan
        .walked
        .files
        .iter()
        .find(|f| f.source.name() == at(&sparse, "sparse.yaml"))
        .unwrap();
    assert_eq!(sparse_file.extracted.refs.len(), 2);
    assert_eq!(sparse_file.source.text().len(), 1024 * 1024 + tail.len());
    assert_eq!(
        files,
        [
            at(&sparse, "sparse.yaml").as_str(),
            at(&sparse, "sparse.yaml").as_str(),
            at(&path, "contiguous.yaml").as_str(),
            at(&path, "unknown.yaml").as_str(),
        ]
    );
}

#[test]
fn a_member_name_of_a_mebibyte_is_cut_with_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let tgz = hostile::long_name_tgz(MIB as usize, 1000);
    let path = hostile::write(&work.path().join("long.tgz"), &tgz);
    assert!(tgz.len() < 8 * 1024, "{}", tgz.len());
    let (found, scan) = findings(std::slice::from_ref(&path), one_thread());
    assert_eq!(scan.walked.warnings.len(), 1);
    let shown = &scan.walked.warnings[0].path;
    let limit = tagman_refs::archive::MAX_MEMBER_NAME;
    assert!(shown.ends_with('…'), "{shown}");
    assert_eq!(
        shown.len(),
        path.display().to_string().len() + 1 + limit + '…'.len_utf8()
    );
    assert!(found.len() > 100, "the member is still read");
    assert!(
        found.iter().all(|(_, f)| f == shown),
        "findings name it cut"
    );
}
