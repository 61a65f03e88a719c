//! A fault-injecting reverse proxy in front of the registry: 429 with Retry-After (seconds or
//! HTTP-date), 503, connection resets (before and after forwarding), slow answers, a fixed delay
//! per request (the benchmark's 20 ms), a fixed status for one method, or one repository stalled.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::servers::{serve, Reply};

/// What the proxy does.
#[derive(Clone, Debug, Default)]
pub struct FaultConfig {
    /// Share of requests that get a fault (0.0 to 1.0).
    pub rate: f64,
    /// A delay before every request is handled.
    pub delay: Duration,
    /// Seed for the fault sequence (runs are repeatable in which kinds they draw).
    pub seed: u64,
    /// Answer every request of this method with this status instead of forwarding it.
    pub fixed: Option<(&'static str, u16)>,
    /// Drop these headers from every answer (a registry that does not send them).
    pub strip: &'static [&'static str],
    /// Requests whose path holds this text are held this long before they are answered: a
    /// repository the registry is stalled on (the connection is taken, the answer does not come).
    pub stall: Option<(&'static str, Duration)>,
    /// Answer every manifest PUT with a 307 to this host (`HOST:PORT`), as a registry behind a
    /// hostile or broken front would; reqwest follows a 307 with the method and the body.
    pub redirect_puts: Option<String>,
}

/// Counts of what the proxy did.
#[derive(Debug, Default)]
pub struct ProxyStats {
    pub forwarded: AtomicUsize,
    pub rate_limited: AtomicUsize,
    pub unavailable: AtomicUsize,
    pub resets: AtomicUsize,
    pub resets_after_forward: AtomicUsize,
    pub slow: AtomicUsize,
    pub fixed: AtomicUsize,
}

impl ProxyStats {
    pub fn faults(&self) -> usize {
        [
            &self.rate_limited,
            &self.unavailable,
            &self.resets,
            &self.resets_after_forward,
            &self.slow,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub stats: Arc<ProxyStats>,
}

struct State {
    upstream: String,
    config: FaultConfig,
    rng: Mutex<fastrand::Rng>,
    http: reqwest::Client,
    stats: Arc<ProxyStats>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, config: FaultConfig) -> Self {
        let stats = Arc::new(ProxyStats::default());
        let state = Arc::new(State {
            upstream: format!("http://{upstream}"),
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            config,
            http: plain_http_client(),
            stats: stats.clone(),
        });
        let addr = serve(move |req| {
            let state = state.clone();
            async move { state.handle(req).await }
        })
        .await;
        Self { addr, stats }
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

/// A reqwest client for plain HTTP (the crate builds reqwest without a default TLS provider).
pub fn plain_http_client() -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

fn reset() -> Reply {
    Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "injected reset",
    ))
}

impl State {
    async fn handle(&self, req: Request<Incoming>) -> Reply {
        if !self.config.delay.is_zero() {
            tokio::time::sleep(self.config.delay).await;
        }
        if let Some(to) = &self.config.redirect_puts {
            if req.method() == hyper::Method::PUT && req.uri().path().contains("/manifests/") {
                return Ok(Response::builder()
                    .status(307)
                    .header("location", format!("http://{to}{}", req.uri().path()))
                    .body(Full::new(Bytes::new()))
                    .unwrap());
            }
        }
        if let Some((path, hold)) = self.config.stall {
            if req.uri().path().contains(path) {
                tokio::time::sleep(hold).await;
            }
        }
        if let Some((method, status)) = self.config.fixed {
            if req.method().as_str() == method {
                self.stats.fixed.fetch_add(1, Ordering::Relaxed);
                let body =
                    format!(r#"{{"errors":[{{"code":"DENIED","message":"injected {status}"}}]}}"#);
                return Ok(Response::builder()
                    .status(status)
                    .body(Full::new(Bytes::from(body)))
                    .unwrap());
            }
        }
        let draw = {
            let mut rng = self.rng.lock().unwrap();
            (rng.f64() < self.config.rate).then(|| rng.u8(0..5))
        };
        match draw {
            Some(0) => {
                let n = self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                // Alternate the two Retry-After forms.
                let retry_after = if n.is_multiple_of(2) {
                    "1".to_owned()
                } else {
                    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1))
                };
                Ok(Response::builder()
                    .status(429)
                    .header("retry-after", retry_after)
                    .body(Full::new(Bytes::from_static(
                        br#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#,
                    )))
                    .unwrap())
            }
            Some(1) => {
                self.stats.unavailable.fetch_add(1, Ordering::Relaxed);
                Ok(Response::builder()
                    .status(503)
                    .body(Full::new(Bytes::from_static(
                        br#"{"errors":[{"code":"UNAVAILABLE"}]}"#,
                    )))
                    .unwrap())
            }
            Some(2) => {
                self.stats.resets.fetch_add(1, Ordering::Relaxed);
                reset()
            }
            Some(3) => {
                // The registry acts, the answer is lost: a retried PUT must be harmless.
                self.stats
                    .resets_after_forward
                    .fetch_add(1, Ordering::Relaxed);
                let _ = self.forward(req).await;
                reset()
            }
            Some(_) => {
                self.stats.slow.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(150)).await;
                self.forward(req).await
            }
            None => self.forward(req).await,
        }
    }

    async fn forward(&self, req: Request<Incoming>) -> Reply {
        self.stats.forwarded.fetch_add(1, Ordering::Relaxed);
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut upstream = self
            .http
            .request(parts.method.clone(), format!("{}{path}", self.upstream));
        for (name, value) in &parts.headers {
            if !matches!(
                name.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding"
            ) {
                upstream = upstream.header(name, value);
            }
        }
        let answer = upstream
            .body(body)
            .send()
            .await
            .map_err(std::io::Error::other)?;
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            let stripped = self
                .config
                .strip
                .iter()
                .any(|s| name.as_str().eq_ignore_ascii_case(s));
            if !stripped && !matches!(name.as_str(), "connection" | "transfer-encoding") {
                response = response.header(name, value);
            }
        }
        let bytes = answer.bytes().await.map_err(std::io::Error::other)?;
        Ok(response.body(Full::new(bytes)).unwrap())
    }
}
