//! What a rule is, the context it checks, and the sink that applies the policy's severity overrides.

use tagman_core::{Manifest, Policy, RuleLevel, Severity, SourceFile};

use crate::diagnostic::{Diagnostic, Finding, Report};

/// A rule's identity: stable code, name, default severity, summary. Every crate that reports
/// findings declares its rules with this type, so `tagman rules` can list them all.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, `TM` and three digits.
    pub code: &'static str,
    /// kebab-case name, usable in the policy instead of the code.
    pub name: &'static str,
    /// Severity unless the policy says otherwise.
    pub severity: Severity,
    /// One line for the rule table.
    pub summary: &'static str,
}

/// A manifest check: pushes findings, never returns `Err`.
pub type Check = fn(&Context<'_>, &mut Vec<Finding>);

/// A manifest that could not be parsed, kept so the `yaml` rule can report it where it broke.
#[derive(Clone, Debug)]
pub struct Unparsed {
    /// What could be read of the file (empty when nothing could).
    pub source: SourceFile,
    /// Where it broke (zero-length at the start when unknown).
    pub span: tagman_core::Span,
    /// Why.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Where one entry's (name, tag) was first declared, across all manifests in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// Index of the manifest holding the entry.
    pub manifest: usize,
    /// Index of the entry in that manifest.
    pub entry: usize,
    /// The (manifest, entry) that declared the same (name, tag) first, if another one did.
    pub first: Option<(usize, usize)>,
}

/// Everything the manifest rules look at.
#[derive(Debug)]
pub struct Context<'a> {
    /// Parsed manifests, in the order given.
    pub manifests: &'a [Manifest],
    /// Files that did not parse.
    pub unparsed: &'a [Unparsed],
    /// The policy in force.
    pub policy: &'a Policy,
    /// "Now" in Unix seconds, for timestamps in the future.
    pub now: i64,
    /// The manifests as they were at the base revision (empty when there is none).
    pub base: &'a [Manifest],
    /// Computed on first use and shared by the rules that compare entries.
    declarations: std::sync::OnceLock<Vec<Declaration>>,
}

impl<'a> Context<'a> {
    /// The context for one lint run.
    pub fn new(
        manifests: &'a [Manifest],
        unparsed: &'a [Unparsed],
        policy: &'a Policy,
        now: i64,
        base: &'a [Manifest],
    ) -> Self {
        Self {
            manifests,
            unparsed,
            policy,
            now,
            base,
            declarations: std::sync::OnceLock::new(),
        }
    }

    /// For every entry with a usable (name, tag), where that pair was first declared.
    pub fn declarations(&self) -> &[Declaration] {
        self.declarations.get_or_init(|| {
            let mut first: std::collections::HashMap<(&str, &str), (usize, usize)> =
                std::collections::HashMap::new();
            let mut out = Vec::new();
            for (m, manifest) in self.manifests.iter().enumerate() {
                for (e, entry) in manifest.entries.iter().enumerate() {
                    let (Some(name), Some(tag)) = (entry.canonical_name(), entry.tag.as_ref())
                    else {
                        continue;
                    };
                    let earlier = first.get(&(name, tag.value.as_str())).copied();
                    if earlier.is_none() {
                        first.insert((name, tag.value.as_str()), (m, e));
                    }
                    out.push(Declaration {
                        manifest: m,
                        entry: e,
                        first: earlier,
                    });
                }
            }
            out
        })
    }
}

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
        match self.policy.level_for(rule.code, rule.name).map(|o| o.level) {
            None => Some(rule.severity),
            Some(RuleLevel::Error) => Some(Severity::Error),
            Some(RuleLevel::Warning) => Some(Severity::Warning),
            Some(RuleLevel::Off) => None,
        }
    }

    /// Records `findings` of `rule`.
    pub fn push(&mut self, rule: &Rule, findings: impl IntoIterator<Item = Finding>) {
        let Some(severity) = self.severity(rule) else {
            return;
        };
        self.report
            .diagnostics
            .extend(findings.into_iter().map(|finding| Diagnostic {
                code: rule.code,
                rule: rule.name,
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
