//! The sink every rule's findings flow into: it applies the policy's per-rule level and turns
//! findings into diagnostics.

use tagman_core::{Policy, RuleLevel, Severity};

use crate::diagnostic::{Diagnostic, Finding, Report};
use crate::registry::Rule;

/// Collects findings as diagnostics, applying the policy's per-rule level.
#[derive(Debug)]
pub struct Sink<'p> {
    policy: &'p Policy,
    report: Report,
}

impl<'p> Sink<'p> {
    /// An empty sink under `policy`.
    pub fn new(policy: &'p Policy) -> Self {
        Self {
            policy,
            report: Report::default(),
        }
    }

    /// The severity `rule` has under the policy, or `None` when it is off.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        match self.policy.level_for(rule.code, rule.name) {
            None => Some(rule.default),
            Some(RuleLevel::Error) => Some(Severity::Error),
            Some(RuleLevel::Warning) => Some(Severity::Warning),
            Some(RuleLevel::Off) => None,
        }
    }

    /// Records `findings` of `rule`.
    pub fn push(&mut self, rule: &'static Rule, findings: impl IntoIterator<Item = Finding>) {
        let Some(severity) = self.severity(rule) else {
            return;
        };
        self.report
            .diagnostics
            .extend(findings.into_iter().map(|finding| Diagnostic {
                rule,
                severity,
                finding,
            }));
    }

    /// Counts checked files.
    pub fn add_files(&mut self, n: usize) {
        self.report.files += n;
    }

    /// The sorted report.
    pub fn finish(mut self) -> Report {
        self.report.sort();
        self.report
    }
}
