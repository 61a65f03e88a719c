//! The sink every rule's findings flow into: it applies the policy's per-rule level, turns
//! findings into diagnostics, and caps what one file can produce.
//!
//! The cap is the policy's `max_findings` per file (1,000 unless set; 0 for none), like a
//! compiler's error limit: the first findings of a file by position are kept, the others are
//! counted, and one `TM000` diagnostic after them says how many more there are. A rule hands its
//! findings to a [`Findings`] collector that holds the same cap, so no rule can grow memory with
//! the input either (16 MiB of `- x` entries is four million schema findings).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use tagman_core::{PathScope, Policy, RuleLevel, Severity, Span};

use crate::diagnostic::{Diagnostic, Finding, Label, Report};
use crate::registry::{Docs, Rule, Subject};

pub use tagman_core::policy::DEFAULT_MAX_FINDINGS;

/// TM000: the file has more findings than the limit; the others are counted, not shown.
pub static LIMIT: Rule = Rule {
    code: "TM000",
    name: "too-many-findings",
    default: Severity::Warning,
    subject: Subject::Manifest,
    summary: "a file has more findings than `max_findings`: the first are shown, the rest counted",
    docs: Docs {
        what: r#"After the first `max_findings` findings of a file (1,000 by default, by position),
tagman stops listing and ends the file's findings with one TM000 saying how many more errors and
warnings it found. Its severity is the worst of the findings it stands for; the summary and the
exit code count them all."#,
        why: r#"A broken or hostile file can hold millions of problems (16 MiB of `- x` entries is
four million); listing them all helps no one and writes gigabytes. The first ones are where to
start."#,
        example: r#"A manifest of 5,000 entries that all lack `src_ref`."#,
        fix: r#"Fix the findings shown and run again, or raise the limit: `max_findings: 5000` in
tagman.yaml or `--max-findings 5000` (0 for no limit)."#,
    },
};

/// Which file a finding belongs to: its name and the revision it was read at.
type FileKey = (Arc<str>, Option<Arc<str>>);

fn file_key(label: &Label) -> FileKey {
    (label.file.name_arc(), label.file.revision().map(Arc::from))
}

/// An item ranked by where it points, then its rule's code, then arrival.
struct Ranked<T> {
    span: Span,
    code: &'static str,
    seq: u64,
    item: T,
}

impl<T> Ranked<T> {
    fn key(&self) -> (Span, &'static str, u64) {
        (self.span, self.code, self.seq)
    }
}

impl<T> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<T> Eq for Ranked<T> {}

impl<T> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// The first `limit` items by rank, and what was left out.
struct Bounded<T> {
    kept: BinaryHeap<Ranked<T>>,
    limit: usize,
    /// Items left out, by severity (for the sink; a rule's collector counts them as errors).
    errors: usize,
    warnings: usize,
    /// The first item left out: where the "… more" diagnostic points.
    first_left_out: Option<(Span, &'static str, u64, Label)>,
}

impl<T> Bounded<T> {
    fn new(limit: usize) -> Self {
        Self {
            kept: BinaryHeap::new(),
            limit,
            errors: 0,
            warnings: 0,
            first_left_out: None,
        }
    }

    fn left_out(&self) -> usize {
        self.errors + self.warnings
    }

    /// Offers an item; returns the one that does not fit (it, or the last one kept).
    fn offer(&mut self, item: Ranked<T>) -> Option<Ranked<T>> {
        if self.kept.len() < self.limit {
            self.kept.push(item);
            return None;
        }
        match self.kept.peek() {
            Some(last) if item < *last => {
                let out = self.kept.pop();
                self.kept.push(item);
                out
            }
            _ => Some(item),
        }
    }

    fn note_left_out(&mut self, span: Span, code: &'static str, seq: u64, label: &Label) {
        let earlier = self
            .first_left_out
            .as_ref()
            .is_none_or(|(s, c, q, _)| (span, code, seq) < (*s, *c, *q));
        if earlier {
            self.first_left_out = Some((span, code, seq, label.clone()));
        }
    }
}

/// What one rule found, at most the limit per file; the check functions push into it.
pub struct Findings {
    limit: usize,
    files: HashMap<FileKey, Bounded<Finding>>,
    seq: u64,
}

impl std::fmt::Debug for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Findings")
            .field("limit", &self.limit)
            .field("files", &self.files.len())
            .finish()
    }
}

impl Findings {
    /// A collector keeping at most `limit` findings per file.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            files: HashMap::new(),
            seq: 0,
        }
    }

    /// A collector that keeps everything (for tests of a single check).
    pub fn unlimited() -> Self {
        Self::new(usize::MAX)
    }

    /// How many findings a file may show: a check that can find millions may stop making
    /// them after this many and [`Findings::count_more`] the rest.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Records a finding.
    pub fn push(&mut self, mut finding: Finding) {
        // A message quoting a 14 MiB value is no message: every text is cut to a readable length.
        shorten(&mut finding.message);
        if let Some(help) = &mut finding.help {
            shorten(help);
        }
        let key = file_key(&finding.primary);
        let span = finding.primary.span;
        self.seq += 1;
        let seq = self.seq;
        let limit = self.limit;
        let bounded = self.files.entry(key).or_insert_with(|| Bounded::new(limit));
        if let Some(out) = bounded.offer(Ranked {
            span,
            code: "",
            seq,
            item: finding,
        }) {
            bounded.errors += 1;
            bounded.note_left_out(out.span, "", out.seq, &out.item.primary);
        }
    }

    /// Records findings.
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        findings.into_iter().for_each(|f| self.push(f));
    }

    /// Counts `n` findings in `file` a check found but did not make, the first at `at`.
    pub fn count_more(&mut self, at: &Label, n: usize) {
        if n == 0 {
            return;
        }
        let limit = self.limit;
        self.seq += 1;
        let seq = self.seq;
        let bounded = self
            .files
            .entry(file_key(at))
            .or_insert_with(|| Bounded::new(limit));
        bounded.errors += n;
        bounded.note_left_out(at.span, "", seq, at);
    }

    /// The findings kept, by file and position, and how many were left out.
    pub fn into_parts(self) -> (Vec<Finding>, usize) {
        let mut left_out = 0;
        let mut kept: Vec<Ranked<Finding>> = Vec::new();
        for bounded in self.files.into_values() {
            left_out += bounded.left_out();
            kept.extend(bounded.kept.into_vec());
        }
        kept.sort_by(|a, b| {
            (a.item.primary.file.name(), a.key()).cmp(&(b.item.primary.file.name(), b.key()))
        });
        (kept.into_iter().map(|r| r.item).collect(), left_out)
    }

    /// The findings kept, by file and position (what a check's unit test looks at).
    pub fn into_vec(self) -> Vec<Finding> {
        self.into_parts().0
    }
}

/// The longest message or help a finding keeps, in bytes.
const MAX_TEXT: usize = 1_000;

/// Cuts `text` to [`MAX_TEXT`] bytes (at a character boundary) and marks the cut with `…`.
fn shorten(text: &mut String) {
    if text.len() <= MAX_TEXT {
        return;
    }
    let mut cut = MAX_TEXT;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push('…');
}

/// Collects findings as diagnostics, applying the policy's per-rule level and the file cap.
pub struct Sink<'p> {
    policy: &'p Policy,
    /// The policy's `per_path` entries for the file whose findings come next.
    scope: PathScope<'p>,
    limit: usize,
    files: HashMap<FileKey, Bounded<Diagnostic>>,
    seq: u64,
    checked: usize,
}

impl std::fmt::Debug for Sink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("limit", &self.limit)
            .field("files", &self.files.len())
            .finish()
    }
}

impl<'p> Sink<'p> {
    /// An empty sink under `policy`.
    pub fn new(policy: &'p Policy) -> Self {
        Self {
            policy,
            scope: PathScope::default(),
            limit: match policy.max_findings {
                0 => usize::MAX,
                n => n,
            },
            files: HashMap::new(),
            seq: 0,
            checked: 0,
        }
    }

    /// A collector for one rule's findings, under this sink's cap.
    pub fn findings(&self) -> Findings {
        Findings::new(self.limit)
    }

    /// Sets the policy's `per_path` entries that apply to the file whose findings come next
    /// (`paths`: its path relative to the policy's directory and to the scanned path).
    pub fn enter_file(&mut self, paths: &[&str]) {
        self.scope = self.policy.per_path.scope(paths);
    }

    /// The severity `rule` has under the policy (in the file entered last, if any), or `None`
    /// when it is off.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        let base = match self.policy.level_for(rule.code, rule.name) {
            None => Some(rule.default),
            Some(RuleLevel::Error) => Some(Severity::Error),
            Some(RuleLevel::Warning) => Some(Severity::Warning),
            Some(RuleLevel::Off) => None,
        };
        if self.scope.is_empty() {
            return base;
        }
        self.scope.severity(rule.code, rule.name, base)
    }

    /// Records what `rule` found.
    pub fn push(&mut self, rule: &'static Rule, findings: Findings) {
        let Some(severity) = self.severity(rule) else {
            return;
        };
        let limit = self.limit;
        for (key, mut found) in findings.files {
            let bounded = self.files.entry(key).or_insert_with(|| Bounded::new(limit));
            // What the rule's own collector left out counts as this rule's.
            let count = found.left_out();
            if count > 0 {
                match severity {
                    Severity::Error => bounded.errors += count,
                    Severity::Warning => bounded.warnings += count,
                }
                if let Some((span, _, _, label)) = found.first_left_out.take() {
                    self.seq += 1;
                    bounded.note_left_out(span, rule.code, self.seq, &label);
                }
            }
            let mut kept = found.kept.into_vec();
            kept.sort();
            for ranked in kept {
                self.seq += 1;
                let span = ranked.span;
                let offered = Ranked {
                    span,
                    code: rule.code,
                    seq: self.seq,
                    item: Diagnostic {
                        rule,
                        severity,
                        finding: ranked.item,
                    },
                };
                if let Some(out) = bounded.offer(offered) {
                    match out.item.severity {
                        Severity::Error => bounded.errors += 1,
                        Severity::Warning => bounded.warnings += 1,
                    }
                    bounded.note_left_out(out.span, out.code, out.seq, &out.item.finding.primary);
                }
            }
        }
    }

    /// Counts checked files.
    pub fn add_files(&mut self, n: usize) {
        self.checked += n;
    }

    /// The sorted report: every file's first findings, then a TM000 for those left out.
    pub fn finish(self) -> Report {
        let mut report = Report {
            files: self.checked,
            ..Report::default()
        };
        let show_limit = self.severity(&LIMIT).is_some();
        let limit = self.limit;
        for bounded in self.files.into_values() {
            let (errors, warnings) = (bounded.errors, bounded.warnings);
            // In rank order: the report's sort is stable, and findings of one rule at one place
            // keep the order the rule made them in.
            let mut kept = bounded.kept.into_vec();
            kept.sort();
            report.diagnostics.extend(kept.into_iter().map(|r| r.item));
            report.omitted_errors += errors;
            report.omitted_warnings += warnings;
            if let (true, Some((_, _, _, label))) = (show_limit, bounded.first_left_out) {
                report
                    .diagnostics
                    .push(limit_diagnostic(label, errors, warnings, limit));
            }
        }
        report.sort();
        report
    }
}

/// The TM000 diagnostic standing for `errors` and `warnings` left out, at the first of them.
fn limit_diagnostic(at: Label, errors: usize, warnings: usize, limit: usize) -> Diagnostic {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    Diagnostic {
        rule: &LIMIT,
        severity: if errors > 0 {
            Severity::Error
        } else {
            Severity::Warning
        },
        finding: Finding::new(
            at,
            format!(
                "… and {} more finding{} in this file ({}, {}), not listed: at most {limit} are listed per file",
                errors + warnings,
                if errors + warnings == 1 { "" } else { "s" },
                plural(errors, "error"),
                plural(warnings, "warning"),
            ),
        )
        .help("fix those first, or raise the limit: `max_findings` in tagman.yaml or `--max-findings N` (0 for no limit)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagman_core::SourceFile;

    static RULE: Rule = Rule {
        code: "TM900",
        name: "sample",
        default: Severity::Error,
        subject: Subject::Manifest,
        summary: "s",
        docs: Docs {
            what: "w",
            why: "y",
            example: "e",
            fix: "f",
        },
    };

    fn finding(file: &SourceFile, offset: usize) -> Finding {
        Finding::new(
            Label::new(file, Span::new(offset, 1)),
            format!("at {offset}"),
        )
    }

    #[test]
    fn a_file_shows_its_first_findings_and_counts_the_rest() {
        let policy = Policy {
            max_findings: 3,
            ..Policy::default()
        };
        let file = SourceFile::new("a.yaml", "x".repeat(100));
        let other = SourceFile::new("b.yaml", "x".repeat(100));
        let mut sink = Sink::new(&policy);
        let mut found = sink.findings();
        // In reverse order: the cap keeps the first by position, not the first to arrive.
        for offset in (0..10).rev() {
            found.push(finding(&file, offset));
        }
        found.push(finding(&other, 7));
        sink.push(&RULE, found);
        let report = sink.finish();
        let shown: Vec<(&str, &str, &str)> = report
            .diagnostics
            .iter()
            .map(|d| (d.file(), d.code(), d.finding.message.as_str()))
            .collect();
        assert_eq!(
            shown[..3],
            [
                ("a.yaml", "TM900", "at 0"),
                ("a.yaml", "TM900", "at 1"),
                ("a.yaml", "TM900", "at 2")
            ]
        );
        assert_eq!(shown[3].1, "TM000");
        assert!(
            shown[3]
                .2
                .starts_with("… and 7 more findings in this file (7 errors, 0 warnings)"),
            "{}",
            shown[3].2
        );
        assert_eq!(report.diagnostics[3].finding.primary.span.offset, 3);
        assert_eq!(shown[4], ("b.yaml", "TM900", "at 7"));
        assert_eq!(report.errors(), 11);
        assert_eq!(report.diagnostics.len(), 5);
    }

    #[test]
    fn long_messages_are_cut() {
        let file = SourceFile::new("a.yaml", "x");
        let mut found = Findings::unlimited();
        found.push(
            Finding::new(Label::new(&file, Span::new(0, 1)), "é".repeat(5_000))
                .help("h".repeat(5_000)),
        );
        let kept = found.into_vec();
        assert!(kept[0].message.len() <= MAX_TEXT + 3 && kept[0].message.ends_with('…'));
        assert!(kept[0]
            .help
            .as_deref()
            .is_some_and(|h| h.len() <= MAX_TEXT + 3));
    }

    #[test]
    fn zero_means_no_limit() {
        let policy = Policy {
            max_findings: 0,
            ..Policy::default()
        };
        let file = SourceFile::new("a.yaml", "x".repeat(5000));
        let mut sink = Sink::new(&policy);
        let mut found = sink.findings();
        (0..4000).for_each(|o| found.push(finding(&file, o)));
        sink.push(&RULE, found);
        let report = sink.finish();
        assert_eq!(report.diagnostics.len(), 4000);
        assert_eq!(report.errors(), 4000);
    }

    #[test]
    fn counted_findings_join_the_left_out() {
        let policy = Policy {
            max_findings: 2,
            ..Policy::default()
        };
        let file = SourceFile::new("a.yaml", "x".repeat(100));
        let mut sink = Sink::new(&policy);
        let mut found = sink.findings();
        found.push(finding(&file, 1));
        found.push(finding(&file, 2));
        found.count_more(&Label::new(&file, Span::new(50, 1)), 40);
        sink.push(&RULE, found);
        let report = sink.finish();
        assert_eq!(report.errors(), 42);
        let last = report.diagnostics.last().unwrap();
        assert_eq!(last.code(), "TM000");
        assert_eq!(last.severity, Severity::Error);
        assert_eq!(last.finding.primary.span.offset, 50);
    }
}
