//! Benchmark: `tagman apply` (the library's executor) against a local registry, beside a
//! `skopeo copy --all --preserve-digests` loop doing the same retags, on loopback and behind a
//! proxy that delays every request by 20 ms. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p tagman-apply --bench apply`. Environment: `TAGMAN_BENCH_SIZES` (default
//! `100,1000`), `TAGMAN_BENCH_SKOPEO_MAX` (largest size the skopeo loop runs at, default 100 behind
//! the delay proxy and 1000 on loopback; 0 turns skopeo off), `TAGMAN_BENCH_JOBS` (default 8).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

#[allow(dead_code)]
#[path = "../tests/registry/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/registry/images.rs"]
mod images;
#[allow(dead_code)]
#[path = "../tests/registry/proxy.rs"]
mod proxy;
#[allow(dead_code)]
#[path = "../tests/registry/servers.rs"]
mod servers;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt as _};
use tagman_apply::plan::{Action, PlanItem};
use tagman_apply::{run, Client, Options, RetryPolicy, TransportConfig};

use harness::Registry;
use images::Kind;
use proxy::{FaultConfig, Proxy};

const PER_REPOSITORY: usize = 50;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name).ok().map_or_else(
        || default.to_vec(),
        |v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
    )
}

/// Seeds `n` distinct source builds straight into the registry; returns the plan naming them
/// through `host` (the registry itself or the delay proxy).
async fn seed(registry: &Registry, host: &str, n: usize, round: usize) -> Vec<PlanItem> {
    let seeder = images::plain_client(&registry.host());
    let repositories = n.div_ceil(PER_REPOSITORY);
    let seeder = &seeder;
    stream::iter(0..repositories)
        .for_each_concurrent(8, |r| async move {
            let name = images::name(&registry.host(), &format!("bench{round}/app{r}"));
            let base =
                images::push(seeder, &name, "base", Kind::Oci, &format!("{round}-{r}")).await;
            for i in (r * PER_REPOSITORY)..((r + 1) * PER_REPOSITORY).min(n) {
                images::push_variant(seeder, &name, &format!("build-{i}"), &base, i).await;
            }
        })
        .await;
    (0..n)
        .map(|i| PlanItem {
            name: images::name(host, &format!("bench{round}/app{}", i / PER_REPOSITORY)),
            src_build_tag: format!("build-{i}"),
            tag: format!("stx.10.0-v{i}"),
            origin: None,
        })
        .collect()
}

struct Figure {
    seconds: f64,
    per_entry: f64,
}

async fn tagman(client: &Client, plan: &[PlanItem], want: Action, jobs: usize) -> Figure {
    let before = client.transport().stats().snapshot().requests;
    let start = Instant::now();
    let options = Options {
        jobs,
        ..Options::default()
    };
    let outcomes = run(client, plan.to_vec(), &options, |_| {}).await;
    let seconds = start.elapsed().as_secs_f64();
    let bad = outcomes.iter().filter(|o| o.action != want).count();
    assert_eq!(bad, 0, "{bad} entries did not end {want}");
    let requests = client.transport().stats().snapshot().requests - before;
    Figure {
        seconds,
        per_entry: requests as f64 / plan.len() as f64,
    }
}

fn api_lines(registry: &Registry) -> usize {
    registry
        .access_log()
        .lines()
        .filter(|l| l.contains(" /v2/"))
        .count()
}

fn skopeo(registry: &Registry, host: &str, plan: &[PlanItem]) -> Figure {
    let before = api_lines(registry);
    let start = Instant::now();
    for item in plan {
        let repository = item.name.repository();
        let status = Command::new("skopeo")
            .args(["copy", "--all", "--preserve-digests", "--quiet"])
            .args(["--src-tls-verify=false", "--dest-tls-verify=false"])
            .arg(format!(
                "docker://{host}/{repository}:{}",
                item.src_build_tag
            ))
            .arg(format!("docker://{host}/{repository}:skopeo-{}", item.tag))
            .stdout(Stdio::null())
            .status()
            .expect("skopeo is needed: apt-get install skopeo");
        assert!(status.success());
    }
    let seconds = start.elapsed().as_secs_f64();
    // The registry logs a request just after answering it: read until the count holds still.
    let mut lines = api_lines(registry);
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let now = api_lines(registry);
        if now == lines {
            break;
        }
        lines = now;
    }
    Figure {
        seconds,
        per_entry: (lines - before) as f64 / plan.len() as f64,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this as a quick smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let sizes = if smoke {
        vec![10]
    } else {
        env_list("TAGMAN_BENCH_SIZES", &[100, 1000])
    };
    let skopeo_installed = Command::new("skopeo").arg("--version").output().is_ok();
    let jobs = env_list("TAGMAN_BENCH_JOBS", &[8])
        .first()
        .copied()
        .unwrap_or(8);
    println!(
        "tagman apply benchmark: --jobs {jobs}, {} cores, debug build: {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cfg!(debug_assertions)
    );
    let mut round = 0;
    for (label, delay) in [
        ("loopback", Duration::ZERO),
        ("20ms-proxy", Duration::from_millis(20)),
    ] {
        let skopeo_max = env_list(
            "TAGMAN_BENCH_SKOPEO_MAX",
            &[if delay.is_zero() { 1000 } else { 100 }],
        )
        .first()
        .copied()
        .unwrap_or(0);
        let registry = Registry::start();
        let proxy = Proxy::start(
            registry.addr,
            FaultConfig {
                delay,
                ..FaultConfig::default()
            },
        )
        .await;
        let host = if delay.is_zero() {
            registry.host()
        } else {
            proxy.host()
        };
        let client = Client::new(TransportConfig {
            insecure_registries: vec![host.clone()],
            retry: RetryPolicy::default(),
            ..TransportConfig::default()
        })
        .unwrap();
        for &n in &sizes {
            round += 1;
            let plan = seed(&registry, &host, n, round).await;
            let created = tagman(&client, &plan, Action::Created, jobs).await;
            let unchanged = tagman(&client, &plan, Action::Unchanged, jobs).await;
            print!(
                "{label:<10} {n:>5} entries | tagman created {:>7.3} s {:.2} req/entry | unchanged rerun {:>7.3} s {:.2} req/entry",
                created.seconds, created.per_entry, unchanged.seconds, unchanged.per_entry
            );
            if skopeo_installed && n <= skopeo_max && !smoke {
                let s = skopeo(&registry, &host, &plan);
                println!(
                    " | skopeo loop {:>7.3} s {:.2} req/entry | tagman {:.1}x faster",
                    s.seconds,
                    s.per_entry,
                    s.seconds / created.seconds
                );
            } else {
                println!(" | skopeo loop not run (TAGMAN_BENCH_SKOPEO_MAX={skopeo_max})");
            }
        }
    }
}
