//! The parallel walk: every text file under the given paths, `.gitignore`, `.ignore` and
//! `.git/info/exclude` respected (a git repository is not required; the user's global excludes
//! file is ignored so results do not depend on the machine), `.git/` skipped, binaries and
//! oversized files skipped, each file prefiltered for the managed namespaces before it is decoded.
//! A Helm values file with an empty `tag:` gets the `Chart.yaml` beside it read too.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};
use tagman_core::{SourceFile, Span};

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

/// Largest `Chart.yaml` read for an `appVersion`.
const MAX_CHART: u64 = 1024 * 1024;

/// A file that mentions a managed namespace, with what was found in it.
#[derive(Clone, Debug)]
pub struct ScannedFile {
    /// The path as walked.
    pub path: PathBuf,
    /// The path relative to the scanned path it was found under, `/`-separated (what
    /// `per_path` globs match, with the path relative to the policy's directory).
    pub relative: String,
    /// Its text.
    pub source: SourceFile,
    /// The references in it.
    pub extracted: Extracted,
    /// The Helm chart beside it, read when one of its references has an empty `tag:`.
    pub chart: Option<Chart>,
}

/// A Helm chart's `Chart.yaml`, and where its `appVersion` value stands.
#[derive(Clone, Debug)]
pub struct Chart {
    /// The file.
    pub source: SourceFile,
    /// The `appVersion` value, when the chart has one.
    pub app_version: Option<Span>,
}

impl Chart {
    /// The chart beside the file at `path`, read only when one of its references has an empty
    /// `tag:` (which stands for the chart's `appVersion`).
    fn for_file(path: &Path, extracted: &Extracted) -> Option<Self> {
        let empty_tag = extracted
            .refs
            .iter()
            .any(|r| r.tag.as_ref().is_some_and(|t| t.empty));
        if empty_tag {
            path.parent().and_then(Self::beside)
        } else {
            None
        }
    }

    /// Reads the `Chart.yaml` in `dir`, if there is one.
    fn beside(dir: &Path) -> Option<Self> {
        let source = SourceFile::read(&dir.join("Chart.yaml"), MAX_CHART).ok()?;
        let app_version = app_version(source.text());
        Some(Self {
            source,
            app_version,
        })
    }
}

/// The value of a top-level `appVersion:` key, unquoted.
fn app_version(text: &str) -> Option<Span> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("appVersion:") {
            let value = rest.trim_end_matches(['\r', '\n']);
            let trimmed = value.trim_start();
            let start = offset + "appVersion:".len() + (value.len() - trimmed.len());
            let unquoted = trimmed
                .split(" #")
                .next()
                .unwrap_or(trimmed)
                .trim_end()
                .trim_matches(['"', '\'']);
            let quote = usize::from(trimmed.starts_with(['"', '\'']));
            return (!unquoted.is_empty()).then(|| Span::new(start + quote, unquoted.len()));
        }
        offset += line.len();
    }
    None
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
    let roots = paths;
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
            match visit(entry.path(), roots, matcher, options, counters, &mut buf) {
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

/// `path` relative to the scanned path it lies under (a scanned file: its name), `/`-separated.
fn relative_to_roots(path: &Path, roots: &[PathBuf]) -> String {
    let relative = roots
        .iter()
        .filter_map(|root| path.strip_prefix(root).ok())
        .find(|r| !r.as_os_str().is_empty())
        .or_else(|| path.file_name().map(Path::new))
        .unwrap_or(path);
    tagman_core::select::slash_path(relative)
}

fn visit(
    path: &Path,
    roots: &[PathBuf],
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
    let relative = relative_to_roots(path, roots);
    let extracted = matcher.extract_file(&relative, source.text());
    if extracted.is_empty() {
        return Ok(None);
    }
    let chart = Chart::for_file(path, &extracted);
    Ok(Some(ScannedFile {
        path: path.to_path_buf(),
        relative,
        source,
        extracted,
        chart,
    }))
}

/// The name findings show: the path as walked, without a leading `./`.
fn display_name(path: &Path) -> String {
    let shown = path.strip_prefix(".").unwrap_or(path);
    shown.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_version_values() {
        let text = "apiVersion: v2\nappVersion: \"1.2.3\"\nversion: 0.1.0\n";
        let span = app_version(text).unwrap();
        assert_eq!(&text[span.offset..span.end()], "1.2.3");
        let text = "appVersion: stx.9.0-v1 # pinned\n";
        let span = app_version(text).unwrap();
        assert_eq!(&text[span.offset..span.end()], "stx.9.0-v1");
        assert!(app_version("name: x\n  appVersion: 1\n").is_none());
        assert!(app_version("appVersion: \"\"\n").is_none());
    }

    #[test]
    fn relative_paths_are_taken_from_the_scanned_path() {
        let roots = [PathBuf::from("/r/config"), PathBuf::from("one.yaml")];
        assert_eq!(
            relative_to_roots(Path::new("/r/config/a/tests/x.py"), &roots),
            "a/tests/x.py"
        );
        assert_eq!(relative_to_roots(Path::new("one.yaml"), &roots), "one.yaml");
        assert_eq!(
            relative_to_roots(Path::new("./k8s/pod.yaml"), &[PathBuf::from(".")]),
            "k8s/pod.yaml"
        );
    }
}
