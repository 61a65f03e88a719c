//! Whole-process `tagman lint` timings: a real StarlingX file, and generated manifests up to
//! 200,000 entries with peak memory. Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench -p tagman --bench lint`

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TAGMAN: &str = env!("CARGO_BIN_EXE_tagman");

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus/starlingx-root/manifests")
}

/// The longest real manifest in the corpus.
fn largest_real_file() -> Option<PathBuf> {
    std::fs::read_dir(corpus_dir())
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .max_by_key(|p| std::fs::read_to_string(p).map_or(0, |t| t.lines().count()))
}

/// Runs `program args` and returns the wall time and peak RSS in KiB (from /proc, polled).
fn run(program: &str, args: &[&str]) -> Option<(Duration, Option<u64>, i32)> {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = None;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(hwm) = text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                let kib = hwm
                    .trim()
                    .trim_end_matches(" kB")
                    .trim()
                    .parse::<u64>()
                    .ok();
                peak = peak.max(kib);
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => return None,
        }
    };
    Some((start.elapsed(), peak, status.code().unwrap_or(-1)))
}

fn stats(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    let median = times[times.len() / 2];
    let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
    (times[0], median, p90)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn find_tool(name: &str) -> Option<String> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/bin")
        .join(name);
    if venv.is_file() {
        return Some(venv.to_string_lossy().into_owned());
    }
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .ok()?;
    found
        .status
        .success()
        .then(|| String::from_utf8_lossy(&found.stdout).trim().to_owned())
}

fn generate(path: &Path, entries: usize) -> std::io::Result<()> {
    let mut text = String::with_capacity(entries * 240);
    text.push_str("images:\n");
    for i in 0..entries {
        text.push_str(&format!(
            "  - name: docker.io/starlingx/image-{i}\n    src_build_tag: master-debian-stable-20240719T060056Z.{}\n    src_ref: https://opendev.org/starlingx/project-{}/commit/{:040x}\n    tag: stx.10.0-v1.{}.{}\n",
            i % 10, i % 50, i as u128 * 7919, i / 1000, i % 1000
        ));
    }
    std::fs::write(path, text)
}

fn main() {
    println!("tagman lint benchmark (whole process, release build: {TAGMAN})");
    if let Some(real) = largest_real_file() {
        let lines = std::fs::read_to_string(&real).map_or(0, |t| t.lines().count());
        let file = real.to_string_lossy().into_owned();
        let args = ["lint", "--format", "json", file.as_str()];
        for _ in 0..5 {
            let _ = run(TAGMAN, &args);
        }
        let times: Vec<Duration> = (0..100)
            .filter_map(|_| run(TAGMAN, &args).map(|r| r.0))
            .collect();
        let (min, median, p90) = stats(times);
        // What starting any process costs on this machine, so tagman's own share can be read off.
        let baseline: Vec<Duration> = (0..100)
            .filter_map(|_| run("true", &[]).map(|r| r.0))
            .collect();
        let (_, baseline_median, _) = stats(baseline);
        // And what tagman costs doing nothing: the goal is a real file within ~1 ms of it.
        let version: Vec<Duration> = (0..100)
            .filter_map(|_| run(TAGMAN, &["--version"]).map(|r| r.0))
            .collect();
        let (_, version_median, _) = stats(version);
        println!(
            "real file {} ({lines} lines): median {:.2} ms, min {:.2} ms, p90 {:.2} ms over 100 runs (goal ≤ 5 ms median)",
            real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            ms(median), ms(min), ms(p90)
        );
        println!(
            "  spawning `true` takes {:.2} ms (median of 100) here, so tagman's own share is about {:.2} ms",
            ms(baseline_median),
            ms(median.saturating_sub(baseline_median))
        );
        println!(
            "  `tagman --version` takes {:.2} ms: linting the file costs {:.2} ms more (goal ≤ 1 ms)",
            ms(version_median),
            ms(median.saturating_sub(version_median))
        );
        match (find_tool("yamllint"), find_tool("check-jsonschema")) {
            (Some(yamllint), Some(check)) => {
                let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/image-tags.schema.json");
                let schema = schema.to_string_lossy().into_owned();
                let times: Vec<Duration> = (0..10)
                    .filter_map(|_| {
                        let a = run(&yamllint, &["-d", "relaxed", &file])?;
                        let b = run(&check, &["--schemafile", &schema, &file])?;
                        Some(a.0 + b.0)
                    })
                    .collect();
                let (_, their_median, _) = stats(times);
                println!(
                    "yamllint + check-jsonschema on the same file: median {:.1} ms over 10 runs; tagman is {:.0}x faster",
                    ms(their_median),
                    their_median.as_secs_f64() / median.as_secs_f64()
                );
            }
            _ => println!("yamllint / check-jsonschema not installed: no comparison (pip install yamllint check-jsonschema)"),
        }
    } else {
        println!(
            "corpus not found at {}: skipping the real-file figure",
            corpus_dir().display()
        );
    }

    let dir = std::env::temp_dir().join(format!("tagman-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        println!("cannot create {}", dir.display());
        return;
    }
    let mut per_entry = Vec::new();
    for entries in [25_000usize, 50_000, 100_000, 200_000] {
        let path = dir.join(format!("image-tags-{entries}.yaml"));
        if generate(&path, entries).is_err() {
            println!("cannot write {}", path.display());
            continue;
        }
        let size_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
        let file = path.to_string_lossy().into_owned();
        let args = [
            "lint",
            "--format",
            "json",
            "--max-file-size",
            "1000000000",
            file.as_str(),
        ];
        let runs: Vec<(Duration, Option<u64>, i32)> =
            (0..3).filter_map(|_| run(TAGMAN, &args)).collect();
        let code = runs.first().map_or(-1, |r| r.2);
        let peak = runs.iter().filter_map(|r| r.1).max().unwrap_or(0);
        let (_, median, _) = stats(runs.iter().map(|r| r.0).collect());
        per_entry.push(median.as_secs_f64() / entries as f64 * 1e6);
        println!(
            "generated {entries:>7} entries ({size_mb:.1} MB): median {:.0} ms over 3 runs, peak RSS {:.0} MB, exit {code}{}",
            ms(median),
            peak as f64 / 1024.0,
            if entries == 200_000 { " (goal ≤ 1500 ms, ≤ 600 MB)" } else { "" }
        );
    }
    println!(
        "time per entry (µs) by size: {}  (flat = linear growth)",
        per_entry
            .iter()
            .map(|v| format!("{v:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
