//! The typed errors of the git layer: which revision, which path, what git said.

use std::path::PathBuf;

/// Why a git question could not be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// No repository at or above the path.
    #[error("{} is not inside a git repository", path.display())]
    NotARepository {
        /// Where the search started.
        path: PathBuf,
    },
    /// The repository has no working tree (a bare clone) where one is needed.
    #[error("the repository at {} has no working tree", path.display())]
    Bare {
        /// The repository's git directory.
        path: PathBuf,
    },
    /// A revision does not name a commit.
    #[error("`{rev}` does not name a commit: {message}")]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// git's explanation.
        message: String,
    },
    /// A commit has no parent to compare with (the root commit has none).
    #[error("commit {commit} has no parent")]
    NoParent {
        /// The commit.
        commit: String,
    },
    /// Neither the change nor a rewrite of it is on `HEAD`'s first-parent line.
    #[error(
        "the change {change} is not merged into {head} in any way Zuul's merger merges \
         (looked {walked} commits back along the first parents)"
    )]
    ChangeNotMerged {
        /// The change's commit.
        change: String,
        /// The prepared HEAD.
        head: String,
        /// How many first parents were looked at.
        walked: usize,
    },
    /// `git describe` found no tag below the commit.
    #[error("no tag is reachable from {commit} in {}", repo.display())]
    NoTag {
        /// The commit described.
        commit: String,
        /// The repository.
        repo: PathBuf,
    },
    /// `git describe` gave something that does not make a valid release tag.
    #[error("`{described}` gives `{tag}`, which is not a valid release tag ({problem})")]
    NotATag {
        /// What `describe` said.
        described: String,
        /// The tag it would make.
        tag: String,
        /// What the tag grammar objects to.
        problem: String,
    },
    /// The release to put in a suggested tag is not `MAJOR.MINOR`.
    #[error("the release `{release}` is not MAJOR.MINOR")]
    BadRelease {
        /// The release as given.
        release: String,
    },
    /// The codename to put in a suggested tag is not one the policy allows.
    #[error("`{codename}` is not an OS codename the policy allows")]
    UnknownCodename {
        /// The codename as given.
        codename: String,
        /// The policy's `codenames`.
        allowed: Vec<String>,
    },
    /// `suggest --match` was given a glob that does not compile.
    #[error("--match `{pattern}` is not a glob: {reason}")]
    BadMatch {
        /// The glob as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `suggest` was given no release and the policy sets none.
    #[error("no release to put in the tag")]
    NoRelease,
    /// An entry could not be added to a manifest.
    #[error(transparent)]
    Add(#[from] crate::add::AddError),
    /// A manifest to add to could not be read or parsed.
    #[error(transparent)]
    Manifest(#[from] tagman_core::ManifestError),
    /// The HTTP client for `--online` could not be set up.
    #[error(transparent)]
    Http(#[from] crate::online::ClientError),
    /// A manifest glob in the policy does not compile.
    #[error("in `manifests`: {0}")]
    Glob(#[from] tagman_core::InvalidGlob),
    /// The working tree could not be searched for manifests.
    #[error(transparent)]
    Discover(#[from] tagman_core::GlobError),
    /// A commit message file could not be read.
    #[error("cannot read the commit message {}: {source}", path.display())]
    Message {
        /// The file (`-` for standard input).
        path: PathBuf,
        /// Why.
        #[source]
        source: tagman_core::SourceError,
    },
    /// A manifest file could not be read.
    #[error(transparent)]
    Load(#[from] tagman_core::LoadError),
    /// A manifest could not be read from the working tree.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The work tree has changes of its own: the follow-up commit would mix them in.
    #[error("the work tree at {} has changes: {}", root.display(), paths.join(", "))]
    Dirty {
        /// The work tree.
        root: PathBuf,
        /// Some of the changed or untracked paths.
        paths: Vec<String>,
    },
    /// git knows no `user.name` / `user.email` to commit as.
    #[error("no identity to commit as in {}", root.display())]
    NoIdentity {
        /// The work tree.
        root: PathBuf,
    },
    /// A file to commit is not in the work tree.
    #[error("{} is not inside the work tree {}", path.display(), root.display())]
    OutsideWorkTree {
        /// The file.
        path: PathBuf,
        /// The work tree.
        root: PathBuf,
    },
    /// Any other libgit2 failure, with what was being done.
    #[error("git: {doing}: {source}")]
    Git {
        /// What tagman was doing.
        doing: &'static str,
        /// libgit2's error.
        #[source]
        source: git2::Error,
    },
}

impl GitError {
    /// How to fix it, when there is something to say.
    pub fn help(&self) -> Option<String> {
        let text = match self {
            Self::UnknownCodename { allowed, .. } => {
                return Some(format!(
                    "use one of {} (the policy's `codenames`), or add it there in tagman.yaml",
                    allowed.join(", ")
                ))
            }
            Self::BadRelease { .. } => "pass --release as MAJOR.MINOR, e.g. `--release 10.0`",
            Self::NotARepository { .. } => "run tagman inside the repository's working tree",
            Self::UnknownRevision { .. } => {
                "name a commit git knows: a branch, a tag, a hash, HEAD~1"
            }
            Self::NoTag { .. } => {
                "fetch the upstream tags (`git fetch --tags`) in the clone; without --match only version-like tags (v1.2.3, 1.2.3) count: name others with --match GLOB"
            }
            Self::ChangeNotMerged { .. } => {
                "run it in the repository Zuul prepared, with the change's own commit (zuul.commit_id); a job can name the base itself with tagman_base_rev"
            }
            Self::Glob(_) => "fix the `manifests:` globs in tagman.yaml",
            Self::Add(crate::add::AddError::Exists { .. }) => {
                "a published tag names one build: choose a new tag"
            }
            Self::Dirty { .. } => {
                "commit or stash your changes first (`git status`): the follow-up commits only what it moves"
            }
            Self::NoIdentity { .. } => {
                "set `git config user.name` and `git config user.email` in the repository"
            }
            Self::NoRelease => "pass --release X.Y or set `release:` in tagman.yaml",
            Self::Message { .. } | Self::Load(_) => "check the path; `-` reads standard input",
            Self::Manifest(tagman_core::ManifestError::Source(
                tagman_core::SourceError::Io { .. },
            )) => "check the path: `tagman add` adds to an existing manifest",
            Self::Manifest(tagman_core::ManifestError::Source(
                tagman_core::SourceError::TooLarge { .. },
            )) => "raise `max_file_size` in tagman.yaml if the file is genuine",
            Self::Manifest(_) => {
                "the file must parse before tagman can add to it: `tagman lint FILE` shows where it breaks"
            }
            Self::Http(crate::online::ClientError::Disabled) => {
                "run without --online, or use a tagman built with its default features (cargo install --locked --path crates/cli)"
            }
            Self::NotATag { .. } => {
                "the upstream tag is not a version such as `v1.2.3`; choose the release tag yourself and add the entry with `tagman add … --tag TAG`"
            }
            _ => return None,
        };
        Some(text.to_owned())
    }
}

/// Attaches what was being done to a libgit2 error.
pub(crate) fn git(doing: &'static str) -> impl FnOnce(git2::Error) -> GitError {
    move |source| GitError::Git { doing, source }
}
