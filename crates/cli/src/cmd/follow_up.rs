//! `tagman refs --bump NAME=TAG --commit` and `--bump-superseded [--commit]`: the proposal's
//! follow-up review. Moves the references, then commits them in each git work tree they are
//! in, with a message naming the manifest change that declared each new tag (read from the
//! manifests' history, once) and carrying its references, and the Change-Id Gerrit's hook
//! would add. `refs` dispatches here; the bump itself is `refs`' own.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use tagman_core::Policy;
use tagman_git::follow_up::{self, Moved};
use tagman_git::{ManifestHistory, Repo};
use tagman_refs::{BumpSpec, Catalog, Role, Scan, WriteScope};

use crate::cli::Global;
use crate::cmd::refs::{
    load_manifests, note_stats, run_bump, superseded_pairs, walk_errors, RefsArgs,
};
use crate::error::CliError;
use crate::output::Ui;
use crate::Outcome;

/// What each target's bump did, by target: the tags it wrote and the package rules it taught
/// to fill in the codename.
#[derive(Default)]
struct Done {
    written: Vec<Vec<String>>,
    fills: Vec<Vec<tagman_refs::debian_rules::RulesFill>>,
}

/// The manifests, their catalog (with the history's superseded tags) and the history itself.
struct Declared {
    manifests: Vec<tagman_core::Manifest>,
    catalog: Catalog,
    /// The manifests' repository and its history, when they are in one.
    history: Option<(Repo, ManifestHistory)>,
}

/// Runs the follow-up: bump (one image, or every superseded reference), then commit.
pub fn run(args: &RefsArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let spec = args.bump.as_deref().map(BumpSpec::parse).transpose()?;
    let declared = load(args, &policy, ui)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if args.commit {
        for repo in work_trees(&paths)? {
            repo.require_clean()?;
        }
    }
    let codenames = tagman_refs::expansion_codenames(&policy, &declared.catalog);
    let scope = WriteScope::new(&paths, args.follow_symlinks);
    let targets = match spec {
        Some(spec) => vec![spec.resolve(&declared.catalog)?],
        None => {
            let scan = scan(args, &paths, &policy, &declared, ui)?;
            let targets = superseded_targets(&scan, &declared.catalog, &codenames, ui)?;
            walk_errors(scan, ui)?;
            targets
        }
    };
    if targets.is_empty() {
        ui.status("no superseded reference to move");
    }
    let mut outcome = Outcome::Clean;
    let mut edited: Vec<(PathBuf, usize)> = Vec::new();
    let mut done = Done::default();
    for (i, target) in targets.iter().enumerate() {
        // Each bump sees the files as the previous one left them.
        let scan = scan(args, &paths, &policy, &declared, ui)?;
        let (moved, plan) = run_bump(
            args,
            &scan,
            target,
            &declared.catalog,
            &codenames,
            &scope,
            ui,
        )?;
        walk_errors(scan, ui)?;
        if moved == Outcome::Failed && args.bump.is_some() {
            outcome = Outcome::Failed;
        }
        edited.extend(plan.edits.iter().map(|e| (e.path.clone(), i)));
        for fill in &plan.fills {
            ui.status(format_args!(
                "{}: now fills in @OS_CODENAME@ in {} (shipped on every codename)",
                fill.label,
                fill.files.join(", ")
            ));
        }
        done.written.push(plan.written);
        done.fills.push(plan.fills);
    }
    if args.commit {
        let declared = (&declared, codenames.as_slice());
        commit(args, (&targets, &done), &edited, declared, ui)?;
    }
    Ok(outcome)
}

fn load(args: &RefsArgs, policy: &Policy, ui: &Ui) -> Result<Declared, CliError> {
    let (files, manifests) = load_manifests(args, policy, ui)?;
    let mut catalog = Catalog::new(&manifests);
    let history = if args.no_history {
        None
    } else {
        read_history(&files, policy, ui)?
    };
    if let Some((_, read)) = &history {
        catalog.set_history(superseded_pairs(read), read.commits);
    }
    Ok(Declared {
        manifests,
        catalog,
        history,
    })
}

/// The manifests' history, read once: it gives the superseded tags and the declaring changes.
fn read_history(
    files: &[PathBuf],
    policy: &Policy,
    ui: &Ui,
) -> Result<Option<(Repo, ManifestHistory)>, CliError> {
    let Some(dir) = files.first().map(|f| parent_dir(f)) else {
        return Ok(None);
    };
    let Ok(repo) = Repo::discover(&dir) else {
        ui.warn("the manifests are not in a git repository: no declaring change to name, no superseded tag to move");
        return Ok(None);
    };
    let read = repo.manifest_history(files, policy)?;
    ui.note(format_args!(
        "history of the manifests in {}: {} commit(s), {} tag(s) ever declared",
        repo.root().display(),
        read.commits,
        read.tags.len()
    ));
    Ok(Some((repo, read)))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn scan(
    args: &RefsArgs,
    paths: &[PathBuf],
    policy: &Policy,
    declared: &Declared,
    ui: &Ui,
) -> Result<Scan, CliError> {
    let started = std::time::Instant::now();
    let scan = tagman_refs::scan(paths, policy, &declared.manifests, args.walk_options())?;
    note_stats(ui, &scan, started);
    Ok(scan)
}

/// The distinct git work trees holding `paths`.
fn work_trees(paths: &[PathBuf]) -> Result<Vec<Repo>, CliError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for path in paths {
        let dir = if path.is_dir() {
            path.clone()
        } else {
            parent_dir(path)
        };
        let repo = Repo::discover(&dir)?;
        if seen.insert(repo.root().to_path_buf()) {
            out.push(repo);
        }
    }
    Ok(out)
}

/// What TM205 reports, as bumps: each image with a pulled tag an earlier revision declared, to
/// the declared tag `Catalog::successor` picks for it. An image whose superseded references
/// lead to different tags (one per codename) is left alone, and said so: one bump moves every
/// reference of an image to one tag.
fn superseded_targets(
    scan: &Scan,
    catalog: &Catalog,
    codenames: &[String],
    ui: &Ui,
) -> Result<Vec<BumpSpec>, CliError> {
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let pulls = scan
        .walked
        .files
        .iter()
        .zip(&scan.build_input)
        .filter(|(_, input)| !**input)
        .flat_map(|(f, _)| f.extracted.refs.iter())
        .filter(|r| r.role == Role::Pull && r.digest.is_none());
    for reference in pulls {
        let Some(tag) = reference.tag.as_ref().filter(|t| t.placeholders.is_empty()) else {
            continue;
        };
        let name = &reference.name;
        if catalog.find(name, &tag.text).is_some() || catalog.superseded(name, &tag.text).is_none()
        {
            continue;
        }
        match catalog.successor(name, &tag.text, codenames) {
            Some(now) => {
                wanted.entry(name.to_string()).or_default().insert(now.tag.clone());
            }
            None => ui.warn(format_args!(
                "left alone: {name}:{} is superseded and no manifest declares a tag for {name} today",
                tag.text
            )),
        }
    }
    let mut targets = Vec::new();
    for (name, tags) in wanted {
        if tags.len() > 1 {
            ui.warn(format_args!(
                "left alone: the superseded references to {name} lead to {} tags ({}); move them with one --bump per codename",
                tags.len(),
                tags.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        if let Some(tag) = tags.into_iter().next() {
            targets.push(BumpSpec::parse(&format!("{name}={tag}"))?);
        }
    }
    Ok(targets)
}

/// One commit per work tree holding edited files, each listing the images it moved.
fn commit(
    args: &RefsArgs,
    (targets, done): (&[BumpSpec], &Done),
    edited: &[(PathBuf, usize)],
    declared: (&Declared, &[String]),
    ui: &Ui,
) -> Result<(), CliError> {
    let mut by_tree: BTreeMap<PathBuf, (Repo, Vec<PathBuf>, BTreeSet<usize>)> = BTreeMap::new();
    for (path, target) in edited {
        let repo = Repo::discover(&parent_dir(path))?;
        let entry = by_tree
            .entry(repo.root().to_path_buf())
            .or_insert_with(|| (repo, Vec::new(), BTreeSet::new()));
        if !entry.1.contains(path) {
            entry.1.push(path.clone());
        }
        entry.2.insert(*target);
    }
    let mut out = std::io::stdout().lock();
    for (root, (repo, files, moved)) in by_tree {
        let notes: Vec<String> = moved
            .iter()
            .filter_map(|i| done.fills.get(*i))
            .flatten()
            .map(fill_note)
            .collect();
        let moved = moved
            .into_iter()
            .filter_map(|i| Some((targets.get(i)?, done.written.get(i)?)))
            .map(|(t, written)| moved_image(t, written, declared))
            .collect::<Result<Vec<_>, _>>()?;
        let message = follow_up::message(&moved, &notes);
        if args.dry_run {
            let prepared = repo.prepare_commit(&message)?;
            writeln!(
                out,
                "# would commit in {} ({} file(s)) as {}:\n{}",
                root.display(),
                files.len(),
                prepared.committer,
                prepared.message
            )?;
            continue;
        }
        let (prepared, committed) = repo.commit_files(&files, &message)?;
        ui.note(format_args!("commit message:\n{}", prepared.message));
        // Through the Ui, as every status line: a directory's name reaches the terminal escaped.
        ui.status(format_args!(
            "committed {} in {}: {} ({})",
            &committed.id[..committed.id.len().min(12)],
            root.display(),
            message.lines().next().unwrap_or_default(),
            committed.files.join(", ")
        ));
    }
    Ok(())
}

/// The image `target` moved to the tags it `written`, each declared tag they stand for (the
/// placeholder form stands for one per codename) with the change that declared it.
fn moved_image(
    target: &BumpSpec,
    written: &[String],
    (declared, codenames): (&Declared, &[String]),
) -> Result<Moved, CliError> {
    let name = target.name.to_string();
    let mut tags: Vec<String> = Vec::new();
    for tag in written {
        if tag.contains(tagman_refs::extract::CODENAME_PLACEHOLDER) {
            let each = codenames
                .iter()
                .map(|c| tag.replace(tagman_refs::extract::CODENAME_PLACEHOLDER, c))
                .filter(|t| declared.catalog.find(&target.name, t).is_some());
            tags.extend(each);
        } else {
            tags.push(tag.clone());
        }
    }
    if tags.is_empty() {
        tags.push(target.tag.clone());
    }
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        let by = match &declared.history {
            Some((repo, read)) => follow_up::declaring_change(repo, read, &name, &tag)?,
            None => None,
        };
        out.push((tag, by));
    }
    Ok(Moved {
        name,
        tag: match written {
            [] => target.tag.clone(),
            _ => written.join(" and "),
        },
        declared: out,
    })
}

/// The commit message's paragraph for a package rules file the bump edited.
fn fill_note(fill: &tagman_refs::debian_rules::RulesFill) -> String {
    format!(
        "The package's {} now fills in @OS_CODENAME@ in {} when it is built, as each codename's build needs its own tag there.",
        fill.label,
        fill.files.join(", ")
    )
}
