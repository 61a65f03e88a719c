//! Real data: StarlingX's tag files, every version from 2020 to 2024, applied in order to a local
//! registry through `--registry-map`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use futures_util::stream::{self, StreamExt as _};
use tagman_apply::plan::{Action, PlanItem, RegistryMap};
use tagman_apply::{run, Options};
use tagman_core::yaml::Limits;
use tagman_core::Manifest;

use crate::harness::Registry;
use crate::images::{self, Kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starlingx_history_replays_without_a_conflict() {
    // A missing corpus fails here, loudly: it is part of the repository.
    let files: Vec<PathBuf> = tagman_testkit::corpus::manifest_paths();
    let plans: Vec<Vec<PlanItem>> = files
        .iter()
        .map(|f| PlanItem::from_manifest(&Manifest::read(f, &Limits::default()).unwrap()))
        .collect();
    assert_eq!(plans.len(), tagman_testkit::corpus::FILE_VERSIONS);

    let registry = Registry::start();
    let host = registry.host();
    let client = images::plain_client(&host);
    let mut map = RegistryMap::default();
    let mut registries = BTreeSet::new();
    let mut sources = BTreeSet::new();
    // Seed every source build the history names: one base image per repository, then a cheap
    // distinct manifest per build tag.
    for item in plans.iter().flatten() {
        if registries.insert(item.name.registry().to_owned()) {
            map.push(&format!("{}={host}", item.name.registry()))
                .unwrap();
        }
        sources.insert((map.resolve(&item.name), item.src_build_tag.clone()));
    }
    let mut by_repository: std::collections::BTreeMap<_, Vec<_>> = Default::default();
    for (n, (name, src)) in sources.into_iter().enumerate() {
        by_repository.entry(name).or_default().push((n, src));
    }
    let client = &client;
    stream::iter(by_repository)
        .for_each_concurrent(16, |(name, builds)| async move {
            let base = images::push(client, &name, "base", Kind::Oci, &name.to_string()).await;
            for (n, src) in builds {
                images::push_variant(client, &name, &src, &base, n).await;
            }
        })
        .await;
    let options = Options {
        registry_map: map,
        jobs: 16,
        ..Options::default()
    };
    // Each version applies what it adds or changes against the versions before it (what
    // `--changed-since` does in CI); the last version is then applied whole again.
    let last = plans.last().cloned().unwrap_or_default();
    let mut applied = BTreeSet::new();
    let mut created = BTreeSet::new();
    let mut entries = 0;
    for (file, plan) in files.iter().zip(plans) {
        let plan: Vec<PlanItem> = plan
            .into_iter()
            .filter(|i| applied.insert((i.name.clone(), i.src_build_tag.clone(), i.tag.clone())))
            .collect();
        entries += plan.len();
        for outcome in run(client, plan, &options, |_| {}).await {
            assert!(
                matches!(outcome.action, Action::Created | Action::Unchanged),
                "{}: {} {} → {:?} {:?}",
                file.display(),
                outcome.item.name,
                outcome.item.tag,
                outcome.action,
                outcome.error
            );
            if outcome.action == Action::Created {
                assert!(created.insert((outcome.target.clone(), outcome.item.tag.clone())));
            }
        }
    }
    // 3,892 entries over 147 file versions name 206 distinct tags, each created once; no tag was
    // ever re-pointed at another build, so nothing conflicts.
    assert_eq!(created.len(), 206, "{entries} entries applied");
    let before = client.transport().stats().snapshot();
    let rerun = run(client, last.clone(), &options, |_| {}).await;
    assert!(rerun.iter().all(|o| o.action == Action::Unchanged));
    let writes = client.transport().stats().snapshot().writes - before.writes;
    assert_eq!(writes, 0, "the latest file applied again writes nothing");
}
