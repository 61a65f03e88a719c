//! Scan speed: generates a 10,000-file, 200 MB tree in a temp dir and prints how long `tagman refs`
//! takes to walk, prefilter, extract and check it. It prints figures and asserts nothing about time.
//!
//! One file in 20 holds image references (every kind: plain, mirror, split form, placeholder,
//! implicit Docker Hub); three more in 20 mention the namespace only in a URL, so they pass the
//! prefilter and yield nothing; the rest never mention it.
//!
//! `cargo bench -p tagman-refs` (sizes can be changed with `TAGMAN_BENCH_FILES` and `TAGMAN_BENCH_MB`).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tagman_core::Policy;
use tagman_refs::{check, scan, Catalog, WalkOptions};

const KINDS: &[&str] = &["yaml", "py", "sh", "j2", "md", "txt", "tpl"];

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic xorshift, so every run scans the same tree.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: &[&str] = &[
    "image",
    "chart",
    "values",
    "kubernetes",
    "platform",
    "openstack",
    "helm",
    "override",
    "namespace",
    "deployment",
    "container",
    "registry",
    "starling",
    "armada",
    "sysinv",
    "config",
    "manifest",
    "version",
    "release",
    "docker.io/library/busybox:1.36",
    "quay.io/x/y:v1",
    "{{ .Values.tag }}",
    "${TAG}",
    "- name:",
    "key: value",
];

fn file_text(rng: &mut Rng, size: usize, with_refs: bool, with_url: bool) -> String {
    let mut text = String::with_capacity(size + 200);
    let mut line = 0usize;
    if with_url {
        // Mentions the namespace without an image reference: passes the prefilter, yields nothing.
        text.push_str(
            "# source: https://opendev.org/starlingx/root (see starlingx/root for the build)\n",
        );
    }
    while text.len() < size {
        line += 1;
        if with_refs && line.is_multiple_of(97) {
            let r = rng.next() % 5;
            let refline = match r {
                0 => "    image: docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2\n",
                1 => "FROM starlingx/stx-debian:master-debian-stable-latest\n",
                2 => "IMG=registry.local:9001/docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n",
                3 => "  repository: docker.io/starlingx/ceph-config-helper\n  tag: stx.9.0-v1.0.0\n",
                _ => "    'image': 'docker.io/starlingx/stx-oidc-client:stx.13.0-v1.0-@OS_CODENAME@',\n",
            };
            text.push_str(refline);
            continue;
        }
        let words = 6 + (rng.next() % 10) as usize;
        for i in 0..words {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[(rng.next() % WORDS.len() as u64) as usize]);
        }
        text.push('\n');
    }
    text
}

fn generate(root: &Path, files: usize, total_bytes: usize) -> (usize, u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let per_file = total_bytes / files;
    let mut written = 0u64;
    for i in 0..files {
        let dir = root.join(format!("d{:02}/s{:02}", i % 50, (i / 50) % 20));
        std::fs::create_dir_all(&dir).unwrap();
        // Sizes vary from half to one and a half times the mean.
        let size = per_file / 2 + (rng.next() % per_file as u64) as usize;
        let with_refs = i.is_multiple_of(20);
        let kind = KINDS[i % KINDS.len()];
        let with_url = i % 20 < 4;
        let text = file_text(&mut rng, size, with_refs, with_url);
        let path = dir.join(format!("f{i:05}.{kind}"));
        let mut f = std::fs::File::create(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        written += text.len() as u64;
    }
    (files, written)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and then a small tree
    // is enough to prove the benchmark still runs.
    let full = std::env::args().any(|a| a == "--bench");
    let files = env_or("TAGMAN_BENCH_FILES", if full { 10_000 } else { 200 });
    let mb = env_or("TAGMAN_BENCH_MB", if full { 200 } else { 4 });
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let (n, bytes) = generate(dir.path(), files, mb * 1024 * 1024);
    println!(
        "generated {n} files, {:.1} MB in {:.2} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let policy = Policy::defaults(dir.path().to_path_buf());
    let catalog = Catalog::default();
    let paths: Vec<PathBuf> = vec![dir.path().to_path_buf()];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut best = Duration::MAX;
    for run in 1..=3 {
        let t = Instant::now();
        let scanned = scan(&paths, &policy, &[], WalkOptions::default()).expect("scan");
        let report = check(&scanned, &policy, &catalog);
        let elapsed = t.elapsed();
        best = best.min(elapsed);
        let s = scanned.walked.stats;
        println!(
            "run {run}: {:.3} s, {} files, {:.1} MB, {} candidate files, {} diagnostics ({:.0} files/s, {:.0} MB/s)",
            elapsed.as_secs_f64(),
            s.files,
            s.bytes as f64 / 1e6,
            s.candidates,
            report.diagnostics.len(),
            s.files as f64 / elapsed.as_secs_f64(),
            s.bytes as f64 / 1e6 / elapsed.as_secs_f64()
        );
    }
    println!(
        "refs scan: best {:.3} s on {threads} thread(s) for {n} files / {:.0} MB ({:.0} files/s, {:.0} MB/s; goal <= 2 s on 2 cores)",
        best.as_secs_f64(),
        bytes as f64 / 1e6,
        n as f64 / best.as_secs_f64(),
        bytes as f64 / 1e6 / best.as_secs_f64()
    );
}
