//! The hostile-input catalogue of issue 12 through the binary, one test per class: 16 MiB
//! manifests of every shape stay under 1 GB and print bounded output; a policy with thousands of
//! problems prints bounded errors; the schema check and the human output do linear work as the
//! input grows; every JSON format prints one object whatever happens.
//!
//! Peak memory and CPU time come from GNU time (`/usr/bin/time`, which scripts/test installs):
//! a child's own figures, whatever else the machine runs. No test asserts a time: the growth
//! tests compare the CPU time of an input with that of the input four times as large, the best
//! of three runs each, and allow twice the linear factor (a quadratic path costs four times it),
//! so that a noisy machine does not make them fail.

// The figures are printed for whoever runs the tests with --nocapture; nothing asserts on them
// but the bounds.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::tagman;

/// 1 GB, the most a 16 MiB manifest may cost.
const MEMORY_LIMIT_KIB: u64 = 1_000_000;
/// 16 MiB, the default `max_file_size`, less a little so the file is read.
const SIZE: usize = 16 * 1024 * 1024 - 64;

/// What one run of the binary did.
struct Measured {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    peak_kib: u64,
    cpu_seconds: f64,
}

/// Runs `tagman args` in `dir` under GNU time.
fn measured(dir: &Path, args: &[&str]) -> Measured {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.is_file(),
        "GNU time (/usr/bin/time) measures the binary's peak memory: apt-get install time \
         (scripts/test does)"
    );
    let report = dir.join(".time");
    let out = Command::new(time)
        .args(["-f", "%M %U %S", "-o"])
        .arg(&report)
        .arg(tagman())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("TAGMAN_CONFIG")
        .output()
        .unwrap();
    let figures = std::fs::read_to_string(&report).unwrap();
    let last = figures.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let mut next = || parts.next().unwrap_or_else(|| panic!("{figures}"));
    let peak_kib = next().parse().unwrap();
    let cpu_seconds = next().parse::<f64>().unwrap() + next().parse::<f64>().unwrap();
    Measured {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
        peak_kib,
        cpu_seconds,
    }
}

/// `unit` repeated to fill a 16 MiB file, between `head` and `tail`.
fn filled(head: &str, unit: &str, tail: &str) -> String {
    let n = (SIZE - head.len() - tail.len()) / unit.len();
    let mut text = String::with_capacity(SIZE);
    text.push_str(head);
    for _ in 0..n {
        text.push_str(unit);
    }
    text.push_str(tail);
    text
}

/// The 16 MiB shapes a hostile or broken manifest takes.
fn shapes() -> Vec<(&'static str, String)> {
    let long_keys = {
        let mut text = String::from("images:\n  - name: a\n");
        let mut i = 0;
        while text.len() < SIZE - 2_000 {
            text.push_str(&format!("    {}{i}: v\n", "k".repeat(1_000)));
            i += 1;
        }
        text
    };
    let aliases = filled(
        "base: &b {name: docker.io/starlingx/x, tag: stx.9.0-v1.0.0}\nimages:\n",
        "  - *b\n",
        "",
    );
    vec![
        ("empty mappings", filled("images:\n", "- {}\n", "")),
        ("scalars", filled("images:\n", "- x\n", "")),
        ("one-key mappings", filled("images:\n", "- {name: a}\n", "")),
        ("flow sequence", filled("images: [", "x,", "x]\n")),
        ("flow mappings", filled("images: [", "{},", "{}]\n")),
        (
            "duplicate keys",
            filled("images:\n  - {", "a: 1, ", "a: 1}\n"),
        ),
        ("long keys", long_keys),
        ("aliases", aliases),
    ]
}

/// Regression (issue 12): 16 MiB of `- {}` took 12.5 GB and over a minute, and 16 MiB of `- x`
/// wrote 1.27 GB of JSON. Every shape now stays under 1 GB and prints at most the first 1,000
/// findings and one TM000.
#[test]
fn sixteen_mib_manifests_of_every_shape_stay_under_1_gb_with_bounded_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut figures = Vec::new();
    for (shape, text) in shapes() {
        std::fs::write(dir.path().join("image-tags.yaml"), text).unwrap();
        let run = measured(dir.path(), &["lint", "--format", "json", "image-tags.yaml"]);
        figures.push(format!("{shape}: {} MB", run.peak_kib / 1024));
        assert_eq!(
            run.code,
            Some(1),
            "{shape}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            run.peak_kib < MEMORY_LIMIT_KIB,
            "{shape}: peak {} KiB (all: {figures:?})",
            run.peak_kib
        );
        assert!(
            run.stdout.len() < 2_000_000,
            "{shape}: {} bytes of JSON",
            run.stdout.len()
        );
        let json: Value = serde_json::from_slice(&run.stdout).unwrap();
        let listed = json["diagnostics"].as_array().unwrap().len();
        assert!(listed <= 1_001, "{shape}: {listed} diagnostics listed");
    }
    println!("peak memory on 16 MiB: {figures:?}");
}

/// The human output of the worst shape is bounded too, and says how many findings it left out.
#[test]
fn human_output_of_four_million_findings_is_the_first_thousand() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("image-tags.yaml"),
        filled("images:\n", "- x\n", ""),
    )
    .unwrap();
    let run = measured(dir.path(), &["lint", "image-tags.yaml"]);
    assert_eq!(run.code, Some(1));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.stdout.len() < 1_000_000, "{} bytes", run.stdout.len());
    let entries = (SIZE - "images:\n".len()) / "- x\n".len();
    assert_eq!(out.matches("TM002(schema)").count(), 1_000);
    assert_eq!(out.matches("TM000(too-many-findings)").count(), 1);
    let more = entries - 1_000;
    assert!(
        out.contains(&format!(
            "… and {more} more findings in this file ({more} errors, 0 warnings)"
        )),
        "{}",
        &out[out.len().saturating_sub(600)..]
    );
    assert!(out.contains(&format!("tagman: {entries} errors, 0 warnings in 1 file")));
}

/// Regression (issue 12): a 30 KB policy with 5,000 bad items wrote 151 MB to stderr (every
/// problem with its whole 30 KB line). The first 1,000 are shown, each with a window of the line.
#[test]
fn a_policy_with_thousands_of_problems_prints_bounded_errors() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<String> = (0..5_000).map(|i| i.to_string()).collect();
    std::fs::write(
        dir.path().join("tagman.yaml"),
        format!("codenames: [{}]\n", items.join(",")),
    )
    .unwrap();
    std::fs::write(dir.path().join("image-tags.yaml"), "images: []\n").unwrap();
    let run = measured(dir.path(), &["lint", "image-tags.yaml"]);
    assert_eq!(run.code, Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.stderr.len() < 1_000_000, "{} bytes", run.stderr.len());
    assert_eq!(err.matches("policy\n").count(), 1_000, "{}", &err[..2_000]);
    assert!(err.contains("… and 4000 more problems in "), "{err}");
    let json = measured(dir.path(), &["lint", "--format", "json", "image-tags.yaml"]);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["error"]["problems"].as_array().unwrap().len(), 1_000);
    assert_eq!(doc["error"]["unlisted"], 4_000);
}

/// How many times larger the large input of the growth tests is.
const GROWTH: usize = 4;

/// The ratio a linear path stays under: twice [`GROWTH`] (a quadratic one costs `GROWTH²`).
const LINEAR: f64 = 2.0 * GROWTH as f64;

/// The best CPU time of three runs of `args` on a file written by `write(n)`, for `n` and
/// `GROWTH × n`: their ratio.
fn growth_ratio(n: usize, write: impl Fn(&Path, usize), args: &[&str]) -> f64 {
    let best = |size: usize| {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), size);
        (0..3)
            .map(|_| {
                let run = measured(dir.path(), args);
                // Findings, not an error that ends the run before the work measured.
                assert_eq!(
                    run.code,
                    Some(1),
                    "{}",
                    String::from_utf8_lossy(&run.stderr)
                );
                run.cpu_seconds
            })
            .fold(f64::INFINITY, f64::min)
            .max(0.01)
    };
    let (one, many) = (best(n), best(GROWTH * n));
    println!("{args:?}: {n} → {one:.3} s, {} → {many:.3} s", GROWTH * n);
    many / one
}

fn bad_entries(dir: &Path, n: usize) {
    let mut text = String::from("images:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - name: docker.io/starlingx/image-{i}\n    src_build_tag: master-debian-stable-20240719T060056Z.0\n    src_ref: https://opendev.org/starlingx/p/commit/{i:040x}\n    tag: stx.8.0.v1.{i}\n"
        ));
    }
    std::fs::write(dir.join("image-tags.yaml"), text).unwrap();
}

/// Regression (issue 12): human output of 2,500 bad entries took 3 s and of 5,000 over 20 s
/// (miette rescanned the file from its first byte for every label).
#[test]
fn human_output_grows_linearly_with_the_findings() {
    let ratio = growth_ratio(
        4_000,
        bad_entries,
        &["lint", "--max-findings", "0", "image-tags.yaml"],
    );
    assert!(
        ratio < LINEAR,
        "{GROWTH} times the findings multiplied the time by {ratio:.2}"
    );
}

/// The schema check is linear in the keys of a mapping (20k unknown keys took 12 s before it
/// was made linear; 100k did not finish).
#[test]
fn the_schema_check_grows_linearly_with_unknown_keys() {
    let unknown_keys = |dir: &Path, n: usize| {
        let mut text = String::from("images:\n  - name: docker.io/starlingx/x\n");
        for i in 0..n {
            text.push_str(&format!("    k{i}: v\n"));
        }
        std::fs::write(dir.join("image-tags.yaml"), text).unwrap();
    };
    let ratio = growth_ratio(
        25_000,
        unknown_keys,
        &[
            "lint",
            "--format",
            "json",
            "--max-findings",
            "0",
            "image-tags.yaml",
        ],
    );
    assert!(
        ratio < LINEAR,
        "{GROWTH} times the keys multiplied the time by {ratio:.2}"
    );
}

/// The number of JSON documents in `bytes` (0 when it is not JSON at all).
fn documents(bytes: &[u8]) -> usize {
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    let mut n = 0;
    for doc in stream {
        match doc {
            Ok(v) if v.is_object() => n += 1,
            _ => return 0,
        }
    }
    n
}

/// Regression (issue 12): `--format json` printed nothing on stdout when the run ended in an
/// error. Every JSON format prints exactly one object whatever happens.
#[test]
fn every_json_output_is_one_object_whatever_happens() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty-message"), "").unwrap();
    std::fs::write(d.join("bad.yaml"), "images: [\n").unwrap();
    std::fs::write(d.join("good.yaml"), "images: []\n").unwrap();
    std::fs::create_dir(d.join("bad-policy")).unwrap();
    std::fs::write(d.join("bad-policy/tagman.yaml"), "relase: 1\n").unwrap();
    let mut cases: Vec<Vec<&str>> = Vec::new();
    for format in ["json", "sarif", "zuul"] {
        cases.extend([
            vec!["commit-msg", "--format", format, "empty-message"],
            vec!["lint", "--format", format, "good.yaml"],
            vec!["lint", "--format", format, "bad.yaml"],
            vec!["lint", "--format", format, "missing.yaml"],
            vec!["lint", "--format", format, "--no-such-flag", "good.yaml"],
            vec!["lint", "--format", format, "--base", "HEAD", "good.yaml"],
            vec![
                "--config",
                "bad-policy/tagman.yaml",
                "lint",
                "--format",
                format,
                "good.yaml",
            ],
            vec![
                "refs",
                "--format",
                format,
                "--manifests",
                "good.yaml",
                "no-such-dir",
            ],
            vec![
                "refs",
                "--format",
                format,
                "--manifests",
                "missing.yaml",
                ".",
            ],
            vec![
                "add",
                "--format",
                format,
                "missing.yaml",
                "--name",
                "a",
                "--src-build-tag",
                "b",
                "--src-ref",
                "c",
                "--tag",
                "d",
            ],
        ]);
    }
    cases.push(vec!["diff", "--format", "json", "--base", "HEAD"]);
    for args in cases {
        let out = Command::new(tagman())
            .args(&args)
            .current_dir(d)
            .env_remove("TAGMAN_CONFIG")
            .output()
            .unwrap();
        assert_eq!(
            documents(&out.stdout),
            1,
            "{args:?} (exit {:?}) printed:\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
