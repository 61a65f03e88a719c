//! A commit message taken apart: its subject, its body lines, and the Launchpad / StoryBoard
//! references written in it (valid, malformed, in the subject, in `#` comments).

use tagman_core::{SourceFile, Span};

/// git's scissors line: everything from it down is dropped (`git commit -v`).
const SCISSORS: &str = "# ------------------------ >8 ------------------------";

/// The kinds of reference tagman knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// Launchpad `Closes-Bug:`.
    ClosesBug,
    /// Launchpad `Partial-Bug:`.
    PartialBug,
    /// Launchpad `Related-Bug:`.
    RelatedBug,
    /// StoryBoard `Story:`.
    Story,
    /// StoryBoard `Task:`.
    Task,
}

impl RefKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::ClosesBug,
        Self::PartialBug,
        Self::RelatedBug,
        Self::Story,
        Self::Task,
    ];

    /// The key as written canonically (`Closes-Bug`).
    pub fn canonical(self) -> &'static str {
        match self {
            Self::ClosesBug => "Closes-Bug",
            Self::PartialBug => "Partial-Bug",
            Self::RelatedBug => "Related-Bug",
            Self::Story => "Story",
            Self::Task => "Task",
        }
    }

    /// The name the policy's `references` list uses (`closes-bug`).
    pub fn policy_name(self) -> &'static str {
        match self {
            Self::ClosesBug => "closes-bug",
            Self::PartialBug => "partial-bug",
            Self::RelatedBug => "related-bug",
            Self::Story => "story",
            Self::Task => "task",
        }
    }

    /// Whether it names a Launchpad bug (else a StoryBoard story or task).
    pub fn is_launchpad(self) -> bool {
        matches!(self, Self::ClosesBug | Self::PartialBug | Self::RelatedBug)
    }

    /// The kind whose key is `key`, in any case.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.canonical().eq_ignore_ascii_case(key))
    }
}

/// A reference-shaped line (`Key: value`) whose key is one tagman knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefLine {
    /// Its kind.
    pub kind: RefKind,
    /// The key as written.
    pub key: String,
    /// Where the key stands.
    pub key_span: Span,
    /// The value as written (trimmed).
    pub value: String,
    /// Where the value stands (zero-length after the colon when empty).
    pub value_span: Span,
    /// The number, when the value is `N` or `#N`.
    pub number: Option<u64>,
    /// The whole line, trimmed.
    pub span: Span,
}

impl RefLine {
    /// `Closes-Bug: 1854869` as it should be written.
    pub fn display(&self) -> String {
        match self.number {
            Some(n) => format!("{}: {n}", self.kind.canonical()),
            None => format!("{}: {}", self.key, self.value),
        }
    }
}

/// A body line that is almost a reference: a known key and a number, with the colon missing or
/// the key's hyphen written as a space or underscore (`closes-bug 2000001`, `Closes Bug: 1`,
/// `Story #2011100`). git trailers and the tools reading them need `Key: value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearMiss {
    /// The kind it was meant to be.
    pub kind: RefKind,
    /// The number.
    pub number: u64,
    /// The line, trimmed.
    pub span: Span,
}

impl NearMiss {
    /// How it should be written (`Closes-Bug: 2000001`).
    pub fn fixed(&self) -> String {
        format!("{}: {}", self.kind.canonical(), self.number)
    }
}

/// A commit message as tagman reads it.
#[derive(Clone, Debug)]
pub struct Message {
    /// The text as given (positions point into it).
    pub source: SourceFile,
    /// The subject line, trimmed (`None` for an empty message).
    pub subject: Option<Span>,
    /// A reference-shaped fragment inside the subject line.
    pub subject_reference: Option<Span>,
    /// Reference lines in the body (below the subject), valid or not.
    pub references: Vec<RefLine>,
    /// Reference lines inside `#` comment lines, which git drops.
    pub commented: Vec<RefLine>,
    /// Body lines that are almost references (no colon, a misspelled key).
    pub near_misses: Vec<NearMiss>,
    /// Whether the message has any text once comments are dropped.
    pub is_empty: bool,
}

impl Message {
    /// Parses `source`. With `strip_comments` (a message file from git, before git cleans it
    /// up) `#` lines and everything below the scissors line are not part of the message.
    pub fn parse(source: SourceFile, strip_comments: bool) -> Self {
        let text = source.text();
        let mut subject = None;
        let mut subject_reference = None;
        let mut references = Vec::new();
        let mut commented = Vec::new();
        let mut near_misses = Vec::new();
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            if strip_comments && line.starts_with('#') {
                if line == SCISSORS {
                    break;
                }
                if let Some(r) = ref_line(&line[1..], start + 1) {
                    commented.push(r);
                }
                continue;
            }
            let trimmed = line.trim();
            if subject.is_none() {
                if !trimmed.is_empty() {
                    let lead = line.len() - line.trim_start().len();
                    subject = Some(Span::new(start + lead, trimmed.len()));
                    subject_reference =
                        find_in_subject(trimmed).map(|(o, l)| Span::new(start + lead + o, l));
                }
                continue;
            }
            if let Some(r) = ref_line(line, start) {
                references.push(r);
            } else if let Some(miss) = near_miss(line, start) {
                near_misses.push(miss);
            }
        }
        Self {
            is_empty: subject.is_none(),
            source,
            subject,
            subject_reference,
            references,
            commented,
            near_misses,
        }
    }

    /// The valid references whose kind the policy accepts.
    pub fn accepted<'a>(&'a self, kinds: &'a [String]) -> impl Iterator<Item = &'a RefLine> + 'a {
        self.references.iter().filter(move |r| {
            r.number.is_some()
                && kinds
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(r.kind.policy_name()))
        })
    }
}

/// `Key: value` on a line of its own, `line` starting at byte `start` of the message.
fn ref_line(line: &str, start: usize) -> Option<RefLine> {
    let (key_part, value_part) = line.split_once(':')?;
    let key = key_part.trim();
    let kind = RefKind::from_key(key)?;
    let key_offset = start + (key_part.len() - key_part.trim_start().len());
    let value = value_part.trim();
    let value_lead = value_part.len() - value_part.trim_start().len();
    let value_offset = start + key_part.len() + 1 + if value.is_empty() { 0 } else { value_lead };
    let digits = value.strip_prefix('#').unwrap_or(value);
    let number = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    };
    let line_end = start + line.trim_end().len();
    Some(RefLine {
        kind,
        key: key.to_owned(),
        key_span: Span::new(key_offset, key.len()),
        value: value.to_owned(),
        value_span: Span::new(value_offset, value.len()),
        number,
        span: Span::new(key_offset, line_end - key_offset),
    })
}

/// A line that is a known key and a number but not `Key: N` (see [`NearMiss`]), `line` starting
/// at byte `start` of the message.
fn near_miss(line: &str, start: usize) -> Option<NearMiss> {
    let text = line.trim();
    let key_end = text.find(|c: char| c.is_ascii_digit() || c == '#' || c == ':')?;
    let key = text[..key_end].trim_end().replace([' ', '_'], "-");
    let kind = RefKind::from_key(&key)?;
    let rest = text[key_end..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    let digits = rest.strip_prefix('#').unwrap_or(rest);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let lead = line.len() - line.trim_start().len();
    Some(NearMiss {
        kind,
        number: digits.parse().ok()?,
        span: Span::new(start + lead, text.len()),
    })
}

/// A known key followed by `:` anywhere in the subject: (offset, length) of `Key: value`.
fn find_in_subject(subject: &str) -> Option<(usize, usize)> {
    let lower = subject.to_ascii_lowercase();
    RefKind::ALL.into_iter().find_map(|kind| {
        let key = kind.canonical().to_ascii_lowercase();
        let mut from = 0;
        while let Some(found) = lower[from..].find(&key) {
            let at = from + found;
            from = at + key.len();
            // `Story` inside `History:` is not a reference.
            let word_start = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
            let rest = &subject[at + key.len()..];
            if word_start && rest.trim_start().starts_with(':') {
                let after = rest.trim_start()[1..].trim_start();
                let value_len = after
                    .find(|c: char| c.is_whitespace() || c == ')' || c == ',')
                    .unwrap_or(after.len());
                let end = subject.len() - after.len() + value_len;
                return Some((at, end - at));
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Message {
        Message::parse(SourceFile::new("MSG", text), true)
    }

    #[test]
    fn references_anywhere_in_the_body_any_case() {
        let m = parse("Update tag\n\nSome text.\n\nCloses-bug: 1854869\nMore text after.\n\nStory: 2010056\nTask:  46525\nChange-Id: I7b9\n");
        let found: Vec<_> = m.references.iter().map(|r| (r.kind, r.number)).collect();
        assert_eq!(
            found,
            [
                (RefKind::ClosesBug, Some(1_854_869)),
                (RefKind::Story, Some(2_010_056)),
                (RefKind::Task, Some(46_525))
            ]
        );
        assert_eq!(m.source.slice(m.references[0].key_span), "Closes-bug");
        assert_eq!(m.source.slice(m.references[2].value_span), "46525");
        assert!(m.subject_reference.is_none());
    }

    #[test]
    fn hash_numbers_are_valid_other_values_are_not() {
        let m = parse("s\n\nCloses-Bug: #18\nPartial-Bug: LP#18\nStory: abc\nTask:\n");
        let numbers: Vec<_> = m.references.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [Some(18), None, None, None]);
        assert_eq!(m.source.slice(m.references[1].value_span), "LP#18");
        assert_eq!(m.references[3].value_span.len, 0);
    }

    #[test]
    fn subject_and_comments_do_not_count() {
        let text = "Fix tag (Closes-Bug: 123)\n\nBody.\n# Closes-Bug: 456\n# ------------------------ >8 ------------------------\nStory: 789\n";
        let m = parse(text);
        assert!(m.references.is_empty());
        assert_eq!(
            m.source.slice(m.subject_reference.unwrap()),
            "Closes-Bug: 123"
        );
        assert_eq!(m.commented.len(), 1);
        assert_eq!(m.source.slice(m.commented[0].span), "Closes-Bug: 456");
    }

    #[test]
    fn commit_objects_keep_hash_lines() {
        let m = Message::parse(
            SourceFile::new("c", "s\n\n#not a comment\nStory: 1\n"),
            false,
        );
        assert_eq!(m.references.len(), 1);
    }

    #[test]
    fn history_is_not_a_story() {
        let m = parse("Rewrite History: 12 entries\n\nbody\n");
        assert!(m.subject_reference.is_none());
    }

    /// Issue 14: `closes-bug 2000001` (no colon) was silently not a reference.
    #[test]
    fn near_misses_are_kept_with_their_fix() {
        let m =
            parse("s\n\ncloses-bug 2000001\nCloses Bug: 12\nstory #5\nStory 5 was long\nTask: 7\n");
        let fixed: Vec<_> = m.near_misses.iter().map(NearMiss::fixed).collect();
        assert_eq!(fixed, ["Closes-Bug: 2000001", "Closes-Bug: 12", "Story: 5"]);
        assert_eq!(m.source.slice(m.near_misses[0].span), "closes-bug 2000001");
        assert_eq!(m.references.len(), 1);
    }

    #[test]
    fn accepted_follows_the_policy() {
        let m = parse("s\n\nStory: 1\nCloses-Bug: 2\n");
        let only_bugs = vec!["closes-bug".to_owned()];
        let kinds: Vec<_> = m.accepted(&only_bugs).map(|r| r.kind).collect();
        assert_eq!(kinds, [RefKind::ClosesBug]);
    }
}
