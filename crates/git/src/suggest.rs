//! `tagman suggest`: the release tag for an upstream commit, from `git describe --tags`.
//!
//! The proposal's manual step ("run `git describe --tags` in a clone of the upstream repo") done
//! the same way every time: `v0.11.0-103-g4f28657` under release `4.0` becomes
//! `stx.4.0-v0.11.0-103-g4f28657`, then the tag grammar decides whether it is acceptable.

use tagman_core::tag::{parse_release_tag, TagProblem};

use crate::error::GitError;
use crate::repo::Repo;

/// The release tag for `describe` (the output of `git describe --tags`), under release `X.Y`
/// with an optional OS codename suffix, checked against the release-tag grammar.
pub fn tag_from_describe(
    describe: &str,
    release: &str,
    codename: Option<&str>,
    codenames: &[String],
) -> Result<String, GitError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !release
        .split_once('.')
        .is_some_and(|(a, b)| digits(a) && digits(b))
    {
        return Err(GitError::BadRelease {
            release: release.to_owned(),
        });
    }
    if let Some(codename) = codename.filter(|c| !codenames.iter().any(|k| k == c)) {
        return Err(GitError::UnknownCodename {
            codename: codename.to_owned(),
            allowed: codenames.to_vec(),
        });
    }
    let version = describe.strip_prefix('v').unwrap_or(describe);
    let mut tag = format!("stx.{release}-v{version}");
    if let Some(codename) = codename {
        tag.push('-');
        tag.push_str(codename);
    }
    match parse_release_tag(&tag, codenames) {
        Ok(_) => Ok(tag),
        Err(problem) => Err(GitError::NotATag {
            described: describe.to_owned(),
            tag,
            problem: explain(&problem),
        }),
    }
}

fn explain(problem: &TagProblem) -> String {
    match problem {
        TagProblem::NotOci { reason, .. } => reason.clone(),
        TagProblem::Floating => "it is a floating tag".to_owned(),
        TagProblem::UpperCase { .. } => "it has upper-case letters".to_owned(),
        TagProblem::BadRelease { .. } => "the release is not MAJOR.MINOR".to_owned(),
        TagProblem::BadVersion { .. } | TagProblem::BadSeparator { .. } => {
            "the upstream tag is not a dotted version".to_owned()
        }
        TagProblem::BadSuffix { part, .. } => {
            format!("`{part}` is neither a commit count, a `g<hash>` nor an allowed codename")
        }
        _ => "it breaks the release-tag grammar".to_owned(),
    }
}

/// Describes `commit` in `upstream` and turns it into a release tag.
pub fn suggest(
    upstream: &Repo,
    commit: &str,
    release: &str,
    codename: Option<&str>,
    codenames: &[String],
) -> Result<String, GitError> {
    let described = upstream.describe(commit)?;
    tag_from_describe(&described, release, codename, codenames)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codenames() -> Vec<String> {
        vec!["bullseye".to_owned(), "trixie".to_owned()]
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
            (
                "v0.11.0-103-g4f28657",
                "4.0",
                None,
                Some("stx.4.0-v0.11.0-103-g4f28657"),
            ),
            ("v2.2", "4.0", None, Some("stx.4.0-v2.2")),
            (
                "1.5.18",
                "10.0",
                Some("trixie"),
                Some("stx.10.0-v1.5.18-trixie"),
            ),
            (
                "v1.0-3-gdeadbee",
                "13.0",
                Some("bullseye"),
                Some("stx.13.0-v1.0-3-gdeadbee-bullseye"),
            ),
            ("sriov-cni-v2.2", "4.0", None, None),
            ("v2.2", "4", None, None),
            ("v2.2", "4.0", Some("jessie"), None),
        ];
        for (described, release, codename, want) in cases {
            let got = tag_from_describe(described, release, *codename, &codenames()).ok();
            assert_eq!(got.as_deref(), *want, "{described} {release} {codename:?}");
        }
    }

    /// Issue 14: every refusal said "upstream tags must look like v1.2.3; pass the tag with
    /// --tag", which `suggest` lacks, also for a bad release or codename.
    #[test]
    fn each_refusal_names_its_own_fix() {
        let help = |described: &str, release: &str, codename: Option<&str>| {
            tag_from_describe(described, release, codename, &codenames())
                .unwrap_err()
                .help()
                .unwrap()
        };
        assert!(help("v2.2", "4", None).contains("--release 10.0"));
        let codename = help("v2.2", "4.0", Some("jessie"));
        assert!(codename.contains("bullseye, trixie"), "{codename}");
        let upstream = help("sriov-cni-v2.2", "4.0", None);
        assert!(upstream.contains("tagman add … --tag TAG"), "{upstream}");
        for text in [codename, upstream] {
            assert!(!text.contains("pass the tag with --tag"), "{text}");
        }
    }
}
