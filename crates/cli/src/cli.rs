//! Command-line arguments (clap): global options and the subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cmd;

/// tagman keeps the container images a release references pinned to tags that never move.
///
/// It checks tag manifests (image-tags.yaml) before they merge, and applies them to the
/// registry after.
#[derive(Debug, Parser)]
#[command(
    name = "tagman",
    version,
    about,
    long_about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Policy file (default: tagman.yaml in the working directory or the nearest parent).
    #[arg(long, global = true, value_name = "PATH", env = "TAGMAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// When to colour output (NO_COLOR in the environment also turns it off).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only diagnostics, no summary line.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what is being done.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Findings listed per file before the rest are only counted (overrides the policy's
    /// `max_findings`, default 1000; 0: no limit).
    #[arg(long, global = true, value_name = "N")]
    pub max_findings: Option<usize>,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl Command {
    /// The output format the command was asked for, when it prints a report or a document.
    pub fn format(&self) -> Option<crate::output::Format> {
        use crate::output::Format;
        match self {
            Self::Lint(args) => Some(args.format),
            Self::Refs(args) => match args.format {
                cmd::refs::RefsFormat::Json => Some(Format::Json),
                cmd::refs::RefsFormat::Zuul => Some(Format::Zuul),
                cmd::refs::RefsFormat::Sarif => Some(Format::Sarif),
                _ => None,
            },
            Self::Status(args) => {
                (args.format == cmd::status::StatusFormat::Json).then_some(Format::Json)
            }
            Self::CommitMsg(args) => Some(args.format),
            Self::Add(args) => Some(args.format),
            Self::Diff(args) => {
                (args.format == cmd::diff::DiffFormat::Json).then_some(Format::Json)
            }
            _ => None,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check tag manifests: structure, tag and build-tag grammar, src_ref, duplicates.
    Lint(cmd::lint::LintArgs),
    /// Find floating, undeclared and build-tag references to managed images in a tree; --bump moves them.
    Refs(cmd::refs::RefsArgs),
    /// Print a JSON Schema (the manifest's, or the policy file's with --policy).
    Schema(cmd::schema::SchemaArgs),
    /// List every rule with its code, name and default severity.
    Rules(cmd::rules::RulesArgs),
    /// commit-msg hook: the message must carry a Launchpad/StoryBoard reference when entries change.
    CommitMsg(cmd::commit_msg::CommitMsgArgs),
    /// List entries added, re-pointed, removed or moved since a revision.
    Diff(cmd::diff::DiffArgs),
    /// Print what a change Zuul's merger prepared is judged against: the prepared HEAD without it.
    ChangeBase(cmd::change_base::ChangeBaseArgs),
    /// Print the release tag for an upstream commit (git describe in a local clone).
    Suggest(cmd::suggest::SuggestArgs),
    /// Append an entry to a manifest, keeping its layout byte for byte, when lint finds no error in it.
    Add(cmd::add::AddArgs),
    /// Retag in the registry: each entry's tag made to point at its source build; never overwrites a published tag.
    Apply(cmd::apply::ApplyArgs),
    /// What is published, read only: per entry, whether its tag exists, points at the source build, or drifted.
    Status(cmd::status::StatusArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::CompletionsArgs),
    /// Print the manual page (roff), or write every page with --out-dir.
    Man(cmd::man::ManArgs),
}
