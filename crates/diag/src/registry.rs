//! The one code space: what a rule is (code, name, default level, subject, summary, docs), the
//! generic runner every crate's rules go through, and the registry that lists them all.
//!
//! A rule lives in one file of the crate that owns its subject (manifest rules here, commit-message
//! and revision rules in tagman-git, source-tree rules in tagman-refs) and is registered by one
//! line in that crate's rule slice. The binary composes the crates' slices into one [`Registry`];
//! a library cannot list the crates that depend on it, so that is the single place the three meet.

use std::fmt::Write as _;

use tagman_core::policy::RuleOverride;
use tagman_core::{Policy, Severity, Span};

use crate::sink::{Findings, Sink};

/// What a rule looks at, which decides where its findings are shown (a manifest line, the commit
/// message, a line of a source file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// Tag manifests (their entries, or their entries against a base revision).
    Manifest,
    /// The commit message of a change.
    CommitMessage,
    /// Files of a source tree that reference managed images.
    SourceTree,
}

impl Subject {
    /// The word used in tables, `--explain` and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Manifest => "manifest",
            Self::CommitMessage => "commit message",
            Self::SourceTree => "source tree",
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's documentation, as data: printed by `tagman rules --explain`, carried in SARIF, and
/// summarised in the README's table.
#[derive(Clone, Copy, Debug)]
pub struct Docs {
    /// What it does: what it reports, and what it does not.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An input it reports.
    pub example: &'static str,
    /// How to fix what it reports.
    pub fix: &'static str,
}

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, `TM` and three digits.
    pub code: &'static str,
    /// kebab-case name, usable in the policy instead of the code.
    pub name: &'static str,
    /// Severity unless the policy says otherwise.
    pub default: Severity,
    /// What it looks at.
    pub subject: Subject,
    /// One line for the rule table.
    pub summary: &'static str,
    /// What / Why / Example / Fix.
    pub docs: Docs,
}

impl Rule {
    /// Whether `text` (a policy key) names this rule: its code in any case, or its name.
    pub fn is_named(&self, text: &str) -> bool {
        tagman_core::policy::names_rule(text, self.code, self.name)
    }

    /// The rule's documentation as `tagman rules --explain` prints it.
    pub fn explain(&self) -> String {
        let mut out = format!(
            "{} {}\n{}\nDefault: {}. Checks: the {}.\n",
            self.code, self.name, self.summary, self.default, self.subject
        );
        for (title, text) in [
            ("What it does", self.docs.what),
            ("Why", self.docs.why),
            ("Example", self.docs.example),
            ("Fix", self.docs.fix),
        ] {
            let _ = write!(out, "\n## {title}\n{}\n", text.trim_end());
        }
        out
    }
}

/// Runs each rule of `rules` (a crate's rule slice: each rule with its check, a function that
/// pushes findings into a [`Findings`] under the file cap and never fails) on `cx`, its findings into `sink` under the rule and the
/// policy's level for it. A rule the policy turns off is not run. This is the only loop that runs
/// rules.
pub fn run<C: ?Sized, F: Fn(&C, &mut Findings)>(
    rules: &[(&'static Rule, F)],
    cx: &C,
    sink: &mut Sink<'_>,
) {
    for (rule, check) in rules {
        if sink.severity(rule).is_none() {
            continue;
        }
        let mut findings = sink.findings();
        check(cx, &mut findings);
        sink.push(rule, findings);
    }
}

/// The metadata of a crate's rule slice, for composing a [`Registry`].
pub fn metadata<F: 'static>(
    rules: &'static [(&'static Rule, F)],
) -> impl Iterator<Item = &'static Rule> {
    rules.iter().map(|(rule, _)| *rule)
}

/// Every rule tagman knows, sorted by code.
#[derive(Debug)]
pub struct Registry {
    rules: Vec<&'static Rule>,
}

/// A policy key under `rules:` or `per_path:` that names no rule, or (under `per_path:`) a rule
/// that does not check source-tree files.
#[derive(Clone, Debug)]
pub struct UnknownRule {
    /// The key as written.
    pub text: String,
    /// Where it was written.
    pub span: Span,
    /// The rule it probably means, when one is close.
    pub suggestion: Option<&'static Rule>,
    /// The rule it names, when that rule exists but `per_path` does not apply to it.
    pub wrong_subject: Option<&'static Rule>,
}

impl Registry {
    /// The registry of `rules`, sorted by code.
    pub fn new(rules: impl IntoIterator<Item = &'static Rule>) -> Self {
        let mut rules: Vec<&'static Rule> = rules.into_iter().collect();
        rules.sort_by_key(|r| r.code);
        Self { rules }
    }

    /// Every rule, by code.
    pub fn all(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// The rule a code (any case) or name names.
    pub fn find(&self, text: &str) -> Option<&'static Rule> {
        self.rules.iter().copied().find(|r| r.is_named(text))
    }

    /// The position of a rule in [`Registry::all`] (SARIF's `ruleIndex`).
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.code == code)
    }

    /// Codes or names used twice, and codes or names that are not well formed: empty when the
    /// registry is sound (a test holds it so).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for rule in &self.rules {
            if !seen.insert(rule.code) {
                problems.push(format!("code {} is used twice", rule.code));
            }
            if !seen.insert(rule.name) {
                problems.push(format!("name {} is used twice", rule.name));
            }
            let digits = rule.code.strip_prefix("TM").unwrap_or("");
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                problems.push(format!("code {} is not TM and three digits", rule.code));
            }
            if rule.name.is_empty()
                || !rule
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            {
                problems.push(format!("name {} is not kebab-case", rule.name));
            }
            for (part, text) in [
                ("summary", rule.summary),
                ("what", rule.docs.what),
                ("why", rule.docs.why),
                ("example", rule.docs.example),
                ("fix", rule.docs.fix),
            ] {
                if text.trim().is_empty() {
                    problems.push(format!("{} has no {part}", rule.code));
                }
            }
        }
        problems
    }

    /// The policy's `rules:` keys that name no rule, each with the closest rule when one is near.
    pub fn unknown_overrides<'p>(
        &self,
        overrides: impl IntoIterator<Item = &'p RuleOverride>,
    ) -> Vec<UnknownRule> {
        overrides
            .into_iter()
            .filter(|o| self.find(&o.rule.value).is_none())
            .map(|o| UnknownRule {
                text: o.rule.value.clone(),
                span: o.rule.span,
                suggestion: self.suggest(&o.rule.value),
                wrong_subject: None,
            })
            .collect()
    }

    /// The policy's unknown rule keys under `rules:` and `per_path:` (see
    /// [`Registry::unknown_overrides`]), and `per_path:` keys naming a rule that checks no
    /// source-tree file (per_path levels apply to the files `tagman refs` scans).
    pub fn check_policy(&self, policy: &Policy) -> Vec<UnknownRule> {
        let mut found = self.unknown_overrides(&policy.rules);
        let per_path = policy.per_path.entries().iter().flat_map(|e| &e.levels);
        found.extend(self.unknown_overrides(per_path.clone()));
        found.extend(per_path.filter_map(|o| {
            let rule = self.find(&o.rule.value)?;
            (rule.subject != Subject::SourceTree).then(|| UnknownRule {
                text: o.rule.value.clone(),
                span: o.rule.span,
                suggestion: None,
                wrong_subject: Some(rule),
            })
        }));
        found.sort_by_key(|u| u.span);
        found
    }

    /// The rule a misspelt code or name most likely means.
    pub fn suggest(&self, text: &str) -> Option<&'static Rule> {
        let lower = text.to_ascii_lowercase();
        let codes: Vec<String> = self
            .rules
            .iter()
            .map(|r| r.code.to_ascii_lowercase())
            .collect();
        let mut candidates: Vec<&str> = codes.iter().map(String::as_str).collect();
        candidates.extend(self.rules.iter().map(|r| r.name));
        let near = tagman_core::text::closest(&lower, &candidates)?;
        self.rules
            .iter()
            .copied()
            .find(|r| r.code.eq_ignore_ascii_case(near) || r.name == near)
    }

    /// Every rule as JSON: code, name, default, subject, summary and docs (what, why, example,
    /// fix); what `tagman rules --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        self.rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code,
                    "name": r.name,
                    "default": r.default,
                    "subject": r.subject.as_str(),
                    "summary": r.summary,
                    "docs": {
                        "what": r.docs.what,
                        "why": r.docs.why,
                        "example": r.docs.example,
                        "fix": r.docs.fix,
                    },
                })
            })
            .collect()
    }

    /// The README's rule table (Markdown), one row per rule.
    pub fn markdown_table(&self) -> String {
        let mut table = String::from(
            "| Code | Name | Default | Checks | What it reports |\n| --- | --- | --- | --- | --- |\n",
        );
        for rule in &self.rules {
            let _ = writeln!(
                table,
                "| {} | `{}` | {} | {} | {} |",
                rule.code,
                rule.name,
                rule.default,
                rule.subject,
                rule.summary.replace('|', "\\|")
            );
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static A: Rule = Rule {
        code: "TM900",
        name: "tag-sample",
        default: Severity::Error,
        subject: Subject::Manifest,
        summary: "a sample",
        docs: Docs {
            what: "w",
            why: "y",
            example: "e",
            fix: "f",
        },
    };

    #[test]
    fn finds_by_code_in_any_case_or_by_name_and_suggests_near_misses() {
        let registry = Registry::new([&A]);
        assert_eq!(registry.find("tm900").map(|r| r.code), Some("TM900"));
        assert_eq!(registry.find("tag-sample").map(|r| r.code), Some("TM900"));
        assert!(registry.find("TM901").is_none());
        assert_eq!(
            registry.suggest("tag-sampel").map(|r| r.code),
            Some("TM900")
        );
        assert_eq!(registry.suggest("TM901").map(|r| r.code), Some("TM900"));
        assert!(registry.suggest("src-ref-prefix").is_none());
    }

    #[test]
    fn problems_name_duplicates_and_malformed_rules() {
        static BAD: Rule = Rule {
            code: "T9",
            name: "Bad_Name",
            default: Severity::Warning,
            subject: Subject::SourceTree,
            summary: "",
            docs: Docs {
                what: "w",
                why: "y",
                example: "e",
                fix: "f",
            },
        };
        assert!(Registry::new([&A]).problems().is_empty());
        let problems = Registry::new([&A, &A, &BAD]).problems();
        assert!(
            problems.contains(&"code TM900 is used twice".to_owned()),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("T9 is not TM")));
        assert!(problems
            .iter()
            .any(|p| p.contains("Bad_Name is not kebab-case")));
        assert!(problems.iter().any(|p| p.contains("T9 has no summary")));
    }

    #[test]
    fn explain_prints_every_section() {
        let text = A.explain();
        for part in [
            "TM900 tag-sample",
            "## What it does\nw",
            "## Why\ny",
            "## Example\ne",
            "## Fix\nf",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }
}
