//! Auth against a real registry: basic auth (htpasswd) over TLS with a CA made by the test, bearer
//! tokens from the harness's token server; secrets never reach any output.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tagman_apply::plan::Action;
use tagman_apply::report::Report;
use tagman_apply::{run, Client, CredentialStore, Options, TestClock, TransportConfig};

use crate::harness::{Registry, RegistryAuth, RegistryConfig};
use crate::images::{self, Kind};
use crate::item;
use crate::servers::{self, TokenServer};

const USER: &str = "ci-robot";
const SECRET: &str = "hunter2-Zq9-never-print-me";

fn auth_file(dir: &std::path::Path, host: &str, password: &str) -> std::path::PathBuf {
    let path = dir.join("auth.json");
    let body = serde_json::json!({"auths": {host: {"username": USER, "password": password}}});
    std::fs::write(&path, body.to_string()).unwrap();
    path
}

/// Everything a run can show a person or a log, as text.
fn everything_shown(client: &Client, outcomes: &[tagman_apply::Outcome]) -> String {
    let report = Report::new(
        outcomes,
        client.transport().stats().snapshot(),
        "tagman test",
        0,
    )
    .to_json();
    let errors: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.error.as_ref())
        .map(|e| format!("{e} / {e:?}"))
        .collect();
    format!("{report}\n{outcomes:?}\n{client:?}\n{}", errors.join("\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_over_tls_with_a_test_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = servers::make_pki(dir.path());
    let registry = Registry::start_with(RegistryConfig {
        auth: RegistryAuth::Htpasswd(servers::htpasswd(dir.path(), USER, SECRET)),
        tls: Some((pki.cert.clone(), pki.key.clone())),
    });
    let host = registry.host();
    let client_with = |password: &str, ca: bool| {
        let credentials =
            CredentialStore::load(&[auth_file(dir.path(), &host, password)], false).unwrap();
        Client::new(TransportConfig {
            ca_certs: if ca { vec![pki.ca.clone()] } else { Vec::new() },
            retry: images::fast_retry(),
            credentials,
            ..TransportConfig::default()
        })
        .unwrap()
    };
    let client = client_with(SECRET, true);
    let name = images::name(&host, "starlingx/secure");
    images::push(&client, &name, "build-1", Kind::Oci, "secure").await;
    let plan = vec![item(&name, "build-1", "stx.10.0-v1")];

    let outcomes = run(&client, plan.clone(), &Options::default(), |_| {}).await;
    assert_eq!(
        outcomes[0].action,
        Action::Created,
        "{:?}",
        outcomes[0].error
    );
    let shown = everything_shown(&client, &outcomes);
    assert!(!shown.contains(SECRET), "secret leaked:\n{shown}");

    // Wrong password: the registry refused these credentials (not "none found"), and the
    // wrong secret is not shown either.
    let wrong = client_with("wrong-Pw-also-secret", true);
    let outcomes = run(&wrong, plan.clone(), &Options::default(), |_| {}).await;
    assert_eq!(outcomes[0].action, Action::Failed);
    assert_eq!(
        outcomes[0].error.as_ref().map(|e| e.kind()),
        Some("credentials-refused")
    );
    assert_eq!(
        outcomes[0].error.as_ref().unwrap().to_string(),
        format!(
            "{host} refused the credentials for {USER}: check the password or token stored for it"
        )
    );
    let shown = everything_shown(&wrong, &outcomes);
    assert!(
        !shown.contains("wrong-Pw-also-secret") && !shown.contains(SECRET),
        "{shown}"
    );

    // Without the CA the certificate is not trusted: no silent fallback to anything.
    let untrusting = client_with(SECRET, false);
    let outcomes = run(&untrusting, plan, &Options::default(), |_| {}).await;
    assert_eq!(outcomes[0].action, Action::Failed);
    let error = outcomes[0].error.as_ref().unwrap();
    assert_eq!(error.kind(), "connection");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{host}: certificate not trusted (")),
        "{error}"
    );
    assert!(error.to_string().contains("pass --ca-cert"), "{error}");
}

/// No credentials at all is told apart from refused ones, naming where tagman looked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::start_with(RegistryConfig {
        auth: RegistryAuth::Htpasswd(servers::htpasswd(dir.path(), USER, SECRET)),
        tls: None,
    });
    let host = registry.host();
    let other = auth_file(dir.path(), "elsewhere.example:5000", SECRET);
    let anonymous = Client::new(TransportConfig {
        insecure_registries: vec![host.clone()],
        retry: images::fast_retry(),
        credentials: CredentialStore::load(std::slice::from_ref(&other), false).unwrap(),
        ..TransportConfig::default()
    })
    .unwrap();
    let name = images::name(&host, "starlingx/secure");
    let outcomes = run(
        &anonymous,
        vec![item(&name, "build-1", "v1")],
        &Options::default(),
        |_| {},
    )
    .await;
    let error = outcomes[0].error.as_ref().unwrap();
    assert_eq!(error.kind(), "no-credentials");
    assert_eq!(
        error.to_string(),
        format!("no credentials for {host} (looked in {})", other.display())
    );
}

/// A registry with token auth, its token server (https, trusted through the test CA), and a
/// client holding the credentials whose clock the test moves.
async fn bearer_registry(
    dir: &std::path::Path,
    expires_in: u64,
    stale_first: bool,
) -> (TokenServer, Registry, Client, Arc<TestClock>) {
    let pki = servers::make_pki(dir);
    let tokens = TokenServer::start(dir, &pki, USER, SECRET, expires_in, stale_first).await;
    let registry = Registry::start_with(RegistryConfig {
        auth: RegistryAuth::Token {
            realm: tokens.realm(),
            service: servers::SERVICE.to_owned(),
            issuer: servers::ISSUER.to_owned(),
            bundle: tokens.bundle.clone(),
        },
        tls: None,
    });
    let host = registry.host();
    let credentials = CredentialStore::load(&[auth_file(dir, &host, SECRET)], false).unwrap();
    let clock = Arc::new(TestClock::new());
    let client = Client::new(TransportConfig {
        insecure_registries: vec![host],
        ca_certs: vec![pki.ca],
        retry: images::fast_retry(),
        credentials,
        clock: clock.clone(),
        ..TransportConfig::default()
    })
    .unwrap();
    (tokens, registry, client, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_are_fetched_once_per_scope_shared_and_renewed() {
    let dir = tempfile::tempdir().unwrap();
    // Tokens live 60 s on the client's clock, which only the test moves (and backoff waits).
    let (tokens, registry, client, clock) = bearer_registry(dir.path(), 60, false).await;
    let host = registry.host();
    let a = images::name(&host, "starlingx/a");
    let b = images::name(&host, "starlingx/b");
    let mut plan = Vec::new();
    for name in [&a, &b] {
        images::push(&client, name, "build-1", Kind::DockerV2, &name.to_string()).await;
        for n in 0..6 {
            plan.push(item(name, "build-1", &format!("stx.10.0-v{n}")));
        }
    }
    // Let the seeding tokens expire, so the run starts with none cached for these scopes.
    clock.advance(Duration::from_secs(61));
    let before = tokens.fetches();
    let stats_before = client.transport().stats().snapshot();
    let outcomes = run(&client, plan.clone(), &Options::default(), |_| {}).await;
    for outcome in &outcomes {
        assert_eq!(outcome.action, Action::Created, "{:?}", outcome.error);
    }
    let after = tokens.fetches();
    for name in [&a, &b] {
        let scope = format!("repository:{}:pull,push", name.repository());
        let fetched =
            after.get(&scope).copied().unwrap_or(0) - before.get(&scope).copied().unwrap_or(0);
        assert_eq!(
            fetched, 1,
            "one token fetch for {scope} shared by 6 concurrent entries"
        );
    }
    // 3 requests per created tag: no 401 round trip, the scheme was learned while seeding and the
    // fresh token was fetched before the first request of each repository.
    // (Retries of the registry's own transient 500s under concurrent pushes do not count.)
    let stats = client.transport().stats().snapshot();
    let requests =
        (stats.requests - stats.retries) - (stats_before.requests - stats_before.retries);
    assert_eq!(requests, 3 * 12);
    let shown = everything_shown(&client, &outcomes);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("eyJ"), "a token leaked:\n{shown}");

    // Renewed on expiry: after the token's lifetime the next run fetches a fresh one.
    clock.advance(Duration::from_secs(61));
    let outcomes = run(&client, plan, &Options::default(), |_| {}).await;
    assert!(outcomes.iter().all(|o| o.action == Action::Unchanged));
    let renewed = tokens.fetches();
    let scope = format!("repository:{}:pull,push", a.repository());
    assert_eq!(renewed[&scope], after[&scope] + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_renewed_once_and_the_request_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (tokens, registry, client, _) = bearer_registry(dir.path(), 300, true).await;
    let host = registry.host();
    let name = images::name(&host, "starlingx/stale");
    let mut tries = 0;
    // First request: 401 (scheme learned), token fetched (stale), 401 again, token renewed, 404.
    let head = client
        .head_manifest(
            &name,
            "nothing",
            tagman_apply::auth::Access::PullPush,
            &mut tries,
        )
        .await
        .unwrap();
    assert!(head.is_none());
    assert_eq!(
        tries, 3,
        "401 (no token), 401 (stale token), then the answer"
    );
    assert_eq!(tokens.fetches()["repository:starlingx/stale:pull,push"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_on_a_token_registry_mounts_blobs_with_a_scope_covering_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let (tokens, registry, client, _) = bearer_registry(dir.path(), 300, false).await;
    let host = registry.host();
    let name = images::name(&host, "starlingx/src");
    let index = images::push(&client, &name, "build-1", Kind::OciIndex, "src").await;
    let options = Options {
        to: Some(tagman_apply::Location::parse(&format!("{host}/release")).unwrap()),
        ..Options::default()
    };
    let outcomes = run(
        &client,
        vec![item(&name, "build-1", "stx.10.0-v1")],
        &options,
        |_| {},
    )
    .await;
    assert_eq!(
        outcomes[0].action,
        Action::Created,
        "{:?}",
        outcomes[0].error
    );
    assert_eq!(outcomes[0].digest.as_deref(), Some(index.digest.as_str()));
    let log = registry.access_log();
    let mounted = log
        .lines()
        .filter(|l| l.contains("mount=") && l.contains("\" 201 "))
        .count();
    assert!(mounted > 0, "blobs were mounted:\n{log}");
    let fetches = tokens.fetches();
    assert!(
        fetches.contains_key("repository:release/starlingx/src:pull,push"),
        "{fetches:?}"
    );
    assert!(
        fetches.contains_key("repository:starlingx/src:pull"),
        "{fetches:?}"
    );
}

/// A registry whose token server does not answer: the token server gets its own circuit
/// breaker, so forty entries cost a few token requests, not forty rounds of retries, and every
/// failure names the token server and the registry that sends clients there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_token_server_opens_its_breaker_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let pki = servers::make_pki(dir.path());
    // Its signing bundle is what the registry needs; the realm it names is a closed port.
    let tokens = TokenServer::start(dir.path(), &pki, USER, SECRET, 300, false).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let registry = Registry::start_with(RegistryConfig {
        auth: RegistryAuth::Token {
            realm: format!("https://{dead}/token"),
            service: servers::SERVICE.to_owned(),
            issuer: servers::ISSUER.to_owned(),
            bundle: tokens.bundle.clone(),
        },
        tls: None,
    });
    let host = registry.host();
    let credentials =
        CredentialStore::load(&[auth_file(dir.path(), &host, SECRET)], false).unwrap();
    let client = Client::new(TransportConfig {
        insecure_registries: vec![host.clone()],
        ca_certs: vec![pki.ca],
        retry: images::fast_retry(),
        credentials,
        ..TransportConfig::default()
    })
    .unwrap();
    let plan: Vec<_> = (0..40)
        .map(|n| {
            let name = images::name(&host, &format!("starlingx/app{n}"));
            item(&name, "build-1", "stx.10.0-v1")
        })
        .collect();
    let start = std::time::Instant::now();
    let outcomes = run(&client, plan, &Options::default(), |_| {}).await;
    let wall = start.elapsed();
    assert!(outcomes.iter().all(|o| o.action == Action::Failed));
    let stats = client.transport().stats().snapshot();
    // Past the harness's capture, where scripts/test shows figures.
    let _ = writeln!(
        std::io::stderr(),
        "figure: dead token server, 40 entries: {} token requests in {:.3} s",
        stats.tokens,
        wall.as_secs_f64()
    );
    // Without the breaker: 40 entries × 8 attempts. With it: about the entries in flight.
    assert!(stats.tokens <= 16, "{} token requests", stats.tokens);
    let first = outcomes[0].error.as_ref().unwrap().to_string();
    assert!(
        first.starts_with(&format!(
            "{dead} (the token server of {host}): connection refused ("
        )),
        "{first}"
    );
    let report = Report::new(&outcomes, stats, "tagman test", 0);
    let failures = &report.summary.failures;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].registry, dead.to_string());
    assert_eq!(failures[0].cause, "token server: connection refused");
    assert_eq!(failures[0].entries, 40);
    assert!(failures[0].not_tried > 0, "{failures:?}");
    let shown = everything_shown(&client, &outcomes);
    assert!(!shown.contains(SECRET), "{shown}");
}
