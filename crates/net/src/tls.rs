//! The one TLS setup: rustls with the ring provider, the system's roots plus `--ca-cert` files
//! (each read within [`Limit::LOCAL_FILE`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;

use crate::body::{read_file, Limit};
use crate::error::Error;

/// The client TLS configuration trusting the system roots and `ca_certs`.
pub fn client_config(ca_certs: &[PathBuf]) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    for path in ca_certs {
        for cert in read_ca_file(path)? {
            roots.add(cert).map_err(|source| Error::CaCertRejected {
                path: path.to_owned(),
                source,
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = read_file(path, Limit::LOCAL_FILE).map_err(|source| Error::CaCertRead {
        path: path.to_owned(),
        source,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|source| Error::CaCertPem {
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(Error::CaCertEmpty {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_files_that_are_endless_empty_or_missing_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let cases = [
            (PathBuf::from("/dev/zero"), "more than 1 MiB"),
            (empty.clone(), "holds no certificate"),
            (dir.path().join("missing.pem"), "cannot read CA certificate"),
        ];
        for (path, want) in cases {
            let err = client_config(std::slice::from_ref(&path)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(want), "{text}");
            assert_eq!(err.kind(), "ca-cert");
        }
        assert!(client_config(&[]).is_ok());
    }
}
