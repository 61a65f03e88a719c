//! Bounded reads: every body and every local file tagman reads has a cap, counted as the bytes
//! arrive (a `Content-Length` over the cap is refused before reading), never buffered first.

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use bytes::{Bytes, BytesMut};

use crate::error::{Error, FileError};

/// A size cap in bytes, shown in binary units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Limit(pub u64);

impl Limit {
    /// Registry manifests: the OCI distribution spec's own limit (4 MiB).
    pub const MANIFEST: Self = Self(4 * 1024 * 1024);
    /// A registry's error body; longer ones are cut (64 KiB).
    pub const ERROR_BODY: Self = Self(64 * 1024);
    /// A token server's answer (1 MiB).
    pub const TOKEN: Self = Self(1024 * 1024);
    /// A Launchpad / StoryBoard answer (1 MiB).
    pub const SERVICE_ANSWER: Self = Self(1024 * 1024);
    /// Local credential (`--auth-file`, Docker config) and CA files (1 MiB).
    pub const LOCAL_FILE: Self = Self(1024 * 1024);

    /// The cap as a byte count.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u64 = 1024 * 1024;
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n if n >= 1024 && n % 1024 == 0 => write!(f, "{} KiB", n / 1024),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// Reads a whole body of at most `limit` bytes; more is [`Error::TooLarge`] and the connection
/// is dropped unread. `what` names the body in errors (`manifest`, `token answer`).
pub async fn read_body(
    mut response: reqwest::Response,
    limit: Limit,
    what: &'static str,
) -> Result<Bytes, Error> {
    let url = response.url().to_string();
    let too_large = |url: String| Error::TooLarge { url, what, limit };
    if response.content_length().is_some_and(|n| n > limit.0) {
        return Err(too_large(url));
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if (body.len() + chunk.len()) as u64 > limit.0 {
                    return Err(too_large(url));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(source) => return Err(Error::Body { url, what, source }),
        }
    }
}

/// The start of a body that is only shown (an error answer): at most `limit` bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefix {
    /// The bytes read.
    pub bytes: Bytes,
    /// Whether the body went on past them (or broke off).
    pub truncated: bool,
}

/// Reads at most `limit` bytes of a body and drops the rest unread; never fails (a body that
/// breaks off gives what came before).
pub async fn read_prefix(mut response: reqwest::Response, limit: Limit) -> Prefix {
    let cap = usize::try_from(limit.0).unwrap_or(usize::MAX);
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Prefix {
                        bytes: body.freeze(),
                        truncated: true,
                    };
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => {
                return Prefix {
                    bytes: body.freeze(),
                    truncated: false,
                }
            }
            Err(_) => {
                return Prefix {
                    bytes: body.freeze(),
                    truncated: true,
                }
            }
        }
    }
}

/// Reads a local file of at most `limit` bytes. Reads one byte past the limit to tell a file of
/// exactly `limit` bytes from a longer one, so a device that never ends (`/dev/zero`) costs at
/// most `limit + 1` bytes.
pub fn read_file(path: &Path, limit: Limit) -> Result<Vec<u8>, FileError> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.0.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit.0 {
        return Err(FileError::TooLarge { limit });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_in_binary_units() {
        assert_eq!(Limit::MANIFEST.to_string(), "4 MiB");
        assert_eq!(Limit::ERROR_BODY.to_string(), "64 KiB");
        assert_eq!(Limit(1000).to_string(), "1000 bytes");
    }

    #[test]
    fn an_endless_file_stops_at_the_limit() {
        let err = read_file(Path::new("/dev/zero"), Limit(4096)).unwrap_err();
        assert!(matches!(err, FileError::TooLarge { limit } if limit == Limit(4096)));
        let dir = tempfile::tempdir().unwrap();
        let exact = dir.path().join("exact");
        std::fs::write(&exact, [7u8; 4096]).unwrap();
        assert_eq!(read_file(&exact, Limit(4096)).unwrap().len(), 4096);
        assert!(matches!(
            read_file(&dir.path().join("missing"), Limit(1)),
            Err(FileError::Io(_))
        ));
    }
}
