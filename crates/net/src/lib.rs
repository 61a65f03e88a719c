//! tagman-net: the one network layer. The registry client, its token fetch and the `--online`
//! reference check all go through it: one retry loop and policy ([`retry`]), one TLS setup and
//! HTTP client builder ([`http`]), one clock ([`clock`]) that tests advance instead of sleeping,
//! and bounded reads of every body and local file ([`body`]). Registry- or service-provided text
//! is made safe to print with [`text::sanitize`]. Nothing here prints.

pub mod body;
pub mod cause;
pub mod clock;
pub mod error;
pub mod http;
pub mod retry;
pub mod text;
pub mod tls;

pub use body::{Limit, Prefix};
pub use cause::{Cause, CauseKind};
pub use clock::{Clock, TestClock, TokioClock};
pub use error::{Error, FileError};
pub use http::HttpConfig;
pub use retry::{Operation, RetryPolicy, Step, Try};
