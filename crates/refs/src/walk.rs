//! The parallel walk: every text file under the given paths, `.gitignore`, `.ignore` and
//! `.git/info/exclude` respected (a git repository is not required; the user's global excludes
//! file is ignored so results do not depend on the machine), `.git/` skipped, binaries and
//! oversized files skipped, each file prefiltered for the managed namespaces before it is decoded.
//! Archives (by their magic, whatever their name) are read as streams by [`crate::archive`], and
//! each member goes through the same per-file path as a file on disk, under its `!` path. A Helm
//! values file on disk with an empty `tag:` gets the `Chart.yaml` beside it read too.

use std::collections::HashSet;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ignore::WalkState;
use tagman_core::{SourceFile, Span};

use crate::archive::{self, ArchiveWarning, Budgets, Member, RunBudget};
use crate::error::RefsError;
use crate::extract::{Extracted, ImageRef, Matcher};
use crate::helm::{HelmDoc, Role};

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
    /// What one archive, and all of them together, may cost.
    pub budgets: Budgets,
    /// What the walk keeps of the files it found references in.
    pub keep: KeepCaps,
    /// Also find references to images outside the managed namespaces (`--inventory`); every
    /// text file is then read, not only those the namespace prefilter lets through.
    pub all_images: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            exclude: HashSet::new(),
            budgets: Budgets::default(),
            keep: KeepCaps::default(),
            all_images: false,
        }
    }
}

/// Bounds on what a walk keeps in memory: a 92 KB `.tar.zst` can hold millions of references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepCaps {
    /// References kept per file (managed and, with `all_images`, other ones each); the rest are
    /// counted and reported as TM000.
    pub refs_per_file: usize,
    /// References kept over the run; files past it are counted, not kept, and fail the run.
    pub refs_per_run: u64,
    /// Text of files with references kept over the run (their snippets need it).
    pub bytes_per_run: u64,
}

/// Default [`KeepCaps::refs_per_file`]: twice the findings a file lists by default.
pub const DEFAULT_REFS_PER_FILE: usize = 2_000;
/// Default [`KeepCaps::refs_per_run`].
pub const DEFAULT_REFS_PER_RUN: u64 = 200_000;
/// Default [`KeepCaps::bytes_per_run`]: 160 MiB.
pub const DEFAULT_KEPT_BYTES: u64 = 160 * 1024 * 1024;

impl Default for KeepCaps {
    fn default() -> Self {
        Self {
            refs_per_file: DEFAULT_REFS_PER_FILE,
            refs_per_run: DEFAULT_REFS_PER_RUN,
            bytes_per_run: DEFAULT_KEPT_BYTES,
        }
    }
}

/// A file whose references were more than [`KeepCaps::refs_per_file`]: the first are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capped {
    /// The file's name (its `!` path in an archive).
    pub name: String,
    /// References kept.
    pub kept: usize,
    /// Mentions of managed names after the last reference read: counted, not read (images
    /// outside the managed namespaces past the cap are not counted).
    pub left_out: usize,
}

/// Largest `Chart.yaml` read for an `appVersion`.
const MAX_CHART: u64 = 1024 * 1024;

/// A file that mentions a managed namespace, with what was found in it.
#[derive(Clone, Debug)]
pub struct ScannedFile {
    /// The path as walked (for an archive member: the archive on disk).
    pub path: PathBuf,
    /// The path relative to the scanned path it was found under, `/`-separated (what
    /// `per_path` globs match, with the path relative to the policy's directory); an archive
    /// member's is its `!` path.
    pub relative: String,
    /// Its text; its name is the `!` path of an archive member.
    pub source: SourceFile,
    /// The references in it.
    pub extracted: Extracted,
    /// Whether it is a member of an archive (it cannot be edited in place).
    pub in_archive: bool,
    /// References to images outside the managed namespaces (only with `all_images`).
    pub unmanaged: Vec<ImageRef>,
    /// What it is to Helm (chart defaults, overrides), set after the walk.
    pub role: Option<Role>,
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
    /// Archives read (top-level ones; nested ones are in `nested_archives`).
    pub archives: u64,
    /// Archives read inside other archives.
    pub nested_archives: u64,
    /// Archive members read (files inside archives, counted in `files` too).
    pub members: u64,
}

/// The result of a walk.
#[derive(Debug, Default)]
pub struct Walked {
    /// Files with references (or templated ones), sorted by path.
    pub files: Vec<ScannedFile>,
    /// What was seen.
    pub stats: WalkStats,
    /// Paths that could not be visited or read, and archives that broke a budget.
    pub errors: Vec<RefsError>,
    /// Archive members and archives that could not be read (the scan went on).
    pub warnings: Vec<ArchiveWarning>,
    /// Charts, overrides and HelmReleases seen, for [`crate::helm::annotate`].
    pub helm: Vec<HelmDoc>,
    /// Files whose references were capped, sorted by name.
    pub capped: Vec<Capped>,
    /// What the run's archives expanded to, and the archive bytes read.
    pub expanded: (u64, u64),
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
    archives: AtomicU64,
    nested_archives: AtomicU64,
    members: AtomicU64,
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
            archives: get(&self.archives),
            nested_archives: get(&self.nested_archives),
            members: get(&self.members),
        }
    }
}

/// Walks `paths` in parallel and extracts the references of every candidate file.
pub fn walk(paths: &[PathBuf], matcher: &Matcher, options: &WalkOptions) -> Walked {
    let Some((first, rest)) = paths.split_first() else {
        return Walked::default();
    };
    // The one walk configuration, shared with manifest discovery (`tagman_core::walk`).
    let mut builder = tagman_core::walk::builder(first);
    for path in rest {
        builder.add(path);
    }
    builder.threads(options.threads);

    let sinks = Sinks {
        counters: Counters::default(),
        found: Mutex::default(),
        errors: Mutex::default(),
        warnings: Mutex::default(),
        helm: Mutex::default(),
        run: Arc::new(RunBudget::new(&options.budgets)),
        kept: Kept::default(),
        capped: Mutex::default(),
    };
    let visitor = Visitor {
        matcher,
        options,
        roots: paths,
        sinks: &sinks,
    };
    builder.build_parallel().run(|| {
        let mut buf = Vec::new();
        let visitor = &visitor;
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    push(&visitor.sinks.errors, RefsError::Walk { source });
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            if let Err(e) = visitor.visit(entry.path(), &mut buf) {
                push(&visitor.sinks.errors, e);
            }
            WalkState::Continue
        })
    });
    sinks.into_walked(&options.keep)
}

/// What the workers collect.
struct Sinks {
    counters: Counters,
    found: Mutex<Vec<ScannedFile>>,
    errors: Mutex<Vec<RefsError>>,
    warnings: Mutex<Vec<ArchiveWarning>>,
    helm: Mutex<Vec<HelmDoc>>,
    run: Arc<RunBudget>,
    kept: Kept,
    capped: Mutex<Vec<Capped>>,
}

/// What the walk keeps, against [`KeepCaps`]'s run-wide bounds.
#[derive(Default)]
struct Kept {
    refs: AtomicU64,
    bytes: AtomicU64,
    /// Files not kept: how many, their references, and the first.
    dropped: Mutex<(u64, u64, Option<String>)>,
}

impl Kept {
    /// Reserves room for a file of `bytes` with `refs` references kept (and `left_out` more);
    /// `false` (and counted) when the run has no room left.
    fn reserve(
        &self,
        caps: &KeepCaps,
        name: &str,
        (refs, left_out, bytes): (u64, u64, u64),
    ) -> bool {
        let total_refs = self.refs.fetch_add(refs, Ordering::Relaxed) + refs;
        let total_bytes = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total_refs <= caps.refs_per_run && total_bytes <= caps.bytes_per_run {
            return true;
        }
        self.refs.fetch_sub(refs, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
        let mut dropped = self.dropped.lock().unwrap_or_else(|e| e.into_inner());
        dropped.0 += 1;
        dropped.1 += refs + left_out;
        if dropped.2.is_none() {
            dropped.2 = Some(name.to_owned());
        }
        false
    }

    /// The error for the files not kept, if any were.
    fn error(self, caps: &KeepCaps) -> Option<RefsError> {
        let (files, refs, first) = self.dropped.into_inner().unwrap_or_else(|e| e.into_inner());
        first.map(|first| RefsError::NotKept {
            files,
            refs,
            first,
            max_refs: caps.refs_per_run,
            max_bytes: caps.bytes_per_run,
        })
    }
}

impl Sinks {
    fn into_walked(self, caps: &KeepCaps) -> Walked {
        let mut files: Vec<ScannedFile> = take(self.found);
        files.sort_by(|a, b| (&a.path, a.source.name()).cmp(&(&b.path, b.source.name())));
        let mut errors: Vec<RefsError> = take(self.errors);
        errors.extend(self.run.skipped().map(RefsError::Archive));
        errors.extend(self.kept.error(caps));
        errors.sort_by_key(ToString::to_string);
        let mut capped = take(self.capped);
        capped.sort_by(|a, b| a.name.cmp(&b.name));
        let mut warnings: Vec<ArchiveWarning> = take(self.warnings);
        warnings.sort_by(|a, b| a.path.cmp(&b.path));
        let mut helm: Vec<HelmDoc> = take(self.helm);
        helm.sort_by(|a, b| doc_key(a).cmp(doc_key(b)));
        Walked {
            files,
            stats: self.counters.stats(),
            errors,
            warnings,
            helm,
            capped,
            expanded: self.run.figures(),
        }
    }
}

fn doc_key(doc: &HelmDoc) -> &str {
    match doc {
        HelmDoc::Chart { dir, .. } => dir,
        HelmDoc::Overrides(s) | HelmDoc::Release(s) => s.name(),
    }
}

fn take<T>(m: Mutex<Vec<T>>) -> Vec<T> {
    m.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn push<T>(into: &Mutex<Vec<T>>, item: T) {
    // A poisoned lock only means another worker panicked; its data is still a valid Vec.
    into.lock().unwrap_or_else(|e| e.into_inner()).push(item);
}

/// Where an ISO image's bytes are: its file (each reader opens a handle of its own) or memory.
#[derive(Clone, Copy)]
enum Image<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

trait ReadSeek: Read + Seek {}

impl<T: Read + Seek> ReadSeek for T {}

impl<'a> Image<'a> {
    fn open(self) -> std::io::Result<Box<dyn ReadSeek + Send + 'a>> {
        Ok(match self {
            Self::File(path) => Box::new(std::fs::File::open(path)?),
            Self::Bytes(bytes) => Box::new(std::io::Cursor::new(bytes)),
        })
    }
}

/// One walk's shared state, handed to every worker.
struct Visitor<'w> {
    matcher: &'w Matcher,
    options: &'w WalkOptions,
    /// The paths given, which `per_path` paths are relative to.
    roots: &'w [PathBuf],
    sinks: &'w Sinks,
}

impl Visitor<'_> {
    /// A file on disk: an archive is streamed, anything else read whole (up to the size cap).
    fn visit(&self, path: &Path, buf: &mut Vec<u8>) -> Result<(), RefsError> {
        let io = |source| RefsError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let counters = &self.sinks.counters;
        if size > self.options.max_file_size {
            // Only an archive may be larger than a text file; look at its magic to know.
            let head = archive::read_head(&mut file).map_err(io)?;
            if archive::sniff(&head).is_some() {
                let mut input = std::io::Cursor::new(head).chain(file);
                return self.archive(path, display_name(path), &mut input, false);
            }
            if archive::is_iso(&mut file).map_err(io)? {
                return self.iso(path, Image::File(path));
            }
            Counters::bump(&counters.too_large, 1);
            return Ok(());
        }
        buf.clear();
        (&mut file)
            .take(self.options.max_file_size.saturating_add(1))
            .read_to_end(buf)
            .map_err(io)?;
        if archive::sniff(&buf[..buf.len().min(archive::SNIFF_LEN)]).is_some() {
            let mut input = std::io::Cursor::new(std::mem::take(buf));
            return self.archive(path, display_name(path), &mut input, false);
        }
        if archive::has_iso_magic(buf) {
            let image = std::mem::take(buf);
            return self.iso(path, Image::Bytes(&image));
        }
        Counters::bump(&counters.files, 1);
        Counters::bump(&counters.bytes, buf.len() as u64);
        if buf.len() as u64 > self.options.max_file_size {
            Counters::bump(&counters.too_large, 1);
            return Ok(());
        }
        self.accept(path, display_name(path), false, buf);
        Ok(())
    }

    /// Reads the archive `name` (the file at `path`, or a file on the ISO image at `path`),
    /// each member through [`Self::accept`]. `on_image`: the archive is a file on an ISO image,
    /// which counts as the archive, this one as nested in it.
    fn archive(
        &self,
        path: &Path,
        name: String,
        input: &mut dyn Read,
        on_image: bool,
    ) -> Result<(), RefsError> {
        let counters = &self.sinks.counters;
        let run = &self.sinks.run;
        if run.is_spent() {
            run.skip(&name);
            return Ok(());
        }
        let max = self.options.max_file_size;
        let mut warnings = Vec::new();
        let mut member_buf = Vec::new();
        let mut on_member = |member: Member<'_>| -> std::io::Result<()> {
            if member.size > max {
                // Not read: a tar reader skips the rest anyway, an ISO reads nothing of it.
                Counters::bump(&counters.files, 1);
                Counters::bump(&counters.members, 1);
                Counters::bump(&counters.too_large, 1);
                return Ok(());
            }
            member_buf.clear();
            member
                .data
                .take(max.saturating_add(1))
                .read_to_end(&mut member_buf)?;
            Counters::bump(&counters.files, 1);
            Counters::bump(&counters.members, 1);
            Counters::bump(&counters.bytes, member_buf.len() as u64);
            if member.size > max || member_buf.len() as u64 > max {
                Counters::bump(&counters.too_large, 1);
                return Ok(());
            }
            self.accept(path, member.name, true, &mut member_buf);
            Ok(())
        };
        let budgets = &self.options.budgets;
        let result = archive::scan(&name, input, budgets, run, &mut on_member, &mut warnings);
        for w in warnings {
            push(&self.sinks.warnings, w);
        }
        let stats = result.map_err(RefsError::Archive)?;
        self.count_archives(stats.archives, on_image);
        Ok(())
    }

    /// Counts the `archives` one file held (itself and those nested in it); a file on an
    /// ISO image counts as nested in the image.
    fn count_archives(&self, archives: u64, on_image: bool) {
        let counters = &self.sinks.counters;
        match archives {
            // A compressed file that holds no archive (`notes.txt.gz`): not text either.
            0 => Counters::bump(&counters.binary, 1),
            n if on_image => Counters::bump(&counters.nested_archives, n),
            n => {
                Counters::bump(&counters.archives, 1);
                Counters::bump(&counters.nested_archives, n - 1);
            }
        }
    }

    /// The ISO image at `path`: listed, then its files read on as many threads as the walk
    /// has, each from a handle of its own, as files on disk would be (a package on it is a
    /// top-level archive with budgets of its own).
    fn iso(&self, path: &Path, image: Image<'_>) -> Result<(), RefsError> {
        let name = display_name(path);
        let io = |source| RefsError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        };
        let mut warnings = Vec::new();
        let listing = image.open().map_err(io).and_then(|handle| {
            archive::list_iso(&name, handle, &self.options.budgets, &mut warnings)
                .map_err(RefsError::Archive)
        });
        for w in warnings {
            push(&self.sinks.warnings, w);
        }
        let listing = listing?;
        Counters::bump(&self.sinks.counters.archives, 1);
        let next = AtomicUsize::new(0);
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            n => n,
        };
        let workers = threads.clamp(1, listing.files.len().max(1));
        std::thread::scope(|scope| {
            let readers: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| -> Result<(), RefsError> {
                        let mut handle = image.open().map_err(io)?;
                        let mut buf = Vec::new();
                        while let Some(file) =
                            listing.files.get(next.fetch_add(1, Ordering::Relaxed))
                        {
                            self.iso_file(path, &name, file, &mut handle, &mut buf);
                        }
                        Ok(())
                    })
                })
                .collect();
            // A reader that could not open its handle leaves its files to the others.
            let mut first_error = None;
            for reader in readers {
                match reader.join() {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => first_error = first_error.or(Some(e)),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            first_error.map_or(Ok(()), Err)
        })
    }

    /// One file on the ISO image at `path` (named `name`): an archive is read as a top-level
    /// one, anything else as a file on disk. What cannot be read is a warning naming it.
    fn iso_file(
        &self,
        path: &Path,
        name: &str,
        file: &archive::IsoFile,
        image: &mut dyn ReadSeek,
        buf: &mut Vec<u8>,
    ) {
        let member = format!("{name}!{}", file.path);
        let counters = &self.sinks.counters;
        let warn = |source| {
            push(
                &self.sinks.warnings,
                ArchiveWarning {
                    path: member.clone(),
                    source,
                },
            );
        };
        let mut data = file.data(image);
        let head = match archive::read_head(&mut data) {
            Ok(head) => head,
            Err(e) => return warn(e),
        };
        let is_archive = archive::sniff(&head).is_some();
        let mut data = std::io::Cursor::new(head).chain(data);
        if is_archive {
            if let Err(e) = self.archive(path, member.clone(), &mut data, true) {
                push(&self.sinks.errors, e);
            }
            return;
        }
        Counters::bump(&counters.files, 1);
        Counters::bump(&counters.members, 1);
        let max = self.options.max_file_size;
        if file.size > max {
            Counters::bump(&counters.too_large, 1);
            return;
        }
        buf.clear();
        if let Err(e) = data.take(max.saturating_add(1)).read_to_end(buf) {
            return warn(e);
        }
        Counters::bump(&counters.bytes, buf.len() as u64);
        if buf.len() as u64 > max {
            Counters::bump(&counters.too_large, 1);
            return;
        }
        self.accept(path, member, true, buf);
    }

    /// One file's bytes (on disk or in an archive): skipped as binary, a manifest or not UTF-8,
    /// else prefiltered and its references extracted. `buf` is taken when the file is kept.
    fn accept(&self, path: &Path, name: String, in_archive: bool, buf: &mut Vec<u8>) {
        let counters = &self.sinks.counters;
        let Some((helm_name, candidate)) = self.worth_reading(path, &name, in_archive, buf) else {
            return;
        };
        let Ok(text) = std::str::from_utf8(buf) else {
            if candidate {
                Counters::bump(&counters.not_utf8, 1);
            }
            return;
        };
        // An overrides file is kept even without a reference of its own: a tag-only override
        // (`image.tag`) is judged there once it is resolved against its chart default.
        let mut overrides = false;
        if helm_name {
            if let Some(doc) = crate::helm::doc_for(&name, text) {
                overrides = !matches!(doc, HelmDoc::Chart { .. });
                push(&self.sinks.helm, doc);
            }
        }
        let relative = if in_archive {
            name.clone()
        } else {
            relative_to_roots(path, self.roots)
        };
        let mut read = self.read(&relative, text, candidate);
        if read.extracted.is_empty() && read.unmanaged.is_empty() && !overrides {
            return;
        }
        if !self.keep(&name, &mut read, buf.len()) {
            return;
        }
        let FileRefs {
            extracted,
            unmanaged,
            ..
        } = read;
        let Ok(source) = SourceFile::from_bytes(name, std::mem::take(buf)) else {
            return;
        };
        // A chart inside an archive is read by the Helm pass, not from beside the member.
        let chart = if in_archive {
            None
        } else {
            Chart::for_file(path, &extracted)
        };
        push(
            &self.sinks.found,
            ScannedFile {
                path: path.to_path_buf(),
                relative,
                source,
                extracted,
                in_archive,
                unmanaged,
                role: None,
                chart,
            },
        );
    }
}

impl Visitor<'_> {
    /// The references of a file's `text`: the managed ones (when it is a candidate) and, for an
    /// inventory, every other image; each list stops at [`KeepCaps::refs_per_file`]. Once the
    /// managed list stopped with more to come, the file is capped and the rest is not read.
    fn read(&self, relative: &str, text: &str, candidate: bool) -> FileRefs {
        let limit = self.options.keep.refs_per_file;
        let extracted = if candidate {
            Counters::bump(&self.sinks.counters.candidates, 1);
            self.matcher.extract_file_upto(relative, text, limit)
        } else {
            Extracted::default()
        };
        let (unmanaged, more) = if self.options.all_images {
            let end = match extracted.stopped_at {
                Some(at) if extracted.more > 0 => at,
                _ => text.len(),
            };
            let text = text.get(..end).unwrap_or(text);
            crate::inventory::find::unmanaged_upto(relative, text, self.matcher, limit)
        } else {
            (Vec::new(), false)
        };
        let unread = more || extracted.more > 0;
        FileRefs {
            extracted,
            unmanaged,
            unread,
        }
    }

    /// Whether a file's bytes are worth reading as text: not binary, holding a managed name (a
    /// candidate), a Helm file or, for an inventory, anything; not a tag manifest (`tagman lint`
    /// checks those) nor an excluded path. `Some((helm file, candidate))` when they are.
    fn worth_reading(
        &self,
        path: &Path,
        name: &str,
        in_archive: bool,
        buf: &[u8],
    ) -> Option<(bool, bool)> {
        let counters = &self.sinks.counters;
        if memchr::memchr(0, &buf[..buf.len().min(BINARY_SNIFF)]).is_some() {
            Counters::bump(&counters.binary, 1);
            return None;
        }
        let helm_name = is_helm_name(name, buf);
        let candidate = self.matcher.is_candidate(buf);
        if !candidate && !helm_name && !self.options.all_images {
            return None;
        }
        // A tag manifest declares tags rather than referencing images; `tagman lint` checks it. This
        // also keeps old manifests that no policy glob names (copies, history) out of the findings.
        if memchr::memmem::find(buf, b"src_build_tag:").is_some() {
            if candidate {
                Counters::bump(&counters.manifests, 1);
            }
            return None;
        }
        if !in_archive && !self.options.exclude.is_empty() {
            let excluded = path
                .canonicalize()
                .is_ok_and(|canonical| self.options.exclude.contains(&canonical));
            if excluded {
                return None;
            }
        }
        Some((helm_name, candidate))
    }

    /// Notes a file whose references were capped at [`KeepCaps::refs_per_file`] and reserves
    /// room for it in the run; `false` when the run has none left.
    fn keep(&self, name: &str, read: &mut FileRefs, bytes: usize) -> bool {
        let caps = &self.options.keep;
        // Each list stopped at its cap, or just past it.
        read.extracted.refs.truncate(caps.refs_per_file);
        read.unmanaged.truncate(caps.refs_per_file);
        let kept = read.extracted.refs.len() + read.unmanaged.len();
        let left_out = read.extracted.more;
        if read.unread {
            push(
                &self.sinks.capped,
                Capped {
                    name: name.to_owned(),
                    kept,
                    left_out,
                },
            );
        }
        let sizes = (kept as u64, left_out as u64, bytes as u64);
        self.sinks.kept.reserve(caps, name, sizes)
    }
}

/// What [`Visitor::read`] found in one file.
struct FileRefs {
    extracted: Extracted,
    unmanaged: Vec<ImageRef>,
    /// Reading stopped at a cap: the file holds more than was read.
    unread: bool,
}

/// Files the Helm pass reads whatever they reference: `Chart.yaml`, static overrides, and YAML
/// that names a HelmRelease.
fn is_helm_name(name: &str, bytes: &[u8]) -> bool {
    let base = name.rsplit(['/', '!']).next().unwrap_or(name);
    base == "Chart.yaml"
        || base.ends_with("-static-overrides.yaml")
        || ((base.ends_with(".yaml") || base.ends_with(".yml"))
            && memchr::memmem::find(bytes, b"HelmRelease").is_some())
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
