//! The typed errors of the network layer: building the client, the CA files, bounded reads.

use std::path::PathBuf;

/// Why a local file could not be read within its limit. The caller names the file (its error
/// says what the file was for), so this says only what went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system refused or failed the read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file holds more than the limit (`/dev/zero` never ends).
    #[error("it holds more than {limit}; refusing to read further")]
    TooLarge {
        /// The limit.
        limit: crate::Limit,
    },
}

/// Everything the network layer itself can fail at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `--ca-cert` file could not be read.
    #[error("cannot read CA certificate {}: {source}", path.display())]
    CaCertRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: FileError,
    },
    /// A `--ca-cert` file is not PEM.
    #[error("CA certificate {} is not a PEM file: {source}", path.display())]
    CaCertPem {
        /// The file.
        path: PathBuf,
        /// The PEM reader's complaint.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// A `--ca-cert` file holds no certificate.
    #[error("CA certificate {} holds no certificate", path.display())]
    CaCertEmpty {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused a certificate of a `--ca-cert` file.
    #[error("CA certificate {} cannot be trusted: {source}", path.display())]
    CaCertRejected {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        #[source]
        source: rustls::Error,
    },
    /// The TLS configuration could not be built.
    #[error("cannot set up TLS: {0}")]
    Tls(#[source] rustls::Error),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// An answer's body is larger than its limit (announced or counted as it arrived).
    #[error("{url}: the {what} is larger than {limit}; refusing to read further")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// What the body was (`manifest`, `token answer`, …).
        what: &'static str,
        /// The limit.
        limit: crate::Limit,
    },
    /// An answer's body broke off or could not be read.
    #[error("{url}: reading the {what} failed: {source}")]
    Body {
        /// The URL asked.
        url: String,
        /// What the body was.
        what: &'static str,
        /// The transport's error.
        #[source]
        source: reqwest::Error,
    },
}

impl Error {
    /// A short stable word for reports (`ca-cert`, `too-large`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CaCertRead { .. }
            | Self::CaCertPem { .. }
            | Self::CaCertEmpty { .. }
            | Self::CaCertRejected { .. } => "ca-cert",
            Self::Tls(_) | Self::Client(_) => "client",
            Self::TooLarge { .. } => "too-large",
            Self::Body { .. } => "connection",
        }
    }
}
