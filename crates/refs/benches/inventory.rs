//! Inventory of what a release ships: generates 100 Debian packages of 20 Helm charts each (chart
//! tarballs with sub-charts, FluxCD HelmReleases and static overrides; `dpkg-deb --build`, xz),
//! then prints how long `tagman refs --inventory` takes on them and its peak RSS, beside
//! `dpkg-deb -x` extracting the same packages (outer layer only, charts left packed). Each side
//! runs in a child process of its own so getrusage's peak RSS is that side's alone. The same
//! packages are then put on an installer ISO (`xorriso -as mkisofs -R -J`) and the inventory of
//! the ISO is measured too. It prints figures and asserts nothing about time.
//!
//! `cargo bench -p tagman-refs --bench inventory` (`TAGMAN_BENCH_PACKAGES`, `TAGMAN_BENCH_CHARTS`;
//! `TAGMAN_BENCH_DEBS=DIR` measures packages kept from an earlier run). CPU seconds are printed
//! beside wall time, as they mean more on a shared machine.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tagman_core::Policy;
use tagman_refs::{inventory, scan, Catalog, WalkOptions};
use tagman_testkit::packages;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic filler text of about `size` bytes.
fn filler(seed: usize, size: usize) -> String {
    let words = [
        "config",
        "platform",
        "kubernetes",
        "service",
        "port",
        "replica",
        "probe",
        "volume",
    ];
    let mut s = String::with_capacity(size + 64);
    let mut i = seed;
    while s.len() < size {
        i = i
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push_str(&format!(
            "{}_{}: {}\n",
            words[(i >> 33) % words.len()],
            (i >> 40) % 1000,
            (i >> 20) % 100_000
        ));
    }
    s
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn tgz(dir: &Path, name: &str, out: &Path) {
    let file = std::fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(name, dir.join(name)).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

/// One chart of about 100 KB: values with managed and third-party images, templates, a config
/// file; every fifth chart has a sub-chart.
fn chart(work: &Path, pkg: usize, n: usize) -> PathBuf {
    let name = format!("app{pkg}-chart{n}");
    let dir = work.join("build");
    let c = dir.join(&name);
    write(
        &c.join("Chart.yaml"),
        &format!("apiVersion: v2\nname: {name}\nversion: 1.0.{n}\n"),
    );
    write(
        &c.join("values.yaml"),
        &format!(
            "image:\n  repository: docker.io/starlingx/{name}\n  tag: master-debian-stable-latest\nsidecar:\n  image: docker.io/starlingx/sidecar-{n}:stx.9.0-v1.{n}.0\ninit:\n  image: quay.io/jetstack/cert-manager-ctl:v1.{n}.1\nproxy:\n  image:\n    repository: docker.io/library/nginx\n    tag: \"1.{n}\"\n{}",
            filler(n, 3000)
        ),
    );
    for t in 0..5 {
        write(
            &c.join(format!("templates/t{t}.yaml")),
            &format!("spec:\n  image: \"{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}\"\n{}", filler(t, 4000)),
        );
    }
    write(&c.join("files/config.conf"), &filler(pkg * 100 + n, 70_000));
    if n.is_multiple_of(5) {
        let sub = c.join("charts/sub");
        write(
            &sub.join("Chart.yaml"),
            "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        );
        write(
            &sub.join("values.yaml"),
            "image:\n  repository: docker.io/starlingx/sub\n  tag: latest\n",
        );
        tgz(&c.join("charts"), "sub", &c.join("charts/sub-1.0.0.tgz"));
        std::fs::remove_dir_all(&sub).unwrap();
    }
    let out = work.join(format!("root/usr/lib/helm/{name}-1.0.{n}.tgz"));
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    tgz(&dir, &name, &out);
    std::fs::remove_dir_all(&dir).unwrap();
    let flux = work.join(format!("root/usr/lib/fluxcd/app{pkg}/{name}"));
    write(
        &flux.join("helmrelease.yaml"),
        &format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  chart:\n    spec:\n      chart: {name}\n"),
    );
    write(
        &flux.join(format!("{name}-static-overrides.yaml")),
        &format!("image:\n  repository: docker.io/starlingx/{name}\n  tag: stx.9.0-v1.0.{n}\n"),
    );
    out
}

fn generate(dir: &Path, packages: usize, charts: usize) -> Vec<PathBuf> {
    let mut debs = Vec::new();
    for p in 0..packages {
        let work = dir.join(format!("work{p}"));
        for n in 0..charts {
            chart(&work, p, n);
        }
        write(
            &work.join("root/DEBIAN/control"),
            &format!("Package: app{p}-helm\nVersion: 1.0-1\nArchitecture: all\nMaintainer: bench <b@example.invalid>\nDescription: bench\n"),
        );
        let deb = dir.join(format!("debs/app{p}-helm_1.0-1_all.deb"));
        std::fs::create_dir_all(deb.parent().unwrap()).unwrap();
        packages::run(
            Command::new("dpkg-deb")
                .args(["--root-owner-group", "--build"])
                .arg(work.join("root"))
                .arg(&deb),
        );
        std::fs::remove_dir_all(&work).unwrap();
        debs.push(deb);
    }
    debs
}

/// Child: the inventory of every package under `path` (a directory, or an ISO holding them).
fn child_inventory(path: &Path) {
    let policy = Policy::defaults(path.to_path_buf());
    let options = WalkOptions {
        all_images: true,
        ..WalkOptions::default()
    };
    let scanned = scan(&[path.to_path_buf()], &policy, &[], options).unwrap();
    let inv = inventory::build(&scanned, &Catalog::default(), &policy.codenames);
    let s = scanned.walked.stats;
    println!(
        "RESULT {} archives, {} nested, {} member files, {:.1} MB decompressed text read, {} images at {} locations, {} overridden defaults, {} errors, {} warnings",
        s.archives, s.nested_archives, s.members, s.bytes as f64 / 1e6, inv.summary.images, inv.summary.locations, scanned.overridden.len(),
        scanned.walked.errors.len(), scanned.walked.warnings.len()
    );
}

/// Child: `dpkg-deb -x` of every package, two at a time (tagman uses both cores too).
fn child_extract(dir: &Path, out: &Path) {
    let debs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for pair in debs.chunks(2) {
        let children: Vec<_> = pair
            .iter()
            .enumerate()
            .map(|(i, deb)| {
                let target = out.join(format!(
                    "{}-{i}",
                    deb.file_stem().unwrap().to_string_lossy()
                ));
                Command::new("dpkg-deb")
                    .arg("-x")
                    .arg(deb)
                    .arg(target)
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
    }
    println!("RESULT extracted {} packages", debs.len());
}

/// Runs this benchmark binary as a child in `mode`; returns (wall seconds, peak RSS MiB of the
/// child and its children, its RESULT line with the CPU seconds they used).
fn measure(mode: &str, args: &[&Path]) -> (f64, f64, String) {
    let exe = std::env::current_exe().unwrap();
    let t = Instant::now();
    let out = Command::new(exe)
        .env("TAGMAN_BENCH_CHILD", mode)
        .args(args)
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let cpu = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CPU "))
        .unwrap_or("?");
    let result = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or("");
    let line = format!("{cpu} s CPU; {result}");
    let rss = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MAXRSS "))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    (secs, rss / 1024.0, line)
}

fn main() {
    if let Ok(mode) = std::env::var("TAGMAN_BENCH_CHILD") {
        let args: Vec<PathBuf> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .map(PathBuf::from)
            .collect();
        match mode.as_str() {
            "inventory" => child_inventory(&args[0]),
            _ => child_extract(&args[0], &args[1]),
        }
        use nix::sys::resource::{getrusage, UsageWho};
        let own = getrusage(UsageWho::RUSAGE_SELF).unwrap();
        let kids = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
        println!("MAXRSS {}", own.max_rss().max(kids.max_rss()));
        let secs = |u: &nix::sys::resource::Usage| {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        };
        println!("CPU {:.3}", secs(&own) + secs(&kids));
        std::io::stdout().flush().unwrap();
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let packages = env_or("TAGMAN_BENCH_PACKAGES", if full { 100 } else { 3 });
    let charts = env_or("TAGMAN_BENCH_CHARTS", if full { 20 } else { 3 });
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    // TAGMAN_BENCH_DEBS: measure packages made by an earlier run (generating takes minutes).
    let debs = match std::env::var_os("TAGMAN_BENCH_DEBS") {
        Some(existing) => std::fs::read_dir(existing)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect(),
        None => generate(dir.path(), packages, charts),
    };
    let bytes: u64 = debs.iter().map(|d| d.metadata().unwrap().len()).sum();
    println!(
        "generated {packages} packages of {charts} charts ({:.1} MB of .deb) in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let debs_dir = debs[0].parent().unwrap().to_path_buf();
    let iso = packages::iso(&debs_dir, &dir.path().join("release.iso"), &["-R", "-J"]);
    let mut best = (f64::MAX, 0.0, String::new());
    let mut extract_best = (f64::MAX, 0.0, String::new());
    let mut iso_best = (f64::MAX, 0.0, String::new());
    for run in 1..=3 {
        let inv = measure("inventory", &[&debs_dir]);
        let on_iso = measure("inventory", &[&iso]);
        let out = dir.path().join(format!("extract{run}"));
        std::fs::create_dir_all(&out).unwrap();
        let ext = measure("extract", &[&debs_dir, &out]);
        std::fs::remove_dir_all(&out).unwrap();
        println!(
            "run {run}: tagman refs --inventory {:.3} s, peak RSS {:.0} MiB ({}); dpkg-deb -x {:.3} s, peak RSS {:.0} MiB ({})",
            inv.0, inv.1, inv.2, ext.0, ext.1, ext.2
        );
        if inv.0 < best.0 {
            best = inv;
        }
        println!(
            "run {run}: tagman refs --inventory of the ISO ({:.1} MB) {:.3} s, peak RSS {:.0} MiB ({})",
            iso.metadata().unwrap().len() as f64 / 1e6,
            on_iso.0,
            on_iso.1,
            on_iso.2
        );
        if ext.0 < extract_best.0 {
            extract_best = ext;
        }
        if on_iso.0 < iso_best.0 {
            iso_best = on_iso;
        }
    }
    println!(
        "inventory of {packages} packages x {charts} charts: best {:.3} s, peak RSS {:.0} MiB; dpkg-deb -x alone: best {:.3} s, peak RSS {:.0} MiB ({:.1}x {})",
        best.0,
        best.1,
        extract_best.0,
        extract_best.1,
        (extract_best.0 / best.0).max(best.0 / extract_best.0),
        if best.0 <= extract_best.0 { "faster" } else { "slower" }
    );
    println!(
        "the same packages on an ISO: best {:.3} s, peak RSS {:.0} MiB ({})",
        iso_best.0, iso_best.1, iso_best.2
    );
}
