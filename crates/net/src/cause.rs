//! Why a request got no answer, in words an operator can act on: the root cause of a failed send
//! (refused, DNS, timeout, TLS to a plain-HTTP server, an untrusted certificate, a dropped
//! connection) classified once here, with its cause chain in one line and without the URL that
//! reqwest repeats at every level.

use std::error::Error as StdError;
use std::fmt;

use crate::text::sanitize;

/// The most characters of a cause chain kept.
const CHAIN_CHARS: usize = 300;

/// What kind of failure a send without an answer was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CauseKind {
    /// Nothing listens at the address (TCP connection refused).
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No answer within the timeout (connecting or waiting for the answer).
    Timeout,
    /// A TLS handshake met a server that answered in plain HTTP.
    PlainHttp,
    /// The server's certificate is not trusted (unknown issuer, wrong name, expired).
    Certificate,
    /// Another TLS failure.
    Tls,
    /// The connection was reset or closed before an answer came.
    Closed,
    /// None of the above.
    Other,
}

impl CauseKind {
    /// A short phrase: `connection refused`, `DNS lookup failed`, …
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Refused => "connection refused",
            Self::Dns => "DNS lookup failed",
            Self::Timeout => "timed out",
            Self::PlainHttp => "TLS handshake failed",
            Self::Certificate => "certificate not trusted",
            Self::Tls => "TLS handshake failed",
            Self::Closed => "connection closed without an answer",
            Self::Other => "connection failed",
        }
    }

    /// A stable word for reports and grouping.
    pub fn word(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Dns => "dns",
            Self::Timeout => "timeout",
            Self::PlainHttp => "plain-http",
            Self::Certificate => "certificate",
            Self::Tls => "tls",
            Self::Closed => "closed",
            Self::Other => "connection",
        }
    }

    /// What to do about it, for a server at `host` (`host[:port]`).
    pub fn fix(self, host: &str) -> String {
        match self {
            Self::Refused => {
                format!("is a registry listening on {host}? check the address and --registry-map")
            }
            Self::Dns => format!("check the host name {host} and --registry-map"),
            Self::Timeout => format!(
                "{host} did not answer in time: check it is reachable, or raise --timeout"
            ),
            Self::PlainHttp => {
                format!("the registry speaks plain HTTP: pass --insecure-registry {host}")
            }
            Self::Certificate => format!(
                "pass --ca-cert with the CA that signed {host}'s certificate (or check its name and dates)"
            ),
            Self::Tls => format!("check that {host} speaks TLS (else pass --insecure-registry {host})"),
            Self::Closed => format!("{host} dropped the connection: check its logs or a proxy in between"),
            Self::Other => format!("check that {host} is reachable"),
        }
    }
}

impl fmt::Display for CauseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.phrase())
    }
}

/// A classified failure: its kind and its cause chain in one line (sanitized, bounded, no URL).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cause {
    /// What kind of failure.
    pub kind: CauseKind,
    /// The chain of causes, outermost first, joined with `: `
    /// (`tcp connect error: Connection refused (os error 111)`).
    pub chain: String,
    /// Whether it happened while connecting (no request reached the server).
    pub connect: bool,
}

impl Cause {
    /// Whether the server gave no answer at all (the connection was never made, or nothing came
    /// back in time), as opposed to a connection dropped mid-answer: what opens a circuit
    /// breaker.
    pub fn no_answer(&self) -> bool {
        self.connect || self.kind == CauseKind::Timeout
    }
}

/// Classifies a send that got no answer.
pub fn classify(error: &reqwest::Error) -> Cause {
    let mut kind = None;
    let mut parts: Vec<String> = Vec::new();
    // reqwest's own line is "error sending request for url (…)": the URL, not a cause.
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        kind = kind.or_else(|| kind_of(cause, &text));
        push_part(&mut parts, &text);
        // io::Error hides the error it wraps from source(): look inside it.
        next = cause.source().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .map(|inner| inner as &(dyn StdError + 'static))
        });
    }
    let kind = kind.unwrap_or(if error.is_timeout() {
        CauseKind::Timeout
    } else {
        CauseKind::Other
    });
    Cause {
        kind,
        chain: sanitize(&parts.join(": "), CHAIN_CHARS),
        connect: error.is_connect(),
    }
}

/// Adds a cause's text unless it adds nothing: hyper's "client error (Connect)" wrappers, or a
/// text the previous part already ends with.
fn push_part(parts: &mut Vec<String>, text: &str) {
    let text = text.trim();
    if text.is_empty() || text.starts_with("client error (") {
        return;
    }
    if parts.last().is_some_and(|last| last.ends_with(text)) {
        return;
    }
    parts.push(text.to_owned());
}

fn kind_of(cause: &(dyn StdError + 'static), text: &str) -> Option<CauseKind> {
    if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            rustls::Error::InvalidMessage(_) => CauseKind::PlainHttp,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
                CauseKind::Certificate
            }
            _ => CauseKind::Tls,
        });
    }
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind;
        match io.kind() {
            ErrorKind::ConnectionRefused => return Some(CauseKind::Refused),
            ErrorKind::TimedOut => return Some(CauseKind::Timeout),
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof => return Some(CauseKind::Closed),
            _ => {}
        }
    }
    // hyper-util's resolver error is private; its text is the one stable mark.
    if text == "dns error" {
        return Some(CauseKind::Dns);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn client(timeout: Duration) -> reqwest::Client {
        crate::http::client(&crate::HttpConfig {
            timeout,
            ..crate::HttpConfig::default()
        })
        .unwrap()
    }

    async fn cause_of(url: &str, timeout: Duration) -> Cause {
        let error = client(timeout)
            .get(url)
            .timeout(timeout)
            .send()
            .await
            .unwrap_err();
        classify(&error)
    }

    /// A loopback server that answers every connection in plain HTTP (or never, when `silent`).
    async fn server(silent: bool) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = stream.read(&mut buf).await;
                    if silent {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    let _ = stream
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn each_failure_gets_its_kind_and_a_chain_without_the_url() {
        let refused = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let cause = cause_of(&format!("http://{refused}/v2/"), Duration::from_secs(5)).await;
        assert_eq!(cause.kind, CauseKind::Refused, "{cause:?}");
        assert!(cause.connect);
        assert!(cause.chain.contains("onnection refused"), "{cause:?}");
        assert!(!cause.chain.contains("/v2/"), "{cause:?}");

        let plain = server(false).await;
        let cause = cause_of(&format!("https://{plain}/v2/"), Duration::from_secs(5)).await;
        assert_eq!(cause.kind, CauseKind::PlainHttp, "{cause:?}");
        assert!(cause.connect);
        assert!(
            CauseKind::PlainHttp
                .fix("h:1")
                .contains("--insecure-registry h:1"),
            "{cause:?}"
        );

        let silent = server(true).await;
        let cause = cause_of(&format!("http://{silent}/v2/"), Duration::from_millis(200)).await;
        assert_eq!(cause.kind, CauseKind::Timeout, "{cause:?}");
        assert!(!cause.connect, "the connection was made: {cause:?}");

        let cause = cause_of("http://nosuch.invalid/v2/", Duration::from_secs(5)).await;
        assert_eq!(cause.kind, CauseKind::Dns, "{cause:?}");
        assert!(cause.connect);
    }
}
