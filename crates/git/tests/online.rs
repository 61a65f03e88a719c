//! `--online` against a Launchpad/StoryBoard stand-in on loopback: found, private, missing,
//! a service that keeps failing, and one that is not there at all.

use std::net::TcpListener;
use std::time::Duration;

use tagman_core::{Policy, SourceFile};
use tagman_diag::registry;
use tagman_diag::Sink;
use tagman_git::online::{Checker, OnlineConfig};
use tagman_git::Message;

/// The JSON shapes of the two APIs on a free loopback port, for at most `limit` connections;
/// returns the base URL.
fn serve(limit: usize) -> String {
    use tagman_testkit::http::{serve, Route};
    serve(
        vec![
            Route::new(
                "/lp/bugs/1854869",
                "200 OK",
                r#"{"id": 1854869, "title": "Static image tags", "private": false}"#,
            ),
            Route::new(
                "/lp/bugs/2000001",
                "200 OK",
                r#"{"id": 2000001, "title": "embargoed", "private": true}"#,
            ),
            Route::new(
                "/sb/stories/2010056",
                "200 OK",
                r#"{"id": 2010056, "title": "PTP notification", "private": false}"#,
            ),
            Route::new(
                "/sb/tasks/46525",
                "200 OK",
                r#"{"id": 46525, "title": "Update tags", "story_id": 2010056}"#,
            ),
            Route::new("/lp/bugs/7777777", "503 Service Unavailable", "{}"),
        ],
        limit,
    )
}

fn config(launchpad: &str, storyboard: &str) -> OnlineConfig {
    OnlineConfig {
        timeout: Duration::from_secs(5),
        attempts: 2,
        backoff: Duration::from_millis(10),
        ..OnlineConfig::new(launchpad, storyboard)
    }
}

fn run(config: OnlineConfig, text: &str) -> Vec<(&'static str, usize)> {
    let policy = Policy::default();
    let message = Message::parse(SourceFile::new("MSG", text), false);
    let checker = Checker::new(config).unwrap();
    let results: Vec<_> = message
        .accepted(&policy.references)
        .filter_map(|r| r.number.map(|n| (r.clone(), checker.lookup(r.kind, n))))
        .collect();
    let mut sink = Sink::new(&policy);
    let cx = tagman_git::rules::OnlineContext {
        message: &message,
        results: &results,
    };
    registry::run(tagman_git::rules::ONLINE_RULES, &cx, &mut sink);
    sink.finish()
        .diagnostics
        .iter()
        .map(|d| (d.code(), d.finding.primary.start().line))
        .collect()
}

#[test]
fn references_are_checked_against_the_services() {
    let base = serve(50);
    let config = config(&format!("{base}/lp"), &format!("{base}/sb/"));
    let text = "Update tags\n\nPartial-Bug: 1854869\nStory: 2010056\nTask: 46525\nCloses-Bug: 2000001\nRelated-Bug: 3\nTask: 4\nCloses-Bug: 7777777\n";
    assert_eq!(
        run(config, text),
        [("TM112", 6), ("TM111", 7), ("TM111", 8), ("TM113", 9)]
    );
}

#[test]
fn an_unreachable_service_is_a_warning() {
    // A port that was free a moment ago and has nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let found = run(
        config(&base, &base),
        "Update\n\nCloses-Bug: 1854869\nStory: 1\n",
    );
    assert_eq!(found, [("TM113", 3), ("TM113", 4)]);
}
