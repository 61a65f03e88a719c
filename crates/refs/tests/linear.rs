//! The scan is linear in its input (issue 12): a file four times as large costs at most about
//! four times the time (the test allows twice that; a quadratic path costs sixteen times),
//! for the shapes that were quadratic (one long line full of references, a minified file) and
//! for ordinary dense text. Each case is timed as the best of several alternating runs, so the
//! ratio says how the work grows, not how busy the machine is; no absolute time is asserted.
//! Time is this thread's CPU time, so other tests running beside it on a loaded machine do not
//! count as its work.

use std::time::Duration;

use tagman_refs::extract::MAX_LINE;
use tagman_refs::Matcher;

fn matcher() -> Matcher {
    Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap()
}

/// The CPU time this thread has used so far.
fn thread_cpu() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    let usage = getrusage(UsageWho::RUSAGE_THREAD).unwrap();
    let (user, system) = (usage.user_time(), usage.system_time());
    let micros = |t: nix::sys::time::TimeVal| {
        u64::try_from(t.tv_sec()).unwrap() * 1_000_000 + u64::try_from(t.tv_usec()).unwrap()
    };
    Duration::from_micros(micros(user) + micros(system))
}

/// The CPU time of `reps` scans of `text`.
fn time(matcher: &Matcher, text: &str, reps: usize) -> Duration {
    let started = thread_cpu();
    for _ in 0..reps {
        let found = matcher.extract_file("values.yaml", text);
        std::hint::black_box(found);
    }
    thread_cpu().saturating_sub(started)
}

/// Asserts that `make(4n)` takes at most 8 times as long as `make(n)`: a linear scan costs
/// about 4 times, a quadratic one 16, so load on the machine cannot make the test fail. The two
/// sizes are timed alternately and the best run of each counts, so a burst of load hits both.
fn grows_linearly(what: &str, make: impl Fn(usize) -> String, n: usize) {
    let (small, large) = (make(n), make(4 * n));
    assert!(
        large.len() * 10 >= small.len() * 38,
        "{what}: the input did not grow four times"
    );
    let matcher = matcher();
    // Enough repetitions that each timing lasts tens of milliseconds: the scheduler's
    // interruptions stay small beside it, in a debug build as in a release one.
    let mut reps = 1;
    while time(&matcher, &small, reps) < Duration::from_millis(50) && reps < 1 << 16 {
        reps *= 2;
    }
    let (mut t1, mut t2) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        t1 = t1.min(time(&matcher, &small, reps));
        t2 = t2.min(time(&matcher, &large, reps));
    }
    let ratio = t2.as_secs_f64() / t1.as_secs_f64().max(1e-9);
    assert!(
        ratio <= 8.0,
        "{what}: {reps} scans of {} bytes took {t1:?}, of {} bytes {t2:?} ({ratio:.2}x)",
        small.len(),
        large.len()
    );
}

/// References packed on one line, `bytes` long.
fn one_line(bytes: usize) -> String {
    let unit = "image: docker.io/starlingx/x:latest, {{ .Values.tag }} starlingx/y ";
    unit.repeat(bytes / unit.len() + 1)
}

/// One test, so the cases do not run beside each other and time each other's work.
#[test]
fn scanning_grows_linearly_with_the_input() {
    // A line of references under the cap: every hit is read, each with bounded look-around.
    grows_linearly("line under the cap", one_line, MAX_LINE / 8);
    // Lines of references just under the cap, many of them.
    grows_linearly(
        "dense lines",
        |n| (one_line(MAX_LINE - 200) + "\n").repeat(n),
        4,
    );
    // One line over the cap (a minified JSON of 256 KiB, then 1 MiB): counted, not scanned.
    grows_linearly("minified", one_line, 256 * 1024);
    let found = matcher().extract(&one_line(MAX_LINE + 1));
    assert_eq!((found.refs.len(), found.long_lines), (0, 1));
    // Ordinary text: references, comments, split forms, prose.
    let block = "image:\n  repository: docker.io/starlingx/dex\n  tag: stx.9.0-v2.40.0\n# docker.io/starlingx/x:latest\nFROM starlingx/stx-debian:stx.9.0-v1\nplain text without any reference at all, just words\n";
    grows_linearly("ordinary text", |n| block.repeat(n), 1_000);
}
