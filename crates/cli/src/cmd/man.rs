//! `tagman man`: manual pages (roff), generated from the clap definition so they never drift
//! from `--help`.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use crate::cli::Cli;
use crate::error::CliError;
use crate::Outcome;

/// `tagman man [--out-dir DIR]`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tagman man | man -l -\n  tagman man --out-dir /usr/local/share/man/man1"
)]
pub struct ManArgs {
    /// Write tagman.1 and one page per subcommand (tagman-lint.1, …) here instead of printing
    /// tagman.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints `tagman.1`, or writes every page to `--out-dir`.
pub fn run(args: &ManArgs) -> Result<Outcome, CliError> {
    let command = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            let mut command = command.disable_help_subcommand(true);
            command.build();
            write_pages(command, dir)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command).render(&mut out)?;
        }
    }
    Ok(Outcome::Clean)
}

/// Writes `command`'s page and its visible subcommands' pages (named as `clap_mangen::generate_to`
/// names them) through the one safe write.
fn write_pages(command: clap::Command, dir: &std::path::Path) -> Result<(), CliError> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir)?;
    }
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render(&mut page)?;
    tagman_core::write_file(&dir.join(man.get_filename()), &page)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_for_tagman_and_each_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        run(&ManArgs {
            out_dir: Some(dir.path().to_path_buf()),
        })
        .unwrap();
        for page in [
            "tagman.1",
            "tagman-lint.1",
            "tagman-commit-msg.1",
            "tagman-apply.1",
        ] {
            let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
            assert!(text.contains(".TH"), "{page}");
        }
        let lint = std::fs::read_to_string(dir.path().join("tagman-lint.1")).unwrap();
        assert!(lint.contains("zuul"));
    }
}
