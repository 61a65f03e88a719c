//! Archives as scan inputs: Debian packages, tar files and their compressed forms, nested to any
//! depth (a package holding an application tarball holding charts holding sub-charts), read as
//! streams in memory and never extracted to disk.
//!
//! Each regular member that is not itself an archive is handed to the caller under its `!` path
//! (`pkg.deb!usr/lib/helm/ptp-1.0.tgz!ptp/values.yaml`), so members go through the same
//! per-file path as files on disk. Budgets stop bombs with a typed error naming the archive; a
//! member that cannot be read is a warning and the scan goes on.
//!
//! The decoders are pure Rust: `flate2` on `zlib-rs`, `lzma-rust2` (xz), `ruzstd` (zstd) and
//! `bzip2` on `libbz2-rs-sys`; containers are read by `tar` and `ar`, ISO 9660 images (listed,
//! then each file read from where it lies: [`list_iso`]) by `hadris-iso`.

mod formats;
mod iso;
mod meter;
mod reader;
mod run;

use std::io::Read;

pub use formats::{read_head, sniff, Format, MAX_DECODER_WINDOW, SNIFF_LEN};
pub use iso::{has_iso_magic, is_iso, list_iso, IsoFile, IsoListing, ISO_MAGIC_OFFSET};
pub use reader::{scan, MAX_MEMBER_NAME};
pub use run::RunBudget;

/// Limits on what one top-level archive may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budgets {
    /// Decompressed bytes over the whole archive, nested members included.
    pub total_bytes: u64,
    /// Size of any one member (as stored in its container).
    pub member_bytes: u64,
    /// Archives inside archives: the top-level archive is depth 1.
    pub depth: usize,
    /// Members over the whole archive, nested ones included.
    pub members: u64,
    /// Decompressed bytes the whole run may produce for each byte of archive it reads (the
    /// ratio a zip-bomb defence watches); `total_bytes` is always allowed.
    pub run_ratio: u64,
    /// Decompressed bytes over the whole run, whatever the ratio.
    pub run_bytes: u64,
}

/// Default [`Budgets::total_bytes`]: 1 GiB.
pub const DEFAULT_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
/// Default [`Budgets::member_bytes`]: 64 MiB.
pub const DEFAULT_MEMBER_BYTES: u64 = 64 * 1024 * 1024;
/// Default [`Budgets::depth`].
pub const DEFAULT_DEPTH: usize = 8;
/// Default [`Budgets::members`].
pub const DEFAULT_MEMBERS: u64 = 100_000;
/// Default [`Budgets::run_ratio`]: packages of text and charts expand 3 to 10 times; a bomb
/// expands hundreds of thousands of times.
pub const DEFAULT_RUN_RATIO: u64 = 32;
/// Default [`Budgets::run_bytes`]: 64 GiB, several times what a StarlingX installer ISO (about
/// 4 GB of packages) expands to.
pub const DEFAULT_RUN_BYTES: u64 = 64 * 1024 * 1024 * 1024;

impl Default for Budgets {
    fn default() -> Self {
        Self {
            total_bytes: DEFAULT_TOTAL_BYTES,
            member_bytes: DEFAULT_MEMBER_BYTES,
            depth: DEFAULT_DEPTH,
            members: DEFAULT_MEMBERS,
            run_ratio: DEFAULT_RUN_RATIO,
            run_bytes: DEFAULT_RUN_BYTES,
        }
    }
}

/// A budget an archive broke, or an archive where one cannot go: the scan of that archive stops.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// More decompressed bytes than the total budget.
    #[error("{archive}: more than {limit} bytes decompressed (total budget); stopped reading it")]
    TotalBytes {
        /// The top-level archive.
        archive: String,
        /// The budget.
        limit: u64,
    },
    /// A member larger than one member may be.
    #[error("{archive}: member `{member}` is {size} bytes, over the {limit}-byte member budget; stopped reading it")]
    MemberTooLarge {
        /// The archive holding it (a `!` path when nested).
        archive: String,
        /// The member's path in it (or the header that announced too much data).
        member: String,
        /// Its size as its header gives it (for a header: at least the budget).
        size: u64,
        /// The budget.
        limit: u64,
    },
    /// Archives nested deeper than the depth budget.
    #[error("{archive}: archives nested more than {limit} deep; stopped reading it")]
    TooDeep {
        /// The archive one level too deep.
        archive: String,
        /// The budget.
        limit: usize,
    },
    /// The run's archives expanded more than the run allows: `ratio` times the archive bytes
    /// read (at least the one-archive budget), at most the absolute cap.
    #[error("{archive}: the run's archives expanded {expanded} bytes from {input} bytes read, over the run's budget of {limit} bytes ({ratio} per byte read, at least {floor}, at most {cap}); stopped reading it")]
    RunBytes {
        /// The top-level archive being read when the budget broke.
        archive: String,
        /// Decompressed bytes of the run so far.
        expanded: u64,
        /// Archive bytes read so far.
        input: u64,
        /// What the run allowed at that point.
        limit: u64,
        /// The ratio budget.
        ratio: u64,
        /// The one-archive budget, always allowed.
        floor: u64,
        /// The absolute cap.
        cap: u64,
    },
    /// Archives not read because the run's budget had broken already.
    #[error("{count} more archive(s) not read after the run's decompression budget broke (the first: {first})")]
    RunSpent {
        /// How many.
        count: u64,
        /// The first of them.
        first: String,
    },
    /// More members than the member-count budget.
    #[error("{archive}: more than {limit} members; stopped reading it")]
    TooManyMembers {
        /// The top-level archive.
        archive: String,
        /// The budget.
        limit: u64,
    },
    /// A reference `--bump` would move lies inside an archive: it cannot be edited in place.
    #[error("{archive} is inside an archive and references the image: --bump edits source files, not what a build made from them")]
    Bump {
        /// The archive member (`pkg.deb!path`).
        archive: String,
    },
}

impl ArchiveError {
    /// How to fix it.
    pub fn help(&self) -> String {
        match self {
            Self::TotalBytes { .. } => {
                "if the archive is genuine, raise --archive-max-total".to_owned()
            }
            Self::MemberTooLarge { .. } => {
                "if the member is genuine, raise --archive-max-member".to_owned()
            }
            Self::TooDeep { .. } => {
                "if the nesting is genuine, raise --archive-max-depth".to_owned()
            }
            Self::RunBytes { .. } | Self::RunSpent { .. } => {
                "if the archives are genuine, raise --archive-max-ratio or --archive-max-run"
                    .to_owned()
            }
            Self::TooManyMembers { .. } => {
                "if the archive is genuine, raise --archive-max-members".to_owned()
            }
            Self::Bump { .. } => {
                "bump the sources the package is built from, then rebuild the package instead"
                    .to_owned()
            }
        }
    }
}

/// A member or archive that could not be read; the scan goes on without it.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read it ({source}); skipped")]
pub struct ArchiveWarning {
    /// The member (or the archive, when its container breaks), as a `!` path.
    pub path: String,
    /// What the decoder or container reader said.
    #[source]
    pub source: std::io::Error,
}

/// What one archive held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Regular members seen, nested ones included.
    pub members: u64,
    /// Archives read, this one and nested ones.
    pub archives: u64,
    /// Decompressed bytes.
    pub bytes: u64,
}

/// A regular member handed to the caller.
pub struct Member<'r> {
    /// Its `!` path.
    pub name: String,
    /// Its size in its container.
    pub size: u64,
    /// Its bytes (stop reading whenever you like).
    pub data: &'r mut dyn Read,
}
