//! The one manifest loader: bytes from a file, standard input or a git revision become a parsed
//! manifest, or an [`Unparsed`] file the `yaml` rule reports where it broke, keeping what could be
//! read so its snippet shows whatever the bytes came from.

use std::path::{Path, PathBuf};

use crate::source::{read_capped, SourceError};
use crate::yaml::{NotYaml, YamlError};
use crate::{InvalidUtf8, Manifest, ManifestError, Policy, SourceFile, Span};

/// A manifest that could not be parsed, kept so the `yaml` rule can report it where it broke.
#[derive(Clone, Debug)]
pub struct Unparsed {
    /// What could be read of the file (empty when nothing could).
    pub source: SourceFile,
    /// Where it broke (zero-length at the start when unknown).
    pub span: Span,
    /// Why.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Manifests that parsed, and files that did not (reported by the `yaml` rule).
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Parsed manifests, in the order given.
    pub manifests: Vec<Manifest>,
    /// Files that could be read but not parsed.
    pub unparsed: Vec<Unparsed>,
}

/// A file that could not be read at all: an I/O problem, not a finding.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: std::io::Error,
}

impl Loaded {
    /// Reads and loads every path (`-` is standard input); an unreadable file is an error, an
    /// unparsable one becomes [`Unparsed`].
    pub fn from_paths(paths: &[PathBuf], policy: &Policy) -> Result<Self, LoadError> {
        let mut loaded = Self::default();
        for path in paths {
            loaded.read(path, policy)?;
        }
        Ok(loaded)
    }

    /// Reads the file at `path` and loads it under its path as written.
    pub fn read(&mut self, path: &Path, policy: &Policy) -> Result<(), LoadError> {
        self.read_as(path, SourceName::new(path.to_string_lossy()), policy)
    }

    /// Reads the file at `path` and loads it as `name` (a working-tree file with its repository
    /// path, say).
    pub fn read_as(
        &mut self,
        path: &Path,
        name: SourceName,
        policy: &Policy,
    ) -> Result<(), LoadError> {
        match read_capped(path, policy.max_file_size) {
            Ok(bytes) => self.push(name, bytes, policy),
            Err(SourceError::TooLarge { size, limit, .. }) => {
                self.unparsed.push(too_large(&name, size, limit));
            }
            Err(SourceError::Io { source, .. }) => {
                return Err(LoadError {
                    path: path.to_path_buf(),
                    source,
                })
            }
            Err(other) => {
                return Err(LoadError {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(other.to_string()),
                })
            }
        }
        Ok(())
    }

    /// Loads bytes already in memory (a file at a git revision, the index, standard input).
    pub fn push(&mut self, name: SourceName, bytes: Vec<u8>, policy: &Policy) {
        if bytes.len() as u64 > policy.max_file_size {
            self.unparsed
                .push(too_large(&name, bytes.len() as u64, policy.max_file_size));
            return;
        }
        let source = match SourceFile::from_bytes(name.name.as_str(), bytes) {
            Ok(source) => name.mark(source),
            Err(invalid) => {
                self.unparsed.push(not_utf8(&name, invalid));
                return;
            }
        };
        match Manifest::parse(source, &policy.limits()) {
            Ok(manifest) => self.manifests.push(manifest),
            Err(ManifestError::Yaml(NotYaml { source_file, error })) => {
                self.unparsed.push(yaml_problem(source_file, error));
            }
            // Parsing text in memory reads nothing; no other error can arise.
            Err(_) => {}
        }
    }

    /// Number of files loaded, parsed or not.
    pub fn len(&self) -> usize {
        self.manifests.len() + self.unparsed.len()
    }

    /// Whether no file was loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Orders parsed and unparsed files by name.
    pub fn sort(&mut self) {
        self.manifests
            .sort_by(|a, b| a.source.name().cmp(b.source.name()));
        self.unparsed
            .sort_by(|a, b| a.source.name().cmp(b.source.name()));
    }
}

/// What a loaded file is called: its identity (a path as given, or repository-relative), the
/// revision it was read at, if any, and its path in its repository, when known.
#[derive(Clone, Debug)]
pub struct SourceName {
    /// The path.
    pub name: String,
    /// The revision (`HEAD~1`, a commit id, `index`).
    pub revision: Option<String>,
    /// Where the file lies in its repository (`/`-separated, from the root).
    pub repository_path: Option<String>,
}

impl SourceName {
    /// A file of the working tree, standard input or any path as given.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            revision: None,
            repository_path: None,
        }
    }

    /// A file read from git at `revision`, named by its repository path.
    pub fn at(name: impl Into<String>, revision: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            repository_path: Some(name.clone()),
            name,
            revision: Some(revision.into()),
        }
    }

    /// The same name, for a file known to lie at `path` in its repository.
    #[must_use]
    pub fn in_repository(mut self, path: Option<String>) -> Self {
        self.repository_path = path;
        self
    }

    fn source(&self, text: &str) -> SourceFile {
        self.mark(SourceFile::new(self.name.as_str(), text))
    }

    /// `source` with this name's revision and repository path.
    fn mark(&self, mut source: SourceFile) -> SourceFile {
        if let Some(rev) = &self.revision {
            source = source.at_revision(rev.as_str());
        }
        if let Some(path) = &self.repository_path {
            source = source.in_repository(path.as_str());
        }
        source
    }
}

fn yaml_problem(source: SourceFile, error: YamlError) -> Unparsed {
    let YamlError {
        message,
        span,
        budget,
    } = error;
    let help = if budget {
        "a tag manifest is a flat list of four-key entries; this input goes far beyond that (deep nesting, anchors/aliases or millions of nodes)"
    } else {
        "fix the YAML syntax at this point; `images:` holds a list of mappings with name, src_build_tag, src_ref and tag"
    };
    Unparsed {
        span: span.unwrap_or_default(),
        message: if budget {
            format!("YAML refused: {message}")
        } else {
            format!("invalid YAML: {message}")
        },
        help: help.to_owned(),
        source,
    }
}

fn too_large(name: &SourceName, size: u64, limit: u64) -> Unparsed {
    Unparsed {
        source: name.source(""),
        span: Span::default(),
        message: format!("the file is {size} bytes, over the {limit}-byte limit; it was not read"),
        help: "a tag manifest is a few kilobytes; if this file is genuine, raise `max_file_size` in tagman.yaml".to_owned(),
    }
}

fn not_utf8(name: &SourceName, invalid: InvalidUtf8) -> Unparsed {
    let InvalidUtf8 { offset, valid, .. } = invalid;
    let source = name.mark(valid);
    Unparsed {
        span: Span::new(source.text().len(), 0),
        source,
        message: format!("the file is not UTF-8 text: invalid byte at offset {offset}"),
        help: "tag manifests are UTF-8 YAML; re-save the file as UTF-8 (or check it is the file you meant)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_from_anywhere_keep_their_valid_text_and_revision() {
        let mut loaded = Loaded::default();
        let policy = Policy::default();
        loaded.push(
            SourceName::at("image-tags.yaml", "HEAD~1"),
            b"images:\n  - name: \xff\n".to_vec(),
            &policy,
        );
        let u = &loaded.unparsed[0];
        assert_eq!(u.source.display_name(), "HEAD~1:image-tags.yaml");
        assert_eq!(u.source.repository_path(), Some("image-tags.yaml"));
        assert_eq!(u.source.text(), "images:\n  - name: ");
        assert_eq!(u.source.position(u.span.offset).line, 2);
    }

    #[test]
    fn over_the_cap_is_a_finding_not_a_failure() {
        let policy = Policy {
            max_file_size: 4,
            ..Policy::default()
        };
        let mut loaded = Loaded::default();
        loaded.push(SourceName::new("-"), b"images: []\n".to_vec(), &policy);
        assert!(loaded.unparsed[0].message.contains("over the 4-byte limit"));
        assert!(loaded.manifests.is_empty());
    }
}
