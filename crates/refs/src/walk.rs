//! The parallel walk: every text file under the given paths, `.gitignore`, `.ignore` and
//! `.git/info/exclude` respected (a git repository is not required; the user's global excludes
//! file is ignored so results do not depend on the machine), `.git/` skipped, binaries and
//! oversized files skipped, each file prefiltered for the managed namespaces before it is decoded.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};
use tagman_core::SourceFile;

use crate::error::RefsError;
use crate::extract::{Extracted, Matcher};

/// Default cap on the size of a scanned file: 4 MiB. Larger files are generated or vendored.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// Bytes looked at for a NUL when deciding that a file is binary (what git and ripgrep do).
const BINARY_SNIFF: usize = 8 * 1024;

/// How to walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// Files never scanned (the manifests themselves), as canonical paths.
    pub exclude: HashSet<PathBuf>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            exclude: HashSet::new(),
        }
    }
}

/// A file that mentions a managed namespace, with what was found in it.
#[derive(Clone, Debug)]
pub struct ScannedFile {
    /// The path as walked.
    pub path: PathBuf,
    /// Its text.
    pub source: SourceFile,
    /// The references in it.
    pub extracted: Extracted,
}

/// Counts of what the walk saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Files read and prefiltered.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Files that mention a managed namespace.
    pub candidates: u64,
    /// Files skipped as binary (a NUL byte near the start).
    pub binary: u64,
    /// Files skipped for their size.
    pub too_large: u64,
    /// Candidate files skipped because they are not UTF-8.
    pub not_utf8: u64,
    /// Candidate files skipped because they are tag manifests (they hold `src_build_tag:`).
    pub manifests: u64,
}

/// The result of a walk.
#[derive(Debug, Default)]
pub struct Walked {
    /// Files with references (or templated ones), sorted by path.
    pub files: Vec<ScannedFile>,
    /// What was seen.
    pub stats: WalkStats,
    /// Paths that could not be visited or read.
    pub errors: Vec<RefsError>,
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    candidates: AtomicU64,
    binary: AtomicU64,
    too_large: AtomicU64,
    not_utf8: AtomicU64,
    manifests: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn stats(&self) -> WalkStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WalkStats {
            files: get(&self.files),
            bytes: get(&self.bytes),
            candidates: get(&self.candidates),
            binary: get(&self.binary),
            too_large: get(&self.too_large),
            not_utf8: get(&self.not_utf8),
            manifests: get(&self.manifests),
        }
    }
}

/// Walks `paths` in parallel and extracts the references of every candidate file.
pub fn walk(paths: &[PathBuf], matcher: &Matcher, options: &WalkOptions) -> Walked {
    let Some((first, rest)) = paths.split_first() else {
        return Walked::default();
    };
    let mut builder = WalkBuilder::new(first);
    for path in rest {
        builder.add(path);
    }
    builder
        .hidden(false)
        .require_git(false)
        // The user's global excludes file would make findings depend on the machine.
        .git_global(false)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");

    let counters = Counters::default();
    let found = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let mut buf = Vec::new();
        let (counters, found, errors) = (&counters, &found, &errors);
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    push(errors, RefsError::Walk { source });
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            match visit(entry.path(), matcher, options, counters, &mut buf) {
                Ok(Some(file)) => push(found, file),
                Ok(None) => {}
                Err(e) => push(errors, e),
            }
            WalkState::Continue
        })
    });
    let mut files = found.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    errors.sort_by_key(ToString::to_string);
    Walked {
        files,
        stats: counters.stats(),
        errors,
    }
}

fn push<T>(into: &Mutex<Vec<T>>, item: T) {
    // A poisoned lock only means another worker panicked; its data is still a valid Vec.
    into.lock().unwrap_or_else(|e| e.into_inner()).push(item);
}

fn visit(
    path: &Path,
    matcher: &Matcher,
    options: &WalkOptions,
    counters: &Counters,
    buf: &mut Vec<u8>,
) -> Result<Option<ScannedFile>, RefsError> {
    let io = |source| RefsError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > options.max_file_size {
        Counters::bump(&counters.too_large, 1);
        return Ok(None);
    }
    buf.clear();
    file.take(options.max_file_size.saturating_add(1))
        .read_to_end(buf)
        .map_err(io)?;
    Counters::bump(&counters.files, 1);
    Counters::bump(&counters.bytes, buf.len() as u64);
    if buf.len() as u64 > options.max_file_size {
        Counters::bump(&counters.too_large, 1);
        return Ok(None);
    }
    if memchr::memchr(0, &buf[..buf.len().min(BINARY_SNIFF)]).is_some() {
        Counters::bump(&counters.binary, 1);
        return Ok(None);
    }
    if !matcher.is_candidate(buf) {
        return Ok(None);
    }
    // A tag manifest declares tags rather than referencing images; `tagman lint` checks it. This
    // also keeps old manifests that no policy glob names (copies, history) out of the findings.
    if memchr::memmem::find(buf, b"src_build_tag:").is_some() {
        Counters::bump(&counters.manifests, 1);
        return Ok(None);
    }
    if !options.exclude.is_empty() {
        if let Ok(canonical) = path.canonicalize() {
            if options.exclude.contains(&canonical) {
                return Ok(None);
            }
        }
    }
    Counters::bump(&counters.candidates, 1);
    let name = display_name(path);
    let Ok(source) = SourceFile::from_bytes(name, std::mem::take(buf)) else {
        Counters::bump(&counters.not_utf8, 1);
        return Ok(None);
    };
    let extracted = matcher.extract(source.text());
    if extracted.refs.is_empty() && extracted.templated_names.is_empty() {
        return Ok(None);
    }
    Ok(Some(ScannedFile {
        path: path.to_path_buf(),
        source,
        extracted,
    }))
}

/// The name findings show: the path as walked, without a leading `./`.
fn display_name(path: &Path) -> String {
    let shown = path.strip_prefix(".").unwrap_or(path);
    shown.to_string_lossy().into_owned()
}
