//! A hostile registry on loopback, owned by the test: an endless chunked manifest, a 500 with an
//! endless body, a 200 MB manifest, a redirect loop and an endless redirect chain, a 401 naming a
//! plain-HTTP token realm on another host, escape sequences in error text, and a "manifest" that
//! is not one. Each ends in a typed failure, and the process's peak RSS stays bounded (VmHWM of
//! /proc/self/status: the kernel's getrusage(RUSAGE_SELF) maxrss, read without unsafe code).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tagman_apply::plan::Action;
use tagman_apply::{run, Client, Credential, CredentialStore, Options, TransportConfig};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use crate::images;
use crate::item;

/// Where an "endless" body stops, so that a regression cannot take the machine's memory.
const CEILING: u64 = 1 << 30;
/// The peak RSS the whole test process must stay under.
const RSS_LIMIT_MB: u64 = 200;

/// What the hostile registry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attack {
    EndlessManifest,
    EndlessError,
    HugeManifest,
    RedirectLoop,
    RedirectChain,
    /// 401 naming `http://127.0.0.1:PORT/token`, another server.
    HttpRealmElsewhere(u16),
    /// Bearer auth with the token realm on this server itself, over plain HTTP.
    RealmOnItself,
    /// A token server only: counts the credentials it is sent.
    TokenSink,
    EscapeText,
    NotAManifest,
}

#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    puts: AtomicUsize,
    credentials: AtomicUsize,
}

struct Hostile {
    host: String,
    seen: Arc<Seen>,
}

impl Hostile {
    async fn start(attack: Attack) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Seen::default());
        let (me, counters) = (host.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (me, counters) = (me.clone(), counters.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, attack, &me, &counters).await;
                });
            }
        });
        Self { host, seen }
    }

    fn requests(&self) -> usize {
        self.seen.requests.load(Ordering::SeqCst)
    }
}

/// One request as the server read it.
struct Asked {
    method: String,
    path: String,
    authorization: Option<String>,
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Asked>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let (mut length, mut authorization) = (0usize, None);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await? == 0 || header.trim().is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(Asked {
        method,
        path,
        authorization,
    }))
}

async fn serve(stream: TcpStream, attack: Attack, me: &str, seen: &Seen) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    while let Some(asked) = read_request(&mut reader).await? {
        seen.requests.fetch_add(1, Ordering::SeqCst);
        if asked.authorization.is_some() {
            seen.credentials.fetch_add(1, Ordering::SeqCst);
        }
        if asked.method == "PUT" {
            seen.puts.fetch_add(1, Ordering::SeqCst);
        }
        let out = reader.get_mut();
        let head = asked.method == "HEAD";
        let manifest_get = asked.method == "GET" && asked.path.contains("/manifests/");
        match attack {
            Attack::RedirectLoop => redirect(out, &asked.path).await?,
            Attack::RedirectChain => {
                let hop = seen.requests.load(Ordering::SeqCst);
                let path = asked.path.split('?').next().unwrap_or("/");
                redirect(out, &format!("{path}?hop={hop}")).await?;
            }
            Attack::HttpRealmElsewhere(port) => {
                let challenge =
                    format!("Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"hostile\"");
                reply(
                    out,
                    "401 Unauthorized",
                    &[("WWW-Authenticate", &challenge)],
                    b"",
                )
                .await?;
            }
            Attack::TokenSink => token(out).await?,
            Attack::RealmOnItself if asked.path.starts_with("/token") => token(out).await?,
            Attack::RealmOnItself if asked.authorization.as_deref() != Some("Bearer t0ken") => {
                let challenge = format!("Bearer realm=\"http://{me}/token\",service=\"hostile\"");
                reply(
                    out,
                    "401 Unauthorized",
                    &[("WWW-Authenticate", &challenge)],
                    b"",
                )
                .await?;
            }
            // A HEAD answer has no body, or the next answer on the connection would be garbled.
            _ if head => reply(out, "404 Not Found", &[], b"").await?,
            _ if !manifest_get => not_found(out).await?,
            Attack::EndlessManifest => {
                endless(out, "200 OK", "application/vnd.oci.image.manifest.v1+json").await?;
                return Ok(());
            }
            Attack::EndlessError => {
                endless(out, "500 Internal Server Error", "text/plain").await?;
                return Ok(());
            }
            Attack::HugeManifest => {
                huge(out, 200 * 1024 * 1024).await?;
                return Ok(());
            }
            Attack::EscapeText => {
                let body = br#"{"errors":[{"code":"DENIED\u001b[2J\u001b[H","message":"no\n2026-01-01 INFO tagman: all entries created\u001b]8;;http://evil.example\u0007"}]}"#;
                reply(
                    out,
                    "400 Bad Request",
                    &[("Content-Type", "application/json")],
                    body,
                )
                .await?;
            }
            Attack::NotAManifest => {
                let body = b"<html><body>Welcome to nginx!</body></html>";
                let content_type = ("Content-Type", "application/vnd.oci.image.manifest.v1+json");
                reply(out, "200 OK", &[content_type], body).await?;
            }
            Attack::RealmOnItself => not_found(out).await?,
        }
    }
    Ok(())
}

async fn reply(
    out: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes()).await?;
    out.write_all(body).await
}

async fn not_found(out: &mut TcpStream) -> std::io::Result<()> {
    let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
    reply(
        out,
        "404 Not Found",
        &[("Content-Type", "application/json")],
        body,
    )
    .await
}

async fn redirect(out: &mut TcpStream, location: &str) -> std::io::Result<()> {
    reply(out, "302 Found", &[("Location", location)], b"").await
}

async fn token(out: &mut TcpStream) -> std::io::Result<()> {
    let content_type = ("Content-Type", "application/json");
    reply(out, "200 OK", &[content_type], br#"{"token":"t0ken"}"#).await
}

/// A chunked body that goes on until the client hangs up (or [`CEILING`]).
async fn endless(out: &mut TcpStream, status: &str, content_type: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    out.write_all(head.as_bytes()).await?;
    out.write_all(b"1\r\n{\r\n").await?;
    let chunk = vec![b' '; 256 * 1024];
    let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
    let mut sent = 0u64;
    while sent < CEILING {
        out.write_all(&framed).await?;
        sent += chunk.len() as u64;
    }
    out.write_all(b"0\r\n\r\n").await
}

/// A manifest of `size` bytes, announced by Content-Length.
async fn huge(out: &mut TcpStream, size: u64) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {size}\r\n\r\n"
    );
    out.write_all(head.as_bytes()).await?;
    let chunk = vec![b' '; 256 * 1024];
    let mut sent = 0u64;
    while sent < size {
        let n = chunk.len().min(usize::try_from(size - sent).unwrap());
        out.write_all(&chunk[..n]).await?;
        sent += n as u64;
    }
    Ok(())
}

/// Peak resident set size of this process so far, in MB.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024
}

// The figure is printed (with --nocapture) so a run shows how far from the limit it stays.
#[allow(clippy::print_stderr)]
fn assert_memory_bounded(case: &str) {
    let peak = peak_rss_mb();
    eprintln!("hostile registry, {case}: peak RSS of the test process {peak} MB");
    assert!(
        peak < RSS_LIMIT_MB,
        "{case}: peak RSS {peak} MB, over {RSS_LIMIT_MB} MB"
    );
}

/// Retags one entry on the hostile registry, with credentials for it; returns the outcome.
async fn retag(hostile: &Hostile) -> tagman_apply::Outcome {
    let credentials = CredentialStore::single(&hostile.host, Credential::new("ci", "s3cret-pw"));
    let client = Client::new(TransportConfig {
        insecure_registries: vec![hostile.host.clone()],
        retry: tagman_apply::RetryPolicy {
            max_attempts: 2,
            timeout: Duration::from_secs(30),
            ..images::fast_retry()
        },
        credentials,
        ..TransportConfig::default()
    })
    .unwrap();
    let name = images::name(&hostile.host, "starlingx/hostile");
    let plan = vec![item(&name, "build-1", "stx.10.0-v1")];
    run(&client, plan, &Options::default(), |_| {})
        .await
        .remove(0)
}

/// The error's kind and text; the entry must have failed.
fn failure(outcome: &tagman_apply::Outcome) -> (&'static str, String) {
    assert_eq!(outcome.action, Action::Failed, "{:?}", outcome.error);
    let error = outcome.error.as_ref().unwrap();
    (error.kind(), error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_chunked_manifest_is_cut_at_4_mib() {
    let hostile = Hostile::start(Attack::EndlessManifest).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "too-large", "{text}");
    assert!(text.contains("manifest is larger than 4 MiB"), "{text}");
    assert_memory_bounded("endless chunked manifest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_with_an_endless_body_is_read_to_64_kib_and_shown_cut() {
    let hostile = Hostile::start(Attack::EndlessError).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "registry", "{text}");
    assert!(text.contains("registry answered 500"), "{text}");
    assert!(text.ends_with('…') && text.len() < 1000, "{text}");
    assert_memory_bounded("500 with an endless body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_manifest_is_refused_before_it_is_read() {
    let hostile = Hostile::start(Attack::HugeManifest).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "too-large", "{text}");
    assert_memory_bounded("200 MB manifest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_stopped_and_never_retried() {
    let hostile = Hostile::start(Attack::RedirectLoop).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "redirect", "{text}");
    assert!(text.contains("redirect loop"), "{text}");
    assert_eq!(hostile.requests(), 1, "the loop is seen at its first turn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_redirect_chain_stops_after_5_redirects_and_is_never_retried() {
    let hostile = Hostile::start(Attack::RedirectChain).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "redirect", "{text}");
    assert!(text.contains("more than 5 redirects"), "{text}");
    assert_eq!(hostile.requests(), 6, "the request and 5 redirects, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_go_to_a_plain_http_realm_on_another_host() {
    let sink = Hostile::start(Attack::TokenSink).await;
    let port = sink.host.rsplit(':').next().unwrap().parse().unwrap();
    let hostile = Hostile::start(Attack::HttpRealmElsewhere(port)).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "realm-refused", "{text}");
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/token")),
        "{text}"
    );
    assert_eq!(sink.seen.credentials.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_realm_on_the_insecure_registry_itself_gets_the_credentials() {
    let hostile = Hostile::start(Attack::RealmOnItself).await;
    let outcome = retag(&hostile).await;
    assert_eq!(outcome.action, Action::SourceMissing, "{:?}", outcome.error);
    assert!(hostile.seen.credentials.load(Ordering::SeqCst) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_and_newlines_in_registry_text_never_reach_the_error() {
    let hostile = Hostile::start(Attack::EscapeText).await;
    let outcome = retag(&hostile).await;
    let (kind, text) = failure(&outcome);
    assert_eq!(kind, "registry", "{text}");
    let report = tagman_apply::report::Report::new(
        std::slice::from_ref(&outcome),
        tagman_apply::Counts::default(),
        "tagman test",
        0,
    )
    .to_json();
    for shown in [&text, &format!("{:?}", outcome.error), &report] {
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown:?}"
        );
    }
    assert!(!text.contains('\n'), "{text:?}");
    assert!(
        text.contains("(DENIED): no 2026-01-01 INFO tagman: all entries created"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_is_not_a_manifest_fails_and_is_never_pushed() {
    let hostile = Hostile::start(Attack::NotAManifest).await;
    let (kind, text) = failure(&retag(&hostile).await);
    assert_eq!(kind, "not-a-manifest", "{text}");
    assert!(text.contains("the body is not JSON"), "{text}");
    assert_eq!(hostile.seen.puts.load(Ordering::SeqCst), 0);
}
