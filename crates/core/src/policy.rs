//! The project policy, `tagman.yaml`: found by walking up from the working directory, defaults = StarlingX practice.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::per_path::{PathRules, PerPath};
use crate::schema::{self, Schema, SchemaError, Violation};
use crate::select::{GlobError, ManifestSelector};
use crate::source::{SourceError, SourceFile, DEFAULT_MAX_FILE_SIZE};
use crate::span::{Span, Spanned};
use crate::yaml::{self, Limits, Node, NodeKind};

/// The file name searched for.
pub const POLICY_FILE: &str = "tagman.yaml";

/// Findings listed per file unless `max_findings` says otherwise (a compiler's error limit).
pub const DEFAULT_MAX_FINDINGS: usize = 1_000;

/// How serious a finding is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported; fails only with `--deny-warnings`.
    Warning,
    /// Fails the check.
    Error,
}

impl Severity {
    /// `error` or `warning`, as every output spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the policy sets a rule to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Do not report.
    Off,
}

/// A per-rule severity override from the policy, keeping where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOverride {
    /// The rule's code or name as written.
    pub rule: Spanned<String>,
    /// The level it is set to.
    pub level: RuleLevel,
}

/// The effective policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The policy file, when one was found (its text too, for pointing at its lines).
    pub source: Option<SourceFile>,
    /// The directory manifest globs are relative to: the policy file's, else the working directory.
    pub root: PathBuf,
    /// Globs of the manifests checked when no files are named.
    pub manifests: Vec<String>,
    /// The release (`13.0`) every tag must start `stx.<release>-` with.
    pub release: Option<Spanned<String>>,
    /// URL prefixes allowed for `src_ref`.
    pub src_ref_prefixes: Vec<String>,
    /// Registry/namespace prefixes allowed in image names (empty: any).
    pub registries: Vec<String>,
    /// OS codenames allowed as a tag's last part.
    pub codenames: Vec<String>,
    /// Whether the policy file lists `codenames` (then `@OS_CODENAME@` expands over them rather
    /// than over the codenames the manifests declare).
    pub codenames_set: bool,
    /// Per-rule severity overrides.
    pub rules: Vec<RuleOverride>,
    /// Largest manifest read, in bytes.
    pub max_file_size: u64,
    /// Findings listed per file before the rest are only counted (0: no limit).
    pub max_findings: usize,
    /// Commit-message reference kinds accepted (`closes-bug`, `partial-bug`, `related-bug`, `story`, `task`).
    pub references: Vec<String>,
    /// Launchpad API base URL.
    pub launchpad_api: String,
    /// StoryBoard API base URL.
    pub storyboard_api: String,
    /// Image name prefixes whose references `tagman refs` checks.
    pub managed_namespaces: Vec<String>,
    /// Globs of build-input files, which no source-tree rule checks.
    pub build_inputs: Vec<String>,
    /// Source-tree rule levels by path: the built-in test-path entries, extended by the policy's.
    pub per_path: PerPath,
    /// Registry placeholders and the registry/namespace each stands for
    /// (`@PLATFORM_REGISTRY@` → `docker.io/starlingx`), in order.
    pub placeholders: Vec<(String, String)>,
    /// Registries (`host:port`) that may be reached over plain HTTP.
    pub insecure_registries: Vec<String>,
}

/// The policy file as written; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PolicyFile {
    manifests: Option<Vec<String>>,
    release: Option<String>,
    src_ref_prefixes: Option<Vec<String>>,
    registries: Option<Vec<String>>,
    codenames: Option<Vec<String>>,
    max_file_size: Option<u64>,
    max_findings: Option<usize>,
    references: Option<Vec<String>>,
    launchpad_api: Option<String>,
    storyboard_api: Option<String>,
    managed_namespaces: Option<Vec<String>>,
    build_inputs: Option<Vec<String>>,
    insecure_registries: Option<Vec<String>>,
}

/// Why the policy could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The file is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] yaml::NotYaml),
    /// The file breaks the policy schema.
    #[error("{} does not match the policy schema ({} problem(s))", source_file.name(), violations.len() + unlisted)]
    Invalid {
        /// The file.
        source_file: SourceFile,
        /// What is wrong, where: the first [`DEFAULT_MAX_FINDINGS`] problems.
        violations: Vec<Violation>,
        /// How many more problems there are.
        unlisted: usize,
    },
    /// The built-in schema is broken.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The working directory could not be determined.
    #[error("cannot determine the working directory: {0}")]
    Cwd(#[source] std::io::Error),
}

impl Default for Policy {
    fn default() -> Self {
        Self::defaults(PathBuf::from("."))
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Policy {
    /// The built-in defaults (StarlingX practice), rooted at `root`.
    pub fn defaults(root: PathBuf) -> Self {
        Self {
            source: None,
            root,
            manifests: strings(&["**/image-tags*.yaml"]),
            release: None,
            src_ref_prefixes: strings(&["https://opendev.org/starlingx/"]),
            registries: Vec::new(),
            codenames: strings(&["buster", "bullseye", "bookworm", "trixie", "forky", "duke"]),
            codenames_set: false,
            rules: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_findings: DEFAULT_MAX_FINDINGS,
            references: strings(&["closes-bug", "partial-bug", "related-bug", "story", "task"]),
            launchpad_api: "https://api.launchpad.net/devel".to_owned(),
            storyboard_api: "https://storyboard.openstack.org/api/v1".to_owned(),
            managed_namespaces: strings(&["docker.io/starlingx/"]),
            build_inputs: Vec::new(),
            per_path: PerPath::builtin(),
            // None by default: each placeholder costs the prefilter a pass over every file.
            placeholders: Vec::new(),
            insecure_registries: Vec::new(),
        }
    }

    /// Finds `tagman.yaml` in `start` or the nearest parent directory; defaults when there is none.
    pub fn discover(start: &Path) -> Result<Self, PolicyError> {
        for dir in start.ancestors() {
            let candidate = dir.join(POLICY_FILE);
            if candidate.is_file() {
                return Self::load(&candidate);
            }
        }
        Ok(Self::defaults(start.to_path_buf()))
    }

    /// Discovers from the working directory.
    pub fn discover_from_cwd() -> Result<Self, PolicyError> {
        let cwd = std::env::current_dir().map_err(PolicyError::Cwd)?;
        Self::discover(&cwd)
    }

    /// Loads the policy file at `path`. Anything but a regular file (a FIFO `TAGMAN_CONFIG`
    /// names, whose open would wait for a writer forever; a device; a directory) is refused.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let io = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a FIFO, a device or a directory); a policy is a file",
            ))
            .into());
        }
        let source = SourceFile::read(path, DEFAULT_MAX_FILE_SIZE)?;
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::parse(source, root)
    }

    /// Parses policy text; `root` is the directory globs are relative to.
    pub fn parse(source: SourceFile, root: PathBuf) -> Result<Self, PolicyError> {
        let (source, docs) = yaml::parse_file(source, &Limits::default())?;
        let mut policy = Self::defaults(root);
        let Some(doc) = docs.first() else {
            policy.source = Some(source);
            return Ok(policy);
        };
        let file = checked_file(&docs, doc, &source)?;
        let span_of = |key: &str| doc.get(key).map_or(Span::default(), |n| n.span);
        policy.release = file.release.map(|r| Spanned::new(r, span_of("release")));
        if let Some(rules) = doc.get("rules") {
            policy.rules = rule_levels(rules, &source);
        }
        if let Some(node) = doc.get("per_path") {
            policy.per_path = per_path(node, &source)?;
        }
        if let Some(node) = doc.get("placeholders") {
            policy.placeholders = placeholders(node, &source);
        }
        policy.codenames_set = file.codenames.is_some();
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = file.$field { policy.$field = v; } )* };
        }
        take!(
            manifests,
            src_ref_prefixes,
            registries,
            codenames,
            max_file_size,
            max_findings,
            references,
            launchpad_api,
            storyboard_api,
            managed_namespaces,
            build_inputs,
            insecure_registries
        );
        policy.source = Some(source);
        Ok(policy)
    }

    /// The manifests matched by the policy's globs under its root, sorted.
    pub fn discover_manifests(&self) -> Result<Vec<PathBuf>, GlobError> {
        ManifestSelector::new(self)?.discover()
    }

    /// The files the policy's globs match that discovery (which found `found`) leaves out
    /// because an ignore file (`.gitignore`, `.ignore`, `.git/info/exclude`) excludes them.
    pub fn ignored_manifests(&self, found: &[PathBuf]) -> Result<Vec<PathBuf>, GlobError> {
        ManifestSelector::new(self)?.ignored(found)
    }

    /// Parser limits for manifests under this policy.
    pub fn limits(&self) -> Limits {
        Limits {
            max_file_size: self.max_file_size,
            ..Limits::default()
        }
    }

    /// The level the policy's `rules:` sets for the rule with `code` and `name` (the last key
    /// naming it wins), if it sets one.
    pub fn level_for(&self, code: &str, name: &str) -> Option<RuleLevel> {
        self.rules
            .iter()
            .rev()
            .find(|o| names_rule(&o.rule.value, code, name))
            .map(|o| o.level)
    }
}

/// The levels of a `rules:`-shaped map (rule code or name → `error`/`warning`/`off`), with spans.
fn rule_levels(node: &Node, source: &SourceFile) -> Vec<RuleOverride> {
    let NodeKind::Map(pairs) = &node.kind else {
        return Vec::new();
    };
    pairs
        .iter()
        .map(|(key, value)| RuleOverride {
            rule: Spanned::new(key.key_text(source).to_owned(), key.span),
            level: match value.as_str() {
                Some("error") => RuleLevel::Error,
                Some("warning") => RuleLevel::Warning,
                _ => RuleLevel::Off,
            },
        })
        .collect()
}

/// `per_path:` (glob → rule levels), extending the built-in entries; a glob that does not
/// compile is an error at its line.
fn per_path(node: &Node, source: &SourceFile) -> Result<PerPath, PolicyError> {
    let NodeKind::Map(pairs) = &node.kind else {
        return Ok(PerPath::builtin());
    };
    let mut entries = Vec::new();
    let mut violations = Vec::new();
    for (key, value) in pairs {
        let glob = key.key_text(source).to_owned();
        // Each glob is only parsed here (a set of one per glob cost 46 s for 50,000 globs);
        // the set of all of them is compiled once, by `PerPath::extended`.
        let parsed = globset::GlobBuilder::new(&glob)
            .literal_separator(true)
            .build();
        if let Err(e) = parsed {
            violations.push(Violation::Other {
                pointer: "/per_path".to_owned(),
                message: format!("`{glob}` is not a valid glob: {e}"),
                span: key.span,
            });
        }
        entries.push(PathRules {
            glob: Spanned::new(glob, key.span),
            levels: rule_levels(value, source),
            demote: false,
        });
    }
    if !violations.is_empty() {
        return Err(PolicyError::Invalid {
            source_file: source.clone(),
            violations,
            unlisted: 0,
        });
    }
    PerPath::extended(entries).map_err(|e| PolicyError::Invalid {
        source_file: source.clone(),
        violations: vec![Violation::Other {
            pointer: "/per_path".to_owned(),
            message: e.to_string(),
            span: node.span,
        }],
        unlisted: 0,
    })
}

/// The policy document checked against the policy schema (one document only) and read into its
/// typed form. A hostile policy can hold millions of problems: the first ones are listed, the
/// others counted, as for a manifest's findings.
fn checked_file(docs: &[Node], doc: &Node, source: &SourceFile) -> Result<PolicyFile, PolicyError> {
    let checked = schema::validate_at_most(Schema::Policy, doc, source, DEFAULT_MAX_FINDINGS)?;
    let (mut violations, unlisted) = (checked.violations, checked.unlisted);
    if let Some(extra) = docs.get(1) {
        violations.push(Violation::Other {
            pointer: String::new(),
            message: "a policy file holds one YAML document".to_owned(),
            span: extra.span,
        });
    }
    if !violations.is_empty() {
        return Err(PolicyError::Invalid {
            source_file: source.clone(),
            violations,
            unlisted,
        });
    }
    serde_json::from_value(schema::to_value(doc, source)).map_err(|e| PolicyError::Invalid {
        source_file: source.clone(),
        violations: vec![Violation::Other {
            pointer: String::new(),
            message: e.to_string(),
            span: doc.span,
        }],
        unlisted: 0,
    })
}

/// The `placeholders` map: each placeholder with the registry/namespace it stands for.
fn placeholders(node: &Node, source: &SourceFile) -> Vec<(String, String)> {
    node.pairs()
        .iter()
        .map(|(k, v)| {
            let value = v.as_str().unwrap_or_default().trim_end_matches('/');
            (k.key_text(source).to_owned(), value.to_owned())
        })
        .collect()
}

/// Whether `text` (a key under `rules:`) names the rule with `code` (in any case) and `name`.
pub fn names_rule(text: &str, code: &str, name: &str) -> bool {
    text.eq_ignore_ascii_case(code) || text == name
}

#[cfg(test)]
mod fifo_tests {
    use super::*;

    /// Regression (issue 20): `TAGMAN_CONFIG` naming a FIFO blocked in open() for ever.
    #[test]
    fn a_fifo_is_refused_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("tagman.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = Policy::load(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = Policy::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(SourceFile::new("tagman.yaml", text), PathBuf::from("."))
    }

    #[test]
    fn defaults_are_starlingx_practice() {
        let p = parse("").unwrap();
        assert_eq!(p.src_ref_prefixes, ["https://opendev.org/starlingx/"]);
        assert!(p.codenames.iter().any(|c| c == "trixie"));
        assert_eq!(p.release, None);
        assert_eq!(p.manifests, ["**/image-tags*.yaml"]);
    }

    #[test]
    fn values_are_read_and_keep_spans() {
        let p = parse("release: \"13.0\"\nrules:\n  tag-format: warning\n  TM007: off\n").unwrap();
        let release = p.release.as_ref().unwrap();
        assert_eq!(release.value, "13.0");
        assert_eq!(release.span, Span::new(9, 6));
        assert_eq!(p.level_for("TM004", "tag-format"), Some(RuleLevel::Warning));
        assert_eq!(p.level_for("TM007", "src-ref"), Some(RuleLevel::Off));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let Err(PolicyError::Invalid { violations, .. }) =
            parse("relase: 13.0\nrules: {x: loud}\n")
        else {
            panic!("accepted a bad policy");
        };
        assert_eq!(violations.len(), 2, "{violations:?}");
        // `release: 13.0` is a number to YAML: refused, not read as "13".
        assert!(matches!(
            parse("release: 13.0\n"),
            Err(PolicyError::Invalid { .. })
        ));
    }

    #[test]
    fn per_path_placeholders_and_codenames_are_read() {
        let p = parse(
            "per_path:\n  \"doc/**\": {TM202: off}\n  \"**/tests/**\":\nplaceholders:\n  \"@REG@\": quay.io/stx/\ncodenames: [trixie]\n",
        )
        .unwrap();
        let globs: Vec<&str> = p
            .per_path
            .entries()
            .iter()
            .map(|e| e.glob.value.as_str())
            .collect();
        assert!(globs.ends_with(&["doc/**", "**/tests/**"]), "{globs:?}");
        assert!(!globs[..globs.len() - 2].contains(&"**/tests/**"));
        let doc = &p.per_path.entries()[globs.len() - 2];
        assert_eq!(doc.levels[0].rule.value, "TM202");
        assert_eq!(doc.levels[0].rule.span, Span::new(23, 5));
        assert_eq!(
            p.placeholders,
            [("@REG@".to_owned(), "quay.io/stx".to_owned())]
        );
        assert!(p.codenames_set);
        assert!(!parse("").unwrap().codenames_set);
        let Err(PolicyError::Invalid { violations, .. }) = parse("per_path:\n  \"a/[\": {}\n")
        else {
            panic!("accepted a bad glob");
        };
        assert_eq!(violations[0].span(), Span::new(12, 5));
        assert!(parse("placeholders: {\"PLATFORM\": x}\n").is_err());
    }
}
