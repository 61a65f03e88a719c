//! Small HTTP servers the harness owns: a generic hyper loop, a test PKI (CA, server cert) and a
//! token server that signs registry JWTs.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};

pub type Reply = Result<Response<Full<Bytes>>, std::io::Error>;

/// Serves `handler` on a free loopback port until the test's runtime ends. A handler that
/// returns `Err` makes hyper drop the connection without an answer (a reset, to the client).
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(handler);
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// As [`serve`], over TLS with the server certificate of `pki`.
pub async fn serve_tls<F, Fut>(pki: &Pki, handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    use rustls::pki_types::pem::PemObject as _;
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(&pki.cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(&pki.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (handler, acceptor) = (handler.clone(), acceptor.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handler))
                    .await;
            });
        }
    });
    addr
}

/// A CA and a server certificate for 127.0.0.1 / localhost, as PEM files.
pub struct Pki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn make_pki(dir: &Path) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tagman test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = params.signed_by(&key, &issuer).unwrap();
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server-key.pem"),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}

/// An htpasswd file with one bcrypt entry (cost 4 keeps the registry's checks fast).
pub fn htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let hash = bcrypt::hash_with_result(password, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    let path = dir.join("htpasswd");
    std::fs::write(&path, format!("{user}:{hash}\n")).unwrap();
    path
}

/// A token server over https (the test CA's server certificate): checks basic credentials,
/// grants the scopes asked for, signs ES256 JWTs carrying the signing certificate (`x5c`), which
/// the registry trusts through its bundle.
pub struct TokenServer {
    pub addr: SocketAddr,
    /// PEM of the signing certificate: the registry's `rootcertbundle`.
    pub bundle: PathBuf,
    /// Fetches per scope.
    pub fetches: Arc<Mutex<HashMap<String, usize>>>,
}

pub const SERVICE: &str = "tagman-test-registry";
pub const ISSUER: &str = "tagman-test-issuer";

impl TokenServer {
    /// `stale_first`: the first token handed out has already expired (as a token revoked or
    /// expired server-side would be), so the registry refuses it with a 401.
    pub async fn start(
        dir: &Path,
        pki: &Pki,
        user: &str,
        password: &str,
        expires_in: u64,
        stale_first: bool,
    ) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "tagman token signer");
        let cert = params.self_signed(&key).unwrap();
        let bundle = dir.join("token-bundle.pem");
        std::fs::write(&bundle, cert.pem()).unwrap();
        let rng = ring::rand::SystemRandom::new();
        let signer = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.serialize_der(),
            &rng,
        )
        .unwrap();
        let state = Arc::new(State {
            signer,
            x5c: base64::engine::general_purpose::STANDARD.encode(cert.der()),
            basic: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
            expires_in,
            stale_next: std::sync::atomic::AtomicBool::new(stale_first),
            fetches: Arc::new(Mutex::new(HashMap::new())),
        });
        let fetches = state.fetches.clone();
        let addr = serve_tls(pki, move |req| {
            let state = state.clone();
            async move { Ok(state.answer(&req)) }
        })
        .await;
        Self {
            addr,
            bundle,
            fetches,
        }
    }

    pub fn realm(&self) -> String {
        format!("https://{}/token", self.addr)
    }

    pub fn fetches(&self) -> HashMap<String, usize> {
        self.fetches.lock().unwrap().clone()
    }
}

struct State {
    signer: ring::signature::EcdsaKeyPair,
    x5c: String,
    basic: String,
    expires_in: u64,
    stale_next: std::sync::atomic::AtomicBool,
    fetches: Arc<Mutex<HashMap<String, usize>>>,
}

impl State {
    fn answer(&self, req: &Request<Incoming>) -> Response<Full<Bytes>> {
        let authorized = req
            .headers()
            .get("authorization")
            .is_some_and(|v| v.as_bytes() == self.basic.as_bytes());
        if !authorized {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .body(Full::new(Bytes::new()))
                .unwrap();
        }
        let url = url::Url::parse(&format!("http://token{}", req.uri())).unwrap();
        let mut access = Vec::new();
        for (key, scope) in url.query_pairs() {
            if key != "scope" {
                continue;
            }
            *self
                .fetches
                .lock()
                .unwrap()
                .entry(scope.to_string())
                .or_default() += 1;
            let (kind, rest) = scope.split_once(':').unwrap();
            let (name, actions) = rest.rsplit_once(':').unwrap();
            access.push(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // Past the registry's 60 s leeway for clock skew.
        let stale = self
            .stale_next
            .swap(false, std::sync::atomic::Ordering::SeqCst);
        let now = if stale { now - 600 } else { now };
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [self.x5c]});
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": "ci", "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": format!("{now}-{}", fastrand::u64(..)), "access": access,
        });
        let input = format!(
            "{}.{}",
            b64(&serde_json::to_vec(&header).unwrap()),
            b64(&serde_json::to_vec(&claims).unwrap())
        );
        let signature = self
            .signer
            .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        let token = format!("{input}.{}", b64(signature.as_ref()));
        let body = serde_json::json!({"token": token, "expires_in": self.expires_in});
        Response::builder()
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(&body).unwrap())))
            .unwrap()
    }
}
