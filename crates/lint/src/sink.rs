//! The sink every rule's findings flow into: it applies the policy's per-rule level and turns
//! findings into diagnostics.

use tagman_core::{PathScope, Policy, RuleLevel, Severity};

use crate::diagnostic::{Diagnostic, Finding, Report};
use crate::registry::Rule;

/// Collects findings as diagnostics, applying the policy's per-rule level.
#[derive(Debug)]
pub struct Sink<'p> {
    policy: &'p Policy,
    scope: PathScope<'p>,
    report: Report,
}

impl<'p> Sink<'p> {
    /// An empty sink under `policy`.
    pub fn new(policy: &'p Policy) -> Self {
        Self {
            policy,
            scope: PathScope::default(),
            report: Report::default(),
        }
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
