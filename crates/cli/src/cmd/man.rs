//! `tagman man`: manual pages (roff), generated from the clap definition so they never drift
//! from `--help`, with the sections a manual page has and `--help` does not (EXIT STATUS,
//! ENVIRONMENT, FILES, EXAMPLES), written once per command in [`notes`].

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
    let pages = pages()?;
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            // Each page through the one safe write.
            for (file, text) in &pages {
                tagman_core::write_file(&dir.join(file), text)?;
            }
        }
        None => {
            if let Some((_, text)) = pages.iter().find(|(file, _)| file == "tagman.1") {
                std::io::Write::write_all(&mut std::io::stdout().lock(), text)?;
            }
        }
    }
    Ok(Outcome::Clean)
}

/// Every page: `(file name, roff)`, `tagman.1` and one per visible subcommand.
pub fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(page(sub.clone(), sub.get_name())?);
    }
    pages.push(page(root.clone(), "tagman")?);
    Ok(pages)
}

/// One page: clap_mangen's sections, then this command's notes before VERSION. The `after_help`
/// examples of `--help` move into EXAMPLES.
fn page(command: clap::Command, key: &str) -> std::io::Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(command.after_help(None::<&str>));
    let file = man.get_filename();
    let mut text = Vec::new();
    man.render(&mut text)?;
    let extra = notes::sections(key);
    let at = find(&text, b"\n.SH VERSION").map_or(text.len(), |i| i + 1);
    text.splice(at..at, extra.into_bytes());
    Ok((file, text))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The manual-only sections of each page, as data.
mod notes {
    /// A term and what it means (`0`, "no errors").
    type Items = &'static [(&'static str, &'static str)];

    const EXIT_COMMON: Items = &[
        ("0", "success"),
        (
            "2",
            "a usage, I/O or configuration error (a bad option, an unreadable file, an invalid tagman.yaml)",
        ),
    ];

    const ENV_COMMON: Items = &[
        ("TAGMAN_CONFIG", "the policy file, as --config"),
        (
            "NO_COLOR",
            "when set and not empty, no colour (as --color never)",
        ),
        (
            "COLUMNS",
            "the width human output wraps at when stdout is no terminal",
        ),
    ];

    const FILES_POLICY: Items = &[(
        "tagman.yaml",
        "the policy, looked for in the working directory and its parents (see tagman schema --policy)",
    )];

    const FILES_MANIFESTS: Items = &[
        (
            "tagman.yaml",
            "the policy, looked for in the working directory and its parents (see tagman schema --policy)",
        ),
        (
            "**/image-tags*.yaml",
            "the tag manifests checked when none are named (the policy's manifests globs, relative to tagman.yaml)",
        ),
    ];

    /// EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES for the page of `key` (a subcommand's name, or
    /// `tagman`), as roff.
    pub fn sections(key: &str) -> String {
        let (exit, env, files, examples) = of(key);
        let mut out = String::new();
        section(&mut out, "EXIT STATUS", exit);
        let env: Vec<_> = ENV_COMMON.iter().chain(env.iter()).copied().collect();
        section(&mut out, "ENVIRONMENT", &env);
        section(&mut out, "FILES", files);
        section(&mut out, "EXAMPLES", examples);
        out
    }

    /// The sections of `tagman apply`.
    const APPLY: Sections = (
        &[
            ("0", "every entry created, unchanged or forced"),
            (
                "1",
                "lint errors, or a conflict, source-missing or failed entry",
            ),
            ("2", "a usage, I/O or configuration error"),
        ],
        &[
            (
                "DOCKER_CONFIG",
                "the directory of config.json, the credentials looked at after --auth-file",
            ),
            ("HOME", "~/.docker/config.json, when DOCKER_CONFIG is unset"),
        ],
        &[
            (
                "tagman.yaml",
                "the policy, looked for in the working directory and its parents",
            ),
            (
                "**/image-tags*.yaml",
                "the manifests applied when none are named",
            ),
            (
                "$DOCKER_CONFIG/config.json, ~/.docker/config.json",
                "registry credentials (auths, credHelpers, credsStore)",
            ),
        ],
        &[
            (
                "tagman apply --dry-run image-tags.yaml",
                "what would be created, left unchanged or refused, with HEAD requests only",
            ),
            (
                "tagman apply --changed-since HEAD~1 --auth-file ci-auth.json",
                "what a post-merge promote job runs",
            ),
        ],
    );

    /// The sections of `tagman status`.
    const STATUS: Sections = (
        &[
            ("0", "no tag drifted (missing tags and missing sources are reported, not failures)"),
            ("1", "lint errors, a drifted tag (it points elsewhere than its source build), or a registry that could not be asked"),
            ("2", "a usage, I/O or configuration error"),
        ],
        &[
            ("DOCKER_CONFIG", "the directory of config.json, the credentials looked at after --auth-file"),
            ("HOME", "~/.docker/config.json, when DOCKER_CONFIG is unset"),
        ],
        &[
            ("tagman.yaml", "the policy, looked for in the working directory and its parents"),
            ("**/image-tags*.yaml", "the manifests checked when none are named"),
            ("$DOCKER_CONFIG/config.json, ~/.docker/config.json", "registry credentials (auths, credHelpers, credsStore)"),
        ],
        &[
            ("tagman status image-tags.yaml", "the audit of a release: published, missing or drifted, per entry"),
            ("tagman status --format markdown --report status.json", "a table for a report, and the JSON beside it"),
        ],
    );

    /// EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES of one page.
    type Sections = (Items, Items, Items, Items);

    const LINT: Sections = (
        &[
            ("0", "no errors (warnings allowed, unless --deny-warnings)"),
            ("1", "errors found, or warnings with --deny-warnings"),
            ("2", "a usage, I/O or configuration error (an unreadable file, an invalid tagman.yaml, no manifest found, a revision git does not know)"),
        ],
        &[],
        FILES_MANIFESTS,
        &[
            ("tagman lint", "the manifests the policy finds; inside a git work tree compared with HEAD, so a re-pointed published tag (TM106) fails before the commit"),
            ("tagman lint --no-base image-tags.yaml", "one file on its own, every entry held to the policy's release"),
            ("tagman lint --commit HEAD --src-repos ../clones", "what a CI job runs on the change under review: the commit's manifests against its parent, and its message"),
            ("tagman lint --base origin/master --commit-msg-file msg.txt --format zuul", "a change and its message, as inline review comments"),
        ],
    );

    const REFS: Sections = (
        &[
            ("0", "no errors (warnings allowed, unless --deny-warnings)"),
            (
                "1",
                "errors found; with --bump, nothing references the image",
            ),
            (
                "2",
                "a usage, I/O or configuration error, or a --bump tag no manifest declares",
            ),
        ],
        &[],
        FILES_MANIFESTS,
        &[
            (
                "tagman refs",
                "references to managed images in the working directory",
            ),
            (
                "tagman refs --inventory --format markdown release.iso",
                "every image the packages on an installer ISO reference, as a table",
            ),
            (
                "tagman refs --bump docker.io/starlingx/dex=stx.9.0-v2.40.0 --dry-run",
                "the unified diff a bump would make",
            ),
        ],
    );

    const ADD: Sections = (
        &[
            ("0", "the entry was added (or, with --dry-run, would be) and the file lints clean"),
            ("1", "the entry was refused because lint finds errors in it (nothing is written), or errors remain elsewhere in the file"),
            ("2", "a usage or I/O error, or the image and tag are already listed"),
        ],
        &[],
        FILES_POLICY,
        &[
            ("tagman add image-tags.yaml --name docker.io/starlingx/rvmc --src-build-tag master-debian-stable-20241127T050100Z.0 --src-ref https://opendev.org/starlingx/utilities/commit/d1b4d9c18ae6c017ee33f5f80e8f10215c2657f2 --tag stx.10.0-v1.0.3", "append one entry"),
            ("tagman add image-tags.yaml … --upstream ../sriov-cni --commit 4f28657 --dry-run", "the tag made with git describe, and the diff, nothing written"),
        ],
    );

    const COMMIT_MSG: Sections = (
        &[
            ("0", "the message is fine (warnings allowed)"),
            ("1", "errors found (a required reference is missing or malformed)"),
            ("2", "a usage or I/O error"),
        ],
        &[("GIT_INDEX_FILE", "the index git hands the hook (git commit -a, git commit PATH); what is staged is read from it")],
        &[
            ("tagman.yaml", "the policy, looked for in the working directory and its parents"),
            (".git/COMMIT_EDITMSG", "the message git hands the commit-msg hook"),
        ],
        &[("tagman commit-msg .git/COMMIT_EDITMSG", "what the commit-msg hook runs")],
    );

    const DIFF: Sections = (
        EXIT_COMMON,
        &[],
        FILES_MANIFESTS,
        &[(
            "tagman diff --base HEAD~1 --format json",
            "entries added, re-pointed, removed or moved by the last commit",
        )],
    );

    const SUGGEST: Sections = (
        EXIT_COMMON,
        &[],
        FILES_POLICY,
        &[(
            "tagman suggest --upstream ../sriov-cni --commit 4f28657 --release 4.0",
            "prints e.g. stx.4.0-v0.11.0-103-g4f28657",
        )],
    );

    const CHANGE_BASE: Sections = (
        EXIT_COMMON,
        &[],
        &[],
        &[(
            "tagman lint --base \"$(tagman change-base \"$ZUUL_COMMIT\")\"",
            "lint a change Zuul prepared against the prepared HEAD without it",
        )],
    );

    const SCHEMA: Sections = (
        EXIT_COMMON,
        &[],
        &[],
        &[(
            "tagman schema > .image-tags.schema.json",
            "a local copy for editors",
        )],
    );

    const RULES: Sections = (
        EXIT_COMMON,
        &[],
        &[],
        &[(
            "tagman rules --explain TM004",
            "what a rule checks, why, an example and the fix",
        )],
    );

    const COMPLETIONS: Sections = (
        EXIT_COMMON,
        &[],
        &[],
        &[
            (
                "tagman completions bash > ~/.local/share/bash-completion/completions/tagman",
                "bash",
            ),
            ("tagman completions zsh > ~/.zfunc/_tagman", "zsh"),
            (
                "tagman completions fish > ~/.config/fish/completions/tagman.fish",
                "fish",
            ),
        ],
    );

    const MAN: Sections = (
        EXIT_COMMON,
        &[],
        &[],
        &[
            ("tagman man | man -l -", "read this page"),
            (
                "tagman man --out-dir /usr/local/share/man/man1",
                "install every page",
            ),
        ],
    );

    const OTHER: Sections = (
        &[
            ("0", "success: no errors found, every entry applied"),
            (
                "1",
                "findings (errors, or warnings with --deny-warnings) or failed entries",
            ),
            ("2", "a usage, I/O or configuration error"),
        ],
        &[],
        FILES_MANIFESTS,
        &[
            (
                "tagman lint",
                "check the manifests (against HEAD inside a git work tree)",
            ),
            (
                "tagman apply --dry-run image-tags.yaml",
                "what apply would do in the registry",
            ),
            (
                "tagman man --out-dir /usr/local/share/man/man1",
                "a page per command: tagman-lint(1), tagman-apply(1), …",
            ),
        ],
    );

    fn of(key: &str) -> Sections {
        match key {
            "lint" => LINT,
            "refs" => REFS,
            "apply" => APPLY,
            "status" => STATUS,
            "add" => ADD,
            "commit-msg" => COMMIT_MSG,
            "diff" => DIFF,
            "suggest" => SUGGEST,
            "change-base" => CHANGE_BASE,
            "schema" => SCHEMA,
            "rules" => RULES,
            "completions" => COMPLETIONS,
            "man" => MAN,
            _ => OTHER,
        }
    }

    fn section(out: &mut String, title: &str, items: &[(&str, &str)]) {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!(".SH \"{title}\"\n"));
        for (term, text) in items {
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                escape(term),
                escape(text)
            ));
        }
    }

    /// Text roff prints as written: backslashes and hyphens escaped, and no line starting with a
    /// control character.
    pub(super) fn escape(text: &str) -> String {
        let escaped = text.replace('\\', "\\e").replace('-', "\\-");
        if escaped.starts_with(['.', '\'']) {
            format!("\\&{escaped}")
        } else {
            escaped
        }
    }
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

    /// Issue 14: every page has EXIT STATUS, ENVIRONMENT, FILES (where the command reads one)
    /// and EXAMPLES, before VERSION.
    #[test]
    fn every_page_has_the_manual_sections() {
        let pages = pages().unwrap();
        assert!(pages.len() > 10, "{}", pages.len());
        for (file, text) in &pages {
            let text = String::from_utf8(text.clone()).unwrap();
            let at = |title: &str| {
                text.find(&format!(".SH \"{title}\"\n"))
                    .unwrap_or_else(|| panic!("{file} has no {title}"))
            };
            let (exit, env, examples) = (at("EXIT STATUS"), at("ENVIRONMENT"), at("EXAMPLES"));
            assert!(exit < env && env < examples, "{file}");
            assert!(examples < text.find(".SH VERSION").unwrap(), "{file}");
            assert!(
                !text.contains(".SH EXTRA"),
                "{file}: after_help went to EXAMPLES"
            );
            assert!(text.contains("TAGMAN_CONFIG"), "{file}");
        }
        let page = |name: &str| {
            let text = &pages.iter().find(|(f, _)| f == name).unwrap().1;
            String::from_utf8(text.clone()).unwrap()
        };
        for name in [
            "tagman",
            "lint",
            "refs",
            "apply",
            "add",
            "commit-msg",
            "diff",
            "suggest",
        ] {
            let file = match name {
                "tagman" => "tagman.1".to_owned(),
                _ => format!("tagman-{name}.1"),
            };
            assert!(page(&file).contains(".SH \"FILES\"\n"), "{file}");
        }
        let lint = page("tagman-lint.1");
        assert!(lint.contains("\\-\\-deny\\-warnings"));
        assert!(lint.contains("\\fBtagman lint \\-\\-commit HEAD"));
        assert!(page("tagman-apply.1").contains("DOCKER_CONFIG"));
        assert!(page("tagman-commit-msg.1").contains("GIT_INDEX_FILE"));
        assert!(page("tagman-man.1").contains("\\fBtagman man | man \\-l \\-\\fR"));
    }

    #[test]
    fn roff_control_characters_are_escaped() {
        assert_eq!(notes::escape(".git/x"), "\\&.git/x");
        assert_eq!(notes::escape("a\\b-c"), "a\\eb\\-c");
    }
}
