//! Retag semantics: created, unchanged (no PUT), conflict (tag untouched), forced, source-missing,
//! dry run, each manifest kind byte for byte, and promotion with `--to`.

use std::process::Command;

use tagman_apply::auth::Access;
use tagman_apply::plan::{Action, Location};
use tagman_apply::{run, Options};

use crate::harness::Registry;
use crate::images::{self, Kind};
use crate::item;

fn skopeo_raw(host: &str, repository: &str, tag: &str) -> Vec<u8> {
    let output = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{host}/{repository}:{tag}"))
        .output()
        .expect("skopeo is needed by these tests: apt-get install skopeo");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_is_retagged_byte_for_byte_and_rerun_writes_nothing() {
    let registry = Registry::start();
    let host = registry.host();
    let client = images::plain_client(&host);
    let kinds = [
        ("v2s2", Kind::DockerV2),
        ("oci", Kind::Oci),
        ("index", Kind::OciIndex),
        ("list", Kind::DockerList),
    ];
    let mut plan = Vec::new();
    let mut sources = Vec::new();
    for (repo, kind) in kinds {
        let name = images::name(&host, &format!("starlingx/{repo}"));
        sources.push(images::push(&client, &name, "master-build-1", kind, repo).await);
        plan.push(item(&name, "master-build-1", "stx.10.0-v1"));
    }
    let before = client.transport().stats().snapshot();
    registry.settle(before.requests);
    let puts_before = registry.count("PUT");

    let outcomes = run(&client, plan.clone(), &Options::default(), |_| {}).await;
    let after = client.transport().stats().snapshot();
    for (outcome, source) in outcomes.iter().zip(&sources) {
        assert_eq!(outcome.action, Action::Created, "{outcome:?}");
        assert_eq!(outcome.digest.as_deref(), Some(source.digest.as_str()));
        let mut tries = 0;
        let stored = client
            .get_manifest(&outcome.target, "stx.10.0-v1", Access::Pull, &mut tries)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.bytes, source.bytes,
            "bytes differ for {}",
            outcome.target
        );
        assert_eq!(stored.media_type, source.media_type);
        let raw = skopeo_raw(&host, outcome.target.repository(), "stx.10.0-v1");
        assert_eq!(
            raw,
            source.bytes.to_vec(),
            "skopeo --raw differs for {}",
            outcome.target
        );
    }
    assert_eq!(
        after.requests - before.requests,
        3 * 4,
        "3 requests per created tag"
    );
    assert_eq!(after.writes - before.writes, 4, "one PUT per created tag");

    let reads = client.transport().stats().snapshot();
    registry.settle(reads.requests);
    let puts_after_create = registry.count("PUT");
    assert_eq!(puts_after_create - puts_before, 4);
    let outcomes = run(&client, plan, &Options::default(), |_| {}).await;
    assert!(
        outcomes.iter().all(|o| o.action == Action::Unchanged),
        "{outcomes:?}"
    );
    let rerun = client.transport().stats().snapshot();
    assert_eq!(
        rerun.requests - reads.requests,
        2 * 4,
        "2 requests per unchanged tag"
    );
    registry.settle(rerun.requests);
    assert_eq!(
        registry.count("PUT"),
        puts_after_create,
        "an unchanged rerun makes no PUT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_leaves_the_tag_and_force_overwrites_only_named_images() {
    let registry = Registry::start();
    let host = registry.host();
    let client = images::plain_client(&host);
    let a = images::name(&host, "starlingx/a");
    let b = images::name(&host, "starlingx/b");
    let mut old = Vec::new();
    let mut new = Vec::new();
    for name in [&a, &b] {
        new.push(images::push(&client, name, "build-2", Kind::Oci, &format!("{name}-new")).await);
        old.push(
            images::push(
                &client,
                name,
                "stx.9.0-v1",
                Kind::Oci,
                &format!("{name}-old"),
            )
            .await,
        );
    }
    let plan = vec![
        item(&a, "build-2", "stx.9.0-v1"),
        item(&b, "build-2", "stx.9.0-v1"),
    ];
    registry.settle(client.transport().stats().snapshot().requests);
    let puts = registry.count("PUT");

    let outcomes = run(&client, plan.clone(), &Options::default(), |_| {}).await;
    registry.settle(client.transport().stats().snapshot().requests);
    for ((outcome, old), new) in outcomes.iter().zip(&old).zip(&new) {
        assert_eq!(outcome.action, Action::Conflict);
        assert_eq!(outcome.digest.as_deref(), Some(new.digest.as_str()));
        assert_eq!(
            outcome.previous_digest.as_deref(),
            Some(old.digest.as_str())
        );
        assert!(!outcome.action.is_ok());
    }
    assert_eq!(registry.count("PUT"), puts, "a conflict writes nothing");

    let options = Options {
        force: vec![a.clone()],
        ..Options::default()
    };
    let outcomes = run(&client, plan, &options, |_| {}).await;
    assert_eq!(outcomes[0].action, Action::Forced);
    assert_eq!(
        outcomes[0].previous_digest.as_deref(),
        Some(old[0].digest.as_str())
    );
    assert_eq!(outcomes[1].action, Action::Conflict);
    let mut tries = 0;
    let a_now = client
        .head_manifest(&a, "stx.9.0-v1", Access::Pull, &mut tries)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a_now.digest, new[0].digest);
    let b_now = client
        .head_manifest(&b, "stx.9.0-v1", Access::Pull, &mut tries)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        b_now.digest, old[1].digest,
        "an image not named by --force keeps its tag"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_missing_and_dry_run_plan_words() {
    let registry = Registry::start();
    let host = registry.host();
    let client = images::plain_client(&host);
    let name = images::name(&host, "starlingx/x");
    let built = images::push(&client, &name, "build-1", Kind::DockerV2, "x1").await;
    images::push(&client, &name, "build-2", Kind::DockerV2, "x2").await;
    images::push_variant(&client, &name, "done", &built, 0).await;
    let mut tries = 0;
    client
        .put_manifest(&name, "same", &built, &mut tries)
        .await
        .unwrap();
    let plan = vec![
        item(&name, "build-1", "new"),
        item(&name, "build-1", "same"),
        item(&name, "build-2", "done"),
        item(&name, "no-such-build", "other"),
    ];
    registry.settle(client.transport().stats().snapshot().requests);
    let writes = || registry.count("PUT") + registry.count("POST") + registry.count("DELETE");
    let puts = writes();
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let outcomes = run(&client, plan.clone(), &dry, |_| {}).await;
    let words: Vec<_> = outcomes.iter().map(|o| o.action.as_str()).collect();
    assert_eq!(
        words,
        ["would-create", "unchanged", "conflict", "source-missing"]
    );
    registry.settle(client.transport().stats().snapshot().requests);
    assert_eq!(writes(), puts, "a dry run only reads");

    let outcomes = run(&client, plan, &Options::default(), |_| {}).await;
    let words: Vec<_> = outcomes.iter().map(|o| o.action.as_str()).collect();
    assert_eq!(
        words,
        ["created", "unchanged", "conflict", "source-missing"]
    );
    assert!(client
        .head_manifest(&name, "other", Access::Pull, &mut tries)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_to_another_repository_and_registry_keeps_digests() {
    let first = Registry::start();
    let second = Registry::start();
    let client = tagman_apply::Client::new(tagman_apply::TransportConfig {
        insecure_registries: vec![first.host(), second.host()],
        retry: images::fast_retry(),
        ..tagman_apply::TransportConfig::default()
    })
    .unwrap();
    let name = images::name(&first.host(), "starlingx/multi");
    let index = images::push(&client, &name, "build-1", Kind::OciIndex, "multi").await;
    let plan = vec![item(&name, "build-1", "stx.10.0-v1")];
    for to in [format!("{}/release", first.host()), second.host()] {
        let options = Options {
            to: Some(Location::parse(&to).unwrap()),
            ..Options::default()
        };
        let outcomes = run(&client, plan.clone(), &options, |_| {}).await;
        assert_eq!(
            outcomes[0].action,
            Action::Created,
            "{:?}",
            outcomes[0].error
        );
        let target = &outcomes[0].target;
        assert!(target.to_string().starts_with(&to), "{target}");
        let raw = skopeo_raw(target.registry(), target.repository(), "stx.10.0-v1");
        assert_eq!(raw, index.bytes.to_vec());
        // The copy is complete: skopeo can read every platform's config from the target.
        let output = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--override-arch", "arm64"])
            .arg(format!("docker://{target}:stx.10.0-v1"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(first.count("POST") > 0);
    assert!(
        first.access_log().contains("mount="),
        "same registry: blobs are mounted, not copied"
    );
}
