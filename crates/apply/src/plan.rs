//! The plan: what to retag (independent of how manifests are parsed), where images live
//! (`--registry-map`, `--to`), and what happened to each entry.

use std::fmt;

use tagman_core::reference::{canonical_registry, ImageName};

use crate::error::Error;

/// One entry to apply: make `name:tag` point at what `name:src_build_tag` points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanItem {
    /// The image, as the manifest names it.
    pub name: ImageName,
    /// The source (build) tag.
    pub src_build_tag: String,
    /// The tag to create.
    pub tag: String,
}

impl PlanItem {
    /// The plan of one parsed manifest file: every entry with a valid name, a source tag and a
    /// tag, in file order. (Entries lacking one are lint errors; the CLI refuses those files.)
    pub fn from_manifest(manifest: &tagman_core::Manifest) -> Vec<Self> {
        manifest
            .entries
            .iter()
            .filter_map(|entry| {
                Some(Self {
                    name: entry.image_name()?.ok()?.clone(),
                    src_build_tag: entry.src_build_tag.as_ref()?.value.clone(),
                    tag: entry.tag.as_ref()?.value.clone(),
                })
            })
            .collect()
    }
}

/// A registry (with an optional path prefix) that stands in for another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// `host[:port]`.
    pub registry: String,
    /// A path prefix put before the repository, if any.
    pub prefix: Option<String>,
}

impl Location {
    /// Parses `host[:port][/prefix…]`.
    pub fn parse(input: &str) -> Result<Self, MapError> {
        let input = input.trim().trim_end_matches('/');
        let (registry, prefix) = match input.split_once('/') {
            Some((registry, prefix)) => (registry, Some(prefix.to_owned())),
            None => (input, None),
        };
        if registry.is_empty() || registry.contains(char::is_whitespace) {
            return Err(MapError::BadLocation(input.to_owned()));
        }
        Ok(Self {
            registry: registry.to_owned(),
            prefix,
        })
    }

    /// `name` moved here.
    pub fn apply(&self, name: &ImageName) -> ImageName {
        name.with_registry(&self.registry, self.prefix.as_deref())
    }
}

/// A malformed `--registry-map` or `--to` value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// Not `FROM=TO`.
    #[error("`{0}` is not FROM=TO")]
    NotAPair(String),
    /// The registry part is empty or has spaces.
    #[error("`{0}` is not a registry[/prefix]")]
    BadLocation(String),
}

/// `--registry-map FROM=TO` rules: the names of registry FROM are served from TO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryMap {
    rules: Vec<(String, Location)>,
}

impl RegistryMap {
    /// Adds a `FROM=TO` rule.
    pub fn push(&mut self, rule: &str) -> Result<(), MapError> {
        let (from, to) = rule
            .split_once('=')
            .ok_or_else(|| MapError::NotAPair(rule.to_owned()))?;
        if from.trim().is_empty() {
            return Err(MapError::NotAPair(rule.to_owned()));
        }
        self.rules.push((
            canonical_registry(from.trim()).to_owned(),
            Location::parse(to)?,
        ));
        Ok(())
    }

    /// Where `name` is actually served from.
    pub fn resolve(&self, name: &ImageName) -> ImageName {
        self.rules
            .iter()
            .find(|(from, _)| from == name.registry())
            .map_or_else(|| name.clone(), |(_, to)| to.apply(name))
    }
}

/// What happened to (or, in a dry run, would happen to) one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// The tag was created.
    Created,
    /// The tag already pointed at the source's digest: nothing written.
    Unchanged,
    /// The tag points elsewhere and was left as it was.
    Conflict,
    /// The tag pointed elsewhere and was overwritten on request (`--force`).
    Forced,
    /// The source tag does not exist.
    SourceMissing,
    /// Something went wrong after retries.
    Failed,
    /// Dry run: the tag would be created.
    WouldCreate,
    /// Dry run: the tag would be overwritten (`--force`).
    WouldForce,
    /// The run was stopped before this entry started.
    Cancelled,
}

impl Action {
    /// The word used in reports and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Unchanged => "unchanged",
            Self::Conflict => "conflict",
            Self::Forced => "forced",
            Self::SourceMissing => "source-missing",
            Self::Failed => "failed",
            Self::WouldCreate => "would-create",
            Self::WouldForce => "would-force",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the entry ended as wanted (exit 0 needs every entry to).
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            Self::Created | Self::Unchanged | Self::Forced | Self::WouldCreate | Self::WouldForce
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one entry.
#[derive(Debug)]
pub struct Outcome {
    /// The entry as planned.
    pub item: PlanItem,
    /// The repository that was (or would be) written.
    pub target: ImageName,
    /// What happened.
    pub action: Action,
    /// The source's digest (the tag's digest after the run), when known.
    pub digest: Option<String>,
    /// The tag's digest before the run, when it existed and differs (conflict, forced).
    pub previous_digest: Option<String>,
    /// HTTP attempts made for this entry (retries included).
    pub attempts: u32,
    /// Why it failed.
    pub error: Option<Error>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_map_rules() {
        let mut map = RegistryMap::default();
        map.push("docker.io=127.0.0.1:5000").unwrap();
        map.push("quay.io=registry.local:9001/quay.io").unwrap();
        let cases = [
            ("docker.io/starlingx/x", "127.0.0.1:5000/starlingx/x"),
            ("busybox", "127.0.0.1:5000/library/busybox"),
            ("quay.io/a/b", "registry.local:9001/quay.io/a/b"),
            ("gcr.io/a/b", "gcr.io/a/b"),
        ];
        for (input, want) in cases {
            let name = ImageName::parse(input).unwrap();
            assert_eq!(map.resolve(&name).to_string(), want, "{input}");
        }
        assert_eq!(
            map.push("nothing"),
            Err(MapError::NotAPair("nothing".into()))
        );
        assert!(map.push("a=").is_err());
    }

    #[test]
    fn location_parse() {
        let loc = Location::parse("reg:9001/mirror/").unwrap();
        assert_eq!(loc.registry, "reg:9001");
        assert_eq!(loc.prefix.as_deref(), Some("mirror"));
        assert_eq!(Location::parse("reg").unwrap().prefix, None);
    }
}
