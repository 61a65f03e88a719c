//! Why a scan or a bump could not run: configuration, walk and I/O errors (findings are never errors).

use std::path::PathBuf;

/// The refs error type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefsError {
    /// A `managed_namespaces` entry is not a registry/repository prefix.
    #[error("`{namespace}` is not a managed namespace (expected `registry/path/`, e.g. `docker.io/starlingx/`)")]
    Namespace {
        /// The entry as written.
        namespace: String,
    },
    /// The namespace matcher could not be built.
    #[error("cannot build the namespace matcher: {source}")]
    Matcher {
        /// The automaton builder's error.
        #[source]
        source: aho_corasick::BuildError,
    },
    /// A `build_inputs` glob does not compile.
    #[error("invalid build-input glob `{pattern}`: {source}")]
    Glob {
        /// The glob.
        pattern: String,
        /// The glob compiler's error.
        #[source]
        source: globset::Error,
    },
    /// The directory walk could not visit a path (the walker's error names it).
    #[error("cannot walk the tree: {source}")]
    Walk {
        /// The walker's error.
        #[source]
        source: ignore::Error,
    },
    /// A bump that failed after writing some files: they hold the new tag, the rest do not.
    #[error("{error}; {} file(s) were written before it: {}", written.len(), shown(written))]
    BumpIncomplete {
        /// The files written, in order.
        written: Vec<PathBuf>,
        /// What stopped the bump.
        error: Box<RefsError>,
    },
    /// Files with references the walk could not keep: the run's memory bounds were full.
    #[error("{files} more file(s) with {refs} image reference(s) or mention(s) not checked (the first: {first}): a run keeps at most {max_refs} references and {max_bytes} bytes of the files holding them")]
    NotKept {
        /// Files not kept.
        files: u64,
        /// Their references (and, past a file's cap, mentions of managed names).
        refs: u64,
        /// The first of them.
        first: String,
        /// The run's reference bound.
        max_refs: u64,
        /// The run's byte bound.
        max_bytes: u64,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `--bump` was not `NAME=TAG` with a valid name and tag.
    #[error("`{spec}` is not NAME=TAG ({reason})")]
    BumpSpec {
        /// The argument as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--bump` names a tag that no manifest declares for the image.
    #[error("no manifest declares `{tag}` for {name}: refusing to point references at a tag that is never created")]
    UndeclaredTag {
        /// The canonical image name.
        name: String,
        /// The requested tag.
        tag: String,
        /// The tags the manifests do declare for it, in manifest order.
        declared: Vec<String>,
    },
    /// `--bump` would pin a file that ships on several OS codenames to one of them, and nothing
    /// fills the codename in when the file is built.
    #[error(
        "{file} ships on {} but `--bump` would pin {name} to one codename's tag there",
        codenames(declared)
    )]
    SharedByCodenames {
        /// The canonical image name.
        name: String,
        /// The file.
        file: String,
        /// `(codename, declared tag)` for each codename the release is declared for.
        declared: Vec<(String, String)>,
        /// The placeholder form a package build could fill in.
        placeholder: String,
    },
    /// `--bump` names an image by a short name that matches no declared image.
    #[error("no manifest declares an image called `{name}`")]
    UnknownName {
        /// The name as written.
        name: String,
        /// Declared images whose names come closest.
        candidates: Vec<String>,
    },
    /// `--bump` names an image by a short name that several declared images end with.
    #[error("`{name}` could mean {}: name the image in full", candidates.join(", "))]
    AmbiguousName {
        /// The name as written.
        name: String,
        /// The declared images whose path ends with it.
        candidates: Vec<String>,
    },
    /// A manifest that declares the tags does not parse.
    #[error("{file} cannot be parsed: {message}")]
    UnparsedManifest {
        /// The manifest.
        file: String,
        /// The parser's complaint, at its position.
        message: String,
    },
    /// A file to bump is a symlink (or lies under one) whose target is outside the scanned tree.
    #[error("{} resolves to {}, outside the scanned tree; refusing to write there", path.display(), target.display())]
    SymlinkOutside {
        /// The path as scanned.
        path: PathBuf,
        /// The file it resolves to.
        target: PathBuf,
    },
    /// The bumped file could not be written safely.
    #[error(transparent)]
    Write(#[from] tagman_core::WriteError),
    /// An archive broke a budget, or was given to `--bump`.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// A file changed between the scan and the write.
    #[error("{} changed while the bump was being prepared; run it again", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
}

/// Up to ten paths, then how many more.
fn shown(paths: &[PathBuf]) -> String {
    let mut text: Vec<String> = paths
        .iter()
        .take(10)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 10 {
        text.push(format!("and {} more", paths.len() - 10));
    }
    text.join(", ")
}

impl RefsError {
    /// How to fix it, when there is something to say.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::UndeclaredTag { declared, .. } if declared.is_empty() => Some(
                "add a manifest entry for this image and tag first (tag management then creates the tag)"
                    .to_owned(),
            ),
            Self::UndeclaredTag { declared, .. } => Some(format!(
                "declared tags: {}; or add a manifest entry for this tag first",
                declared.join(", ")
            )),
            Self::BumpSpec { .. } => {
                Some("e.g. `--bump docker.io/starlingx/dex=stx.9.0-v2.40.0`".to_owned())
            }
            Self::Namespace { .. } => Some("fix `managed_namespaces` in tagman.yaml".to_owned()),
            Self::Glob { .. } => Some("fix `build_inputs` in tagman.yaml".to_owned()),
            Self::UnparsedManifest { file, .. } => {
                Some(format!("run `tagman lint {file}` for the details"))
            }
            Self::BumpIncomplete { .. } => Some(
                "fix the cause and run the bump again: files already at the tag are left as they are"
                    .to_owned(),
            ),
            Self::NotKept { .. } => Some(
                "the files left out are generated or hostile: scan them apart, or remove them"
                    .to_owned(),
            ),
            Self::Walk { .. } | Self::Io { .. } => {
                Some("check that the path exists and is readable".to_owned())
            }
            Self::SymlinkOutside { .. } => Some(
                "pass --follow-symlinks to edit the file it points at, or bump the tree it lives in"
                    .to_owned(),
            ),
            Self::Archive(e) => Some(e.help()),
            Self::SharedByCodenames {
                declared,
                placeholder,
                ..
            } => Some(shared_help(declared, placeholder)),
            Self::UnknownName { candidates, .. } | Self::AmbiguousName { candidates, .. } => {
                Some(name_help(self, candidates))
            }
            Self::Write(tagman_core::write::WriteError::PathChanged { .. }) => Some(
                "something replaced a directory of the tree while tagman wrote in it: check who else writes there, then run the bump again"
                    .to_owned(),
            ),
            Self::Changed { .. } | Self::Matcher { .. } | Self::Write(_) => None,
        }
    }
}

/// The help of a bump that would pin a file shipped on several codenames to one of them.
fn shared_help(declared: &[(String, String)], placeholder: &str) -> String {
    let each: Vec<String> = declared
        .iter()
        .map(|(c, t)| format!("`{t}` for {c}"))
        .collect();
    format!(
        "the manifests declare {}: write `{placeholder}` there and have the package's build fill in @OS_CODENAME@ (a `sed` in its debian/*/deb_folder/rules; `--bump` adds it itself where a package's debian/meta_data.yaml `src_path` holds the file and one debian/deb_folder/rules builds every codename), or keep one file per codename",
        each.join(", ")
    )
}

/// The help of a short name that matches no image, or more than one.
fn name_help(error: &RefsError, candidates: &[String]) -> String {
    match (error, candidates.first()) {
        (RefsError::AmbiguousName { .. }, first) => {
            format!("e.g. `--bump {}=TAG`", first.map_or("NAME", String::as_str))
        }
        (_, None) => "name the image in full (`docker.io/starlingx/NAME=TAG`)".to_owned(),
        (_, Some(_)) => format!("did you mean {}?", candidates.join(", ")),
    }
}

/// `bullseye and trixie`.
fn codenames(declared: &[(String, String)]) -> String {
    let names: Vec<String> = declared.iter().map(|(c, _)| c.clone()).collect();
    crate::rules::list_plain(&names)
}
