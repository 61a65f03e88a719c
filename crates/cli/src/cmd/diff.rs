//! `tagman diff --base REV [--head REV]`: the entries added, re-pointed, removed or moved between
//! a revision and the working tree (or another revision), identified by (name, tag).

use std::io::Write;

use clap::{Args, ValueEnum};
use tagman_core::{DiffEntry, EntryDiff};

use crate::cli::Global;
use crate::error::CliError;
use crate::output::Ui;
use crate::Outcome;

/// `tagman diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The revision to compare with.
    #[arg(long, value_name = "REV")]
    pub base: String,
    /// Compare this revision instead of the working tree.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

/// `tagman diff --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One line per entry: `added  file:line  name:tag`.
    #[default]
    Human,
    /// `{"base", "head", "added": […], "changed": [{base, head}], "removed": […], "moved": […]}`.
    Json,
}

/// Prints the diff; always exits 0 (it reports, it does not judge).
pub fn run(args: &DiffArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let cwd = std::env::current_dir()?;
    let tagman_git::gate::Compared { base, head, diff } =
        tagman_git::gate::diff(&cwd, &args.base, args.head.as_deref(), &policy)?;
    for broken in base.broken().iter().chain(head.broken()) {
        ui.note(format_args!(
            "{} does not parse and is left out: {}",
            broken.source.display_name(),
            broken.message
        ));
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        DiffFormat::Json => {
            let mut value = serde_json::to_value(&diff).map_err(std::io::Error::from)?;
            if let Some(object) = value.as_object_mut() {
                object.insert("base".into(), base.label.clone().into());
                object.insert("head".into(), head.label.clone().into());
            }
            serde_json::to_writer_pretty(&mut out, &value).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        DiffFormat::Human => write_human(&mut out, &diff, ui.quiet)?,
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

fn write_human(out: &mut impl Write, diff: &EntryDiff, quiet: bool) -> std::io::Result<()> {
    let at = |e: &DiffEntry| format!("{}:{}", e.file, e.line);
    let id = |e: &DiffEntry| format!("{}:{}", e.name, e.tag);
    for e in &diff.added {
        writeln!(out, "added    {}  {}", at(e), id(e))?;
    }
    for p in &diff.changed {
        writeln!(out, "changed  {}  {}", at(&p.head), id(&p.head))?;
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
        for (field, base, head) in [
            (
                "src_build_tag",
                &p.base.src_build_tag,
                &p.head.src_build_tag,
            ),
            ("src_ref", &p.base.src_ref, &p.head.src_ref),
        ] {
            if base != head {
                writeln!(out, "           {field} {} -> {}", show(base), show(head))?;
            }
        }
    }
    for e in &diff.removed {
        writeln!(out, "removed  {}  {}", at(e), id(e))?;
    }
    for p in &diff.moved {
        writeln!(
            out,
            "moved    {} -> {}  {}",
            at(&p.base),
            at(&p.head),
            id(&p.head)
        )?;
    }
    if !quiet {
        writeln!(
            out,
            "{} added, {} changed, {} removed, {} moved",
            diff.added.len(),
            diff.changed.len(),
            diff.removed.len(),
            diff.moved.len()
        )?;
    }
    Ok(())
}
