//! Reads manifest files, turning what cannot be parsed into located findings instead of failures.

use std::path::{Path, PathBuf};

use tagman_core::source::SourceError;
use tagman_core::yaml::YamlError;
use tagman_core::{Manifest, ManifestError, Policy, SourceFile, Span};

use crate::rule::Unparsed;

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

/// Loads every path; unreadable files are an error, unparsable ones become [`Unparsed`].
pub fn load_manifests(paths: &[PathBuf], policy: &Policy) -> Result<Loaded, LoadError> {
    let limits = policy.limits();
    let mut loaded = Loaded::default();
    for path in paths {
        match Manifest::read(path, &limits) {
            Ok(manifest) => loaded.manifests.push(manifest),
            Err(err) => loaded.unparsed.push(unparsed(path, err)?),
        }
    }
    Ok(loaded)
}

/// Parses text already in memory (a file at a git revision, standard input) the same way.
pub fn load_text(name: &str, bytes: Vec<u8>, policy: &Policy, into: &mut Loaded) {
    let path = Path::new(name);
    if bytes.len() as u64 > policy.max_file_size {
        into.unparsed
            .push(too_large(path, bytes.len() as u64, policy.max_file_size));
        return;
    }
    match SourceFile::from_bytes(name, bytes) {
        Ok(source) => match Manifest::parse(source, &policy.limits()) {
            Ok(m) => into.manifests.push(m),
            Err(ManifestError::Yaml { source_file, error }) => {
                into.unparsed.push(yaml_problem(source_file, error))
            }
            Err(ManifestError::Source(_) | _) => {}
        },
        Err((offset, _)) => into.unparsed.push(not_utf8(path, offset)),
    }
}

fn unparsed(path: &Path, err: ManifestError) -> Result<Unparsed, LoadError> {
    Ok(match err {
        ManifestError::Yaml { source_file, error } => yaml_problem(source_file, error),
        ManifestError::Source(SourceError::TooLarge { size, limit, .. }) => {
            too_large(path, size, limit)
        }
        ManifestError::Source(SourceError::NotUtf8 { offset, .. }) => not_utf8(path, offset),
        ManifestError::Source(SourceError::Io { source, .. }) => {
            return Err(LoadError {
                path: path.to_path_buf(),
                source,
            })
        }
        ManifestError::Source(other) => {
            return Err(LoadError {
                path: path.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            })
        }
        other => {
            return Err(LoadError {
                path: path.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            })
        }
    })
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

fn too_large(path: &Path, size: u64, limit: u64) -> Unparsed {
    Unparsed {
        source: SourceFile::new(path.to_string_lossy(), ""),
        span: Span::default(),
        message: format!("the file is {size} bytes, over the {limit}-byte limit; it was not read"),
        help: "a tag manifest is a few kilobytes; if this file is genuine, raise `max_file_size` in tagman.yaml".to_owned(),
    }
}

fn not_utf8(path: &Path, offset: usize) -> Unparsed {
    // Read what is valid so the finding can show the line it stops on.
    let text = std::fs::read(path)
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes[..offset.min(bytes.len())]).into_owned())
        .unwrap_or_default();
    Unparsed {
        span: Span::new(text.len(), 0),
        source: SourceFile::new(path.to_string_lossy(), text),
        message: format!("the file is not UTF-8 text: invalid byte at offset {offset}"),
        help: "tag manifests are UTF-8 YAML; re-save the file as UTF-8 (or check it is the file you meant)".to_owned(),
    }
}
