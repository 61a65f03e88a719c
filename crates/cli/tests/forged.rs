//! Output no input can forge (issue 20): file names, archive member names, chart names and
//! manifest values holding ESC sequences, CR, LF, `|` and spreadsheet formulas go through every
//! output format of `refs`, `refs --inventory` and `lint` without a raw control byte; JSON, SARIF
//! and Zuul stay one valid document, no CSV cell can run as a formula, Markdown rows keep their
//! columns; and a member name of a mebibyte gives bounded output in every format.

#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::Command as StdCommand;

use serde_json::Value;

use crate::support::tagman_in;

/// What a hostile name holds: a screen clear, a colour, a title change, a carriage return and a
/// line feed (forging a line), a pipe and a formula start.
const EVIL: &str = "=cmd|\u{1b}[2J\u{1b}[31m\u{1b}]0;pwned\u{7}\r\nFAKE: line|x";

/// The raw control bytes (C0 but line feed, DEL, C1) in `text`.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

/// A tree of hostile names: a file on disk, and a chart tarball whose member names and chart
/// name are hostile, each with a floating reference.
fn hostile_tree(dir: &Path) {
    let body = "image: docker.io/starlingx/dex:latest # \u{1b}[41mred\n";
    std::fs::write(dir.join(format!("{EVIL}.yaml")), body).unwrap();
    let chart = dir.join("src/chart");
    std::fs::create_dir_all(&chart).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: =HYPERLINK(\"http://x\")|y\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), body).unwrap();
    std::fs::write(chart.join(format!("{EVIL}-values.yaml")), body).unwrap();
    let out = StdCommand::new("tar")
        .arg("-czf")
        .arg(dir.join("chart.tgz"))
        .arg("-C")
        .arg(dir.join("src"))
        .arg("chart")
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::remove_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("tags.yaml"), "images: []\n").unwrap();
    // A manifest whose values hold escapes YAML decodes (`\e`, `\r`, `\n`) for lint.
    std::fs::create_dir_all(dir.join("lint")).unwrap();
    std::fs::write(
        dir.join("lint/image-tags.yaml"),
        "images:\n  - name: \"docker.io/starlingx/\\e[31mx\\r\\nFAKE\"\n    src_build_tag: \"\\e]0;t\\a\"\n",
    )
    .unwrap();
}

fn run(dir: &Path, args: &[&str]) -> (String, String) {
    let out = tagman_in(dir).args(args).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The number of JSON documents in `text` (0 when it is not JSON).
fn documents(text: &str) -> usize {
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut n = 0;
    for doc in stream {
        match doc {
            Ok(_) => n += 1,
            Err(_) => return 0,
        }
    }
    n
}

/// Cells of a CSV line (RFC 4180 quoting).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// Pipes in a Markdown line that are not escaped: the row's cell borders.
fn borders(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

#[test]
fn hostile_names_and_values_reach_no_output_raw() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    hostile_tree(d);
    let mut seen_formula = false;
    let refs = [
        "refs",
        "--no-history",
        "--manifests",
        "tags.yaml",
        "--format",
    ];
    for format in ["human", "json", "github", "sarif", "zuul"] {
        let args: Vec<&str> = refs.iter().copied().chain([format, "."]).collect();
        let (stdout, stderr) = run(d, &args);
        assert!(
            stdout.contains("dex"),
            "{format}: no finding:\n{stdout}{stderr}"
        );
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert_eq!(
                raw_controls(text),
                Vec::<char>::new(),
                "refs {format} {what}:\n{text}"
            );
        }
        assert!(
            !stdout.lines().any(|l| l.starts_with("FAKE")),
            "{format}: a forged line"
        );
        if format != "human" && format != "github" {
            assert_eq!(documents(&stdout), 1, "{format}:\n{stdout}");
        }
    }
    let inventory = [
        "refs",
        "--inventory",
        "--manifests",
        "tags.yaml",
        "--format",
    ];
    for format in ["human", "json", "csv", "markdown"] {
        let args: Vec<&str> = inventory.iter().copied().chain([format, "."]).collect();
        let (stdout, stderr) = run(d, &args);
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert_eq!(
                raw_controls(text),
                Vec::<char>::new(),
                "inventory {format} {what}:\n{text}"
            );
        }
        match format {
            "json" => assert_eq!(documents(&stdout), 1),
            "csv" => {
                for line in stdout.lines() {
                    for cell in csv_cells(line) {
                        assert!(!cell.starts_with(['=', '+', '-', '@']), "formula: {line}");
                        seen_formula |= cell.starts_with("'=");
                    }
                }
            }
            "markdown" => {
                for line in stdout.lines().filter(|l| l.starts_with('|')) {
                    assert_eq!(borders(line), 7, "a row's columns: {line}");
                }
            }
            _ => {}
        }
    }
    assert!(seen_formula, "the hostile names reached the CSV, disarmed");
    for format in ["human", "github", "json"] {
        let (stdout, stderr) = run(d, &["lint", "--format", format, "lint/image-tags.yaml"]);
        assert!(!stdout.is_empty(), "lint {format}: no output");
        for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert_eq!(
                raw_controls(text),
                Vec::<char>::new(),
                "lint {format} {what}:\n{text}"
            );
        }
    }
}

/// Regression (issue 20): a 1.4 KB `.tgz` with a 1 MiB member name and 1,000 references gave
/// about 1 GB of output in every format. Names are cut at 1 KiB: every format stays under 10 MB.
#[test]
fn a_mebibyte_member_name_gives_bounded_output_in_every_format() {
    use tagman_testkit::hostile;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tgz = hostile::long_name_tgz(1024 * 1024, 1000);
    hostile::write(&d.join("long.tgz"), &tgz);
    std::fs::write(d.join("tags.yaml"), "images: []\n").unwrap();
    let mut figures = Vec::new();
    for (inventory, format) in [
        (false, "human"),
        (false, "json"),
        (false, "github"),
        (false, "sarif"),
        (false, "zuul"),
        (true, "human"),
        (true, "json"),
        (true, "csv"),
        (true, "markdown"),
    ] {
        let mut args = vec!["refs", "--no-history", "--manifests", "tags.yaml"];
        if inventory {
            args.push("--inventory");
        }
        args.extend(["--format", format, "long.tgz"]);
        let out = tagman_in(d).args(&args).output().unwrap();
        let size = out.stdout.len() + out.stderr.len();
        assert!(size < 10_000_000, "{args:?}: {size} bytes");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("nnnn"),
            "{args:?}: the member is read"
        );
        figures.push(format!(
            "{}{format}: {size}",
            if inventory { "inventory " } else { "" }
        ));
    }
    println!(
        "{} bytes of .tgz; output bytes: {}",
        tgz.len(),
        figures.join(", ")
    );
}

/// Regression (issue 20): a bump killed between create and rename left `.tagman-*.tmp` behind;
/// `refs` scanned it and a rerun kept it. Now the walk skips tagman's temp files and a bump
/// removes those of writers no longer running.
#[test]
fn a_killed_bumps_temp_file_is_not_scanned_and_the_next_bump_removes_it() {
    let dir = tagman_testkit::tree::copy_to_temp(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/refs/tree"),
    );
    // No process has this id (over Linux's pid_max): its writer is gone.
    let stale = dir.path().join("k8s/.tagman-999999999-Ab3dE9.tmp");
    std::fs::write(&stale, "image: docker.io/starlingx/dex:latest\n").unwrap();
    let (stdout, _) = run(dir.path(), &["refs", "--no-history", "--format", "json"]);
    assert!(!stdout.contains(".tagman-"), "{stdout}");
    let out = tagman_in(dir.path())
        .args(["refs", "--bump", "docker.io/starlingx/dex=stx.9.0-v2.40.0"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stale.exists(), "the stale temp file is removed");
}

/// Regression (issue 20): `TAGMAN_CONFIG` naming a FIFO blocked for ever; `refs --inventory
/// --format json` printed two documents when a budget broke.
#[test]
fn a_fifo_config_is_refused_and_an_inventory_is_one_document_whatever_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("fifo.yaml");
    assert!(StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::write(d.join("tags.yaml"), "images: []\n").unwrap();
    let out = tagman_in(d)
        .env("TAGMAN_CONFIG", &fifo)
        .args(["lint", "tags.yaml"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));

    let zeros = tagman_testkit::hostile::zeros_tar(1, 1024 * 1024);
    let tgz = tagman_testkit::hostile::compress("gzip", &["-1"], zeros);
    tagman_testkit::hostile::write(&d.join("bomb.tgz"), &tgz);
    let (stdout, stderr) = run(
        d,
        &[
            "refs",
            "--inventory",
            "--format",
            "json",
            "--manifests",
            "tags.yaml",
            "--archive-max-total",
            "100000",
            "bomb.tgz",
        ],
    );
    assert!(stderr.contains("budget"), "{stderr}");
    assert_eq!(documents(&stdout), 1, "{stdout}");
}
