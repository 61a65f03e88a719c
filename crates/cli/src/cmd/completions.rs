//! `tagman completions <SHELL>`: the shell completion script, generated from the clap definition.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::CliError;
use crate::Outcome;

/// `tagman completions <SHELL>`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tagman completions bash > ~/.local/share/bash-completion/completions/tagman\n  tagman completions zsh > ~/.zfunc/_tagman\n  tagman completions fish > ~/.config/fish/completions/tagman.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the script to stdout.
pub fn run(args: &CompletionsArgs) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &script(args.shell))?;
    Ok(Outcome::Clean)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "tagman", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_script_parses_and_knows_the_subcommands_and_formats() {
        let text = String::from_utf8(script(Shell::Bash)).unwrap();
        for word in [
            "lint",
            "commit-msg",
            "apply",
            "completions",
            "man",
            "zuul",
            "sarif",
        ] {
            assert!(text.contains(word), "{word} missing");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tagman.bash");
        std::fs::write(&path, &text).unwrap();
        let status = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Each shell gets its own script: the line that hooks it into that shell (what
    /// clap_complete's generator for it writes), and none of another shell's, offering every
    /// subcommand.
    #[test]
    fn every_shell_gets_a_script() {
        let hooks = [
            (Shell::Bash, "complete -F _tagman"),
            (Shell::Zsh, "#compdef tagman"),
            (Shell::Fish, "complete -c tagman"),
            (Shell::Elvish, "edit:completion:arg-completer[tagman]"),
            (
                Shell::PowerShell,
                "Register-ArgumentCompleter -Native -CommandName 'tagman'",
            ),
        ];
        let subcommands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        assert!(subcommands.len() >= 10, "{subcommands:?}");
        for (shell, hook) in hooks {
            let text = String::from_utf8(script(shell)).unwrap();
            assert!(text.contains(hook), "{shell}: no `{hook}`");
            for (other, other_hook) in hooks {
                assert!(
                    other == shell || !text.contains(other_hook),
                    "{shell}'s script holds {other}'s `{other_hook}`"
                );
            }
            for name in &subcommands {
                assert!(text.contains(name.as_str()), "{shell}: no `{name}`");
            }
        }
    }
}
