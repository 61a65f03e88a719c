//! Seeds a local registry with a small image for every source build that tag manifests name,
//! so `tagman apply` can be tried without real images: `seed HOST:PORT MANIFEST…` (plain HTTP).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs
)]

#[allow(dead_code)]
#[path = "../tests/registry/images.rs"]
mod images;

use std::collections::BTreeSet;

use tagman_apply::plan::PlanItem;
use tagman_core::yaml::Limits;
use tagman_core::Manifest;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let host = args.next().expect("usage: seed HOST:PORT MANIFEST…");
    let client = images::plain_client(&host);
    let mut seen = BTreeSet::new();
    for path in args {
        let manifest = Manifest::read(path.as_ref(), &Limits::default()).unwrap();
        for item in PlanItem::from_manifest(&manifest) {
            let name = images::name(&host, item.name.repository());
            if seen.insert((name.clone(), item.src_build_tag.clone())) {
                let seed = format!("{name}:{}", item.src_build_tag);
                images::push(
                    &client,
                    &name,
                    &item.src_build_tag,
                    images::Kind::OciIndex,
                    &seed,
                )
                .await;
            }
        }
    }
    eprintln!("seeded {} source build(s) into {host}", seen.len());
}
