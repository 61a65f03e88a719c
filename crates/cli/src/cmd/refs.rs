//! `tagman refs`: find floating, undeclared and raw-build-tag references to managed images in a
//! source tree or in what a build ships (packages, tarballs, charts), list every image
//! (`--inventory`), or move every reference to one image to a declared tag (`--bump`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use tagman_core::tag::iso_date;
use tagman_core::Policy;
use tagman_git::{CommitStamp, Repo};
use tagman_refs::archive::{self, Budgets};
use tagman_refs::walk::DEFAULT_MAX_FILE_SIZE;
use tagman_refs::{
    bump, BumpSpec, Catalog, RefsError, Removal, Scan, Stamp, Superseded, WalkOptions, WriteScope,
};

use crate::cli::Global;
use crate::error::CliError;
use crate::output::{inventory, Format, Ui};
use crate::Outcome;

/// `tagman refs --format`: the findings' formats, and the inventory's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RefsFormat {
    /// Findings: source snippets; inventory: an aligned table, managed images first.
    #[default]
    Human,
    /// One JSON object (findings as `tagman lint`'s; the inventory as `{"images": […], "summary": {…}}`).
    Json,
    /// Findings only: the data for Zuul's `zuul_return`.
    Zuul,
    /// Findings only: a SARIF 2.1.0 log.
    Sarif,
    /// Findings only: GitHub Actions annotations.
    Github,
    /// Inventory only: one line per (image, tag, location).
    Csv,
    /// Inventory only: a table for a review comment or a release note.
    Markdown,
}

/// `tagman refs [--manifests FILE]… [--bump NAME=TAG | --bump-superseded [--commit] [--dry-run]] [PATHS…]`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("bumping").args(["bump", "bump_superseded"])))]
pub struct RefsArgs {
    /// Files or directories to scan (default: the working directory). `.gitignore` is respected.
    /// Debian packages, tarballs (.tar, .tgz, .tar.xz, .tar.zst, .tar.bz2) and ISO 9660 images
    /// are read inside, in memory, within the --archive-max-* budgets.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Manifests that declare the tags (repeat, or comma-separate). Default: the policy's `manifests` globs.
    #[arg(long, value_name = "FILE", value_delimiter = ',')]
    pub manifests: Vec<PathBuf>,
    /// Rewrite every reference to image NAME to TAG, which a manifest must declare; prints a unified diff.
    /// NAME may be short (`stx-ceph-manager`). With one tag per OS codename, a file shared by the
    /// codenames gets `…-@OS_CODENAME@` where its build fills that in, else the bump refuses.
    #[arg(long, value_name = "NAME=TAG")]
    pub bump: Option<String>,
    /// With --bump: print the diff and change nothing.
    #[arg(long, requires = "bumping")]
    pub dry_run: bool,
    /// Move every reference TM205 reports (a tag an earlier manifest revision declared) to the
    /// tag that superseded it.
    #[arg(long, conflicts_with_all = ["bump", "inventory"])]
    pub bump_superseded: bool,
    /// With --bump or --bump-superseded: commit the edits, one commit per git work tree, with a
    /// message naming the change that declared each new tag, its references and a Change-Id.
    /// Refuses a work tree with changes of its own. With --dry-run: print the commit.
    #[arg(long, requires = "bumping")]
    pub commit: bool,
    /// With --bump: edit files that symlinks lead to even outside the scanned tree (by default
    /// such a file is refused, exit 2).
    #[arg(long, requires = "bumping")]
    pub follow_symlinks: bool,
    /// Output format (csv and markdown only with --inventory; zuul, sarif and github only without).
    #[arg(long, value_enum, default_value_t = RefsFormat::Human)]
    pub format: RefsFormat,
    /// List every image reference found, managed or not, with its locations, instead of checking.
    #[arg(long, conflicts_with_all = ["bump", "bump_superseded", "deny_warnings"])]
    pub inventory: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Worker threads for the walk (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Most bytes decompressed from one archive (nested archives included).
    #[arg(long, value_name = "BYTES", default_value_t = archive::DEFAULT_TOTAL_BYTES)]
    pub archive_max_total: u64,
    /// Largest archive inside an archive, and largest tar header (pax, long names); a larger
    /// plain member is decoded past, not read.
    #[arg(long, value_name = "BYTES", default_value_t = archive::DEFAULT_MEMBER_BYTES)]
    pub archive_max_member: u64,
    /// Deepest nesting of archives in archives.
    #[arg(long, value_name = "N", default_value_t = archive::DEFAULT_DEPTH)]
    pub archive_max_depth: usize,
    /// Most members in one archive (nested archives included).
    #[arg(long, value_name = "N", default_value_t = archive::DEFAULT_MEMBERS)]
    pub archive_max_members: u64,
    /// Bytes all archives of the run may expand to per archive byte read (the one-archive
    /// budget, --archive-max-total, is always allowed).
    #[arg(long, value_name = "N", default_value_t = archive::DEFAULT_RUN_RATIO)]
    pub archive_max_ratio: u64,
    /// Most bytes all archives of the run may expand to, whatever the ratio.
    #[arg(long, value_name = "BYTES", default_value_t = archive::DEFAULT_RUN_BYTES)]
    pub archive_max_run: u64,
    /// Do not read the manifests' git history: a tag an earlier revision declared is then
    /// reported as undeclared (TM202) rather than superseded (TM205).
    #[arg(long)]
    pub no_history: bool,
}

impl RefsArgs {
    /// The findings format, or a usage error for an inventory-only one.
    fn findings_format(&self) -> Result<Format, CliError> {
        Ok(match self.format {
            RefsFormat::Human => Format::Human,
            RefsFormat::Json => Format::Json,
            RefsFormat::Zuul => Format::Zuul,
            RefsFormat::Sarif => Format::Sarif,
            RefsFormat::Github => Format::Github,
            RefsFormat::Csv | RefsFormat::Markdown => {
                return Err(CliError::Usage {
                    message: "--format csv and markdown are inventory formats".to_owned(),
                    help: "add --inventory, or use human, json, zuul, sarif or github for findings"
                        .to_owned(),
                })
            }
        })
    }

    /// The inventory format, or a usage error for a findings-only one.
    fn inventory_format(&self) -> Result<inventory::InventoryFormat, CliError> {
        Ok(match self.format {
            RefsFormat::Human => inventory::InventoryFormat::Human,
            RefsFormat::Json => inventory::InventoryFormat::Json,
            RefsFormat::Csv => inventory::InventoryFormat::Csv,
            RefsFormat::Markdown => inventory::InventoryFormat::Markdown,
            RefsFormat::Zuul | RefsFormat::Sarif | RefsFormat::Github => {
                return Err(CliError::Usage {
                    message:
                        "--inventory lists images; zuul, sarif and github are findings formats"
                            .to_owned(),
                    help: "use --format human, json, csv or markdown with --inventory".to_owned(),
                })
            }
        })
    }

    /// The walk's options from the flags.
    pub(crate) fn walk_options(&self) -> WalkOptions {
        WalkOptions {
            max_file_size: self.max_file_size,
            threads: self.threads,
            budgets: Budgets {
                total_bytes: self.archive_max_total,
                member_bytes: self.archive_max_member,
                depth: self.archive_max_depth,
                members: self.archive_max_members,
                run_ratio: self.archive_max_ratio,
                run_bytes: self.archive_max_run,
            },
            all_images: self.inventory,
            ..WalkOptions::default()
        }
    }
}

/// Runs the scan, or the bump.
pub fn run(args: &RefsArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    if args.commit || args.bump_superseded {
        return crate::cmd::follow_up::run(args, global, ui);
    }
    let policy = crate::cmd::load_policy(global)?;
    // Parse the bump and check the format before the walk so a typo fails at once.
    let spec = args.bump.as_deref().map(BumpSpec::parse).transpose()?;
    let (findings_format, inventory_format) = if args.inventory {
        (Format::Json, Some(args.inventory_format()?))
    } else {
        (args.findings_format()?, None)
    };
    let catalog = load_catalog(args, &policy, ui)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let started = Instant::now();
    let scan = tagman_refs::scan(&paths, &policy, &catalog.manifests, args.walk_options())?;
    note_stats(ui, &scan, started);
    note_overrides(ui, &scan);
    let codenames = tagman_refs::expansion_codenames(&policy, &catalog.catalog);
    let outcome = match (spec, inventory_format) {
        (Some(spec), _) => {
            let spec = spec.resolve(&catalog.catalog)?;
            let scope = WriteScope::new(&paths, args.follow_symlinks);
            run_bump(args, &scan, &spec, &catalog.catalog, &codenames, &scope, ui)?.0
        }
        (None, Some(format)) => {
            let listed = tagman_refs::inventory::build(&scan, &catalog.catalog, &codenames);
            inventory::print(&listed, format, ui)?;
            Outcome::Clean
        }
        (None, None) => {
            let report = tagman_refs::check(&scan, &policy, &catalog.catalog);
            ui.print_report(&report, findings_format)?;
            Outcome::of(&report, args.deny_warnings)
        }
    };
    let unread = !scan.walked.warnings.is_empty();
    walk_errors(scan, ui)?;
    // Content a real tool would read and tagman could not: never a clean run.
    Ok(if unread { Outcome::Failed } else { outcome })
}

struct Declared {
    manifests: Vec<tagman_core::Manifest>,
    catalog: Catalog,
}

fn load_catalog(args: &RefsArgs, policy: &Policy, ui: &Ui) -> Result<Declared, CliError> {
    let (files, manifests) = load_manifests(args, policy, ui)?;
    let mut catalog = Catalog::new(&manifests);
    // A bump moves references to a declared tag; only the check needs the history.
    if !args.no_history && args.bump.is_none() {
        if let Some((past, revisions)) = history(&files, policy, ui)? {
            catalog.set_history(past, revisions);
        }
    }
    Ok(Declared { manifests, catalog })
}

/// The manifests `--manifests` names (else the policy's), parsed; one that does not parse is
/// an error. Returns their paths too.
pub(crate) fn load_manifests(
    args: &RefsArgs,
    policy: &Policy,
    ui: &Ui,
) -> Result<(Vec<PathBuf>, Vec<tagman_core::Manifest>), CliError> {
    let files = crate::cmd::manifest_files(
        &args.manifests,
        policy,
        ui,
        false,
        "tagman refs --manifests path/to/image-tags.yaml",
    )?;
    let loaded = tagman_core::Loaded::from_paths(&files, policy)?;
    if let Some(bad) = loaded.unparsed.first() {
        return Err(RefsError::UnparsedManifest {
            file: bad.source.name().to_owned(),
            message: bad.message.clone(),
        }
        .into());
    }
    ui.note(format_args!(
        "tags declared by {} manifest(s): {}",
        files.len(),
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok((files, loaded.manifests))
}

/// With -v: each chart default an override replaces, which is why it has no finding.
fn note_overrides(ui: &Ui, scan: &Scan) {
    for o in &scan.overridden {
        let Some(file) = scan.walked.files.get(o.file) else {
            continue;
        };
        let Some(reference) = file.extracted.refs.get(o.reference) else {
            continue;
        };
        let at = file.source.position(reference.span.offset);
        let by = o.by.start();
        ui.note(format_args!(
            "{}:{}:{}: chart default `{}` of chart {} is overridden by {}:{}:{} (`{}: {}`); what ships is the override, so the default is not checked",
            file.source.name(),
            at.line,
            at.column,
            file.source.slice(reference.span),
            o.chart,
            o.by.file.name(),
            by.line,
            by.column,
            o.key,
            o.tag
        ));
    }
}

/// What earlier revisions of the manifests declared, when they are in a git repository: each
/// pair with its story, and how many commits were read.
type History = (Vec<(String, Superseded)>, usize);

fn history(files: &[PathBuf], policy: &Policy, ui: &Ui) -> Result<Option<History>, CliError> {
    let Some(first) = files.first() else {
        return Ok(None);
    };
    let dir = first
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let Ok(repo) = Repo::discover(dir) else {
        ui.note("the manifests are not in a git repository: no history of superseded tags");
        return Ok(None);
    };
    let started = Instant::now();
    let read = match repo.manifest_history(files, policy) {
        Ok(read) => read,
        Err(e) => {
            // The history only refines TM202 into TM205: without it the scan still stands.
            writeln!(
                std::io::stderr().lock(),
                "tagman: warning: cannot read the manifests' history ({e}); tags of earlier revisions are reported as undeclared"
            )?;
            return Ok(None);
        }
    };
    ui.note(format_args!(
        "history of the manifests in {}: {} commit(s), {} state(s), {} manifest version(s), {} tag(s) ever declared, in {:.2} s",
        repo.root().display(),
        read.commits,
        read.states,
        read.blobs,
        read.tags.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(Some((superseded_pairs(&read), read.commits)))
}

/// Each pair the history holds, with its story, as the catalog takes it.
pub(crate) fn superseded_pairs(read: &tagman_git::ManifestHistory) -> Vec<(String, Superseded)> {
    let stamp = |c: &CommitStamp| Stamp {
        commit: c.short.clone(),
        date: iso_date(c.time),
    };
    read.tags
        .iter()
        .map(|t| {
            let superseded = Superseded {
                tag: t.tag.clone(),
                declared: stamp(&t.first),
                removed: t.removed.as_ref().map(|r| Removal {
                    at: stamp(&r.at),
                    file: r.file.clone(),
                    replaced_by: r.replaced_by.clone(),
                }),
            };
            (t.name.clone(), superseded)
        })
        .collect()
}

pub(crate) fn note_stats(ui: &Ui, scan: &Scan, started: Instant) {
    let s = scan.walked.stats;
    if s.archives > 0 {
        ui.note(format_args!(
            "read {} archive(s) holding {} more nested archive(s) and {} member file(s); they expanded {:.1} MB from {:.1} MB read",
            s.archives,
            s.nested_archives,
            s.members,
            scan.walked.expanded.0 as f64 / 1e6,
            scan.walked.expanded.1 as f64 / 1e6
        ));
    }
    ui.note(format_args!(
        "read {} file(s), {:.1} MB, in {:.2} s; {} mention a managed namespace; skipped {} binary, {} over the size cap, {} not UTF-8, {} tag manifest(s)",
        s.files,
        s.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        s.candidates,
        s.binary,
        s.too_large,
        s.not_utf8,
        s.manifests
    ));
}

/// Plans the bump of `spec`, prints its diff and what it leaves alone, writes it unless
/// `--dry-run`; returns the outcome and the plan.
pub(crate) fn run_bump(
    args: &RefsArgs,
    scan: &Scan,
    spec: &BumpSpec,
    catalog: &Catalog,
    codenames: &[String],
    scope: &WriteScope,
    ui: &Ui,
) -> Result<(Outcome, bump::BumpPlan), CliError> {
    let plan = bump::plan(scan, spec, catalog, codenames)?;
    let mut out = std::io::stdout().lock();
    for edit in &plan.edits {
        out.write_all(edit.unified_diff().as_bytes())?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for skipped in &plan.skipped {
        let p = skipped.label.start();
        writeln!(
            err,
            "tagman: left alone: {}:{}:{}: {}",
            skipped.label.file.name(),
            p.line,
            p.column,
            skipped.reason
        )?;
    }
    if plan.references == 0 {
        writeln!(
            err,
            "tagman: no reference to {} found under the scanned paths",
            spec.name
        )?;
        return Ok((Outcome::Failed, plan));
    }
    if !args.dry_run {
        bump::write_all(&plan.edits, scope)?;
    }
    let changes: usize = plan.edits.iter().map(|e| e.changes.len()).sum();
    // What was written: the tag asked for, one codename's, or the placeholder form.
    let to = match plan.written.as_slice() {
        [] => spec.tag.clone(),
        written => written.join(" and "),
    };
    if !ui.quiet {
        writeln!(
            err,
            "tagman: {} {changes} reference(s) in {} file(s) to {}:{to}; {} already there, {} left alone",
            if args.dry_run { "would move" } else { "moved" },
            plan.edits.iter().filter(|e| !e.changes.is_empty()).count(),
            spec.name,
            plan.already,
            plan.skipped.len()
        )?;
    }
    Ok((Outcome::Clean, plan))
}

/// Unreadable archive members are printed after the findings and fail the run (exit 1); paths
/// the walk could not read and archives that broke a budget end it with exit 2.
pub(crate) fn walk_errors(scan: Scan, ui: &Ui) -> Result<(), CliError> {
    for warning in &scan.walked.warnings {
        ui.warn(warning);
    }
    let mut errors = scan.walked.errors;
    let Some(last) = errors.pop() else {
        return Ok(());
    };
    for e in errors {
        ui.error(e.into());
    }
    Err(last.into())
}
