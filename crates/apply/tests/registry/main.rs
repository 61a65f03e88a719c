//! Registry tests: tagman-apply against a real registry process (CNCF distribution 2.8) that the
//! harness starts on loopback, with faults from a proxy the harness owns. No test leaves loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod harness;
mod images;
mod proxy;
mod servers;

mod auth;
mod corpus;
mod faults;
mod hostile;
mod retag;

use tagman_apply::plan::PlanItem;
use tagman_core::reference::ImageName;

/// A plan entry.
pub fn item(name: &ImageName, src_build_tag: &str, tag: &str) -> PlanItem {
    PlanItem {
        name: name.clone(),
        src_build_tag: src_build_tag.to_owned(),
        tag: tag.to_owned(),
        origin: None,
    }
}
