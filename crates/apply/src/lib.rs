//! tagman-apply: a small OCI distribution / Docker registry v2 client and the retag executor.
//!
//! A retag copies a manifest's exact bytes from the source tag to the new tag, so the digest (and
//! every platform of a multi-arch index) is preserved and no layer moves. A published tag is never
//! overwritten unless forced. Modules, in the order a request flows:
//! [`plan`] (entries, outcomes) and [`map`] (registry maps, `--to`) → [`run`] (the executor) →
//! [`client`] (one function per registry operation) → [`urls`] (pure URL builders) →
//! [`transport`] (auth in one place, each registry's [`breaker`], over `tagman-net`'s one retry
//! loop, TLS setup, clock, bounded reads and cause of a failed send) → [`error`] (one mapping from
//! an HTTP answer to a typed error). [`status`] reads a dry run as `tagman status` reports it.
//! This crate never prints.

pub mod auth;
pub mod breaker;
pub mod client;
pub mod error;
pub mod map;
pub mod media;
pub mod plan;
mod promote;
pub mod report;
pub mod run;
pub mod stats;
pub mod status;
pub mod transport;
pub mod urls;

pub use auth::{Credential, CredentialStore};
pub use client::Client;
pub use error::Error;
pub use plan::{Action, Location, Outcome, PlanItem, RegistryMap};
pub use run::{run, Options};
pub use stats::Counts;
pub use tagman_net::{Clock, RetryPolicy, TestClock, TokioClock};
pub use tokio_util::sync::CancellationToken;
pub use transport::TransportConfig;
