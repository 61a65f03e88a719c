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

/// What `suggest` made: the tag, and the upstream tag it described the commit from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The release tag.
    pub tag: String,
    /// The description (`v0.11.0-103-g4f28657`).
    pub described: String,
    /// The upstream tag it starts from.
    pub base: String,
    /// Commits between that tag and the commit.
    pub distance: usize,
}

/// Which upstream tags may describe a commit.
#[derive(Clone, Debug)]
pub enum TagFilter {
    /// Version-like tags only (`v1.2.3`, `1.2.3`): branch markers such as `vf/…` are not.
    VersionLike,
    /// Tags matching a glob, as `git describe --match` reads it (`*` crosses `/`).
    Match(globset::GlobMatcher),
}

impl TagFilter {
    /// The filter for `--match GLOB`, or the version-like default.
    pub fn new(pattern: Option<&str>) -> Result<Self, GitError> {
        let Some(pattern) = pattern else {
            return Ok(Self::VersionLike);
        };
        let glob = globset::Glob::new(pattern).map_err(|e| GitError::BadMatch {
            pattern: pattern.to_owned(),
            reason: e.kind().to_string(),
        })?;
        Ok(Self::Match(glob.compile_matcher()))
    }

    fn allows(&self, tag: &str) -> bool {
        match self {
            Self::VersionLike => is_version_like(tag),
            Self::Match(glob) => glob.is_match(tag),
        }
    }
}

/// `v1.2.3` or `1.2.3`: an optional `v`, then two or more dot-separated numbers.
pub fn is_version_like(tag: &str) -> bool {
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `git describe --tags` of `commit` over the tags `filter` allows: the nearest such tag that
/// is an ancestor (fewest commits after it; on a tie the newer tagged commit), then
/// `-<count>-g<abbreviated id>` unless the commit is the tag's.
pub fn describe(
    upstream: &Repo,
    commit: &str,
    filter: &TagFilter,
) -> Result<(String, String, usize), GitError> {
    let repo = upstream.git();
    let target = repo
        .revparse_single(commit)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| GitError::UnknownRevision {
            rev: commit.to_owned(),
            message: e.message().to_owned(),
        })?;
    let names = repo
        .tag_names(None)
        .map_err(crate::error::git("listing tags"))?;
    let mut best: Option<(usize, i64, String)> = None;
    let allowed = names.iter().filter_map(|n| n.ok().flatten());
    for name in allowed.filter(|n| filter.allows(n)) {
        let Ok(tagged) = repo
            .revparse_single(&format!("refs/tags/{name}"))
            .and_then(|o| o.peel_to_commit())
        else {
            continue;
        };
        let reachable = tagged.id() == target.id()
            || repo
                .graph_descendant_of(target.id(), tagged.id())
                .unwrap_or(false);
        if !reachable {
            continue;
        }
        let distance = commits_between(repo, tagged.id(), target.id())?;
        let time = tagged.time().seconds();
        let better = best
            .as_ref()
            .is_none_or(|(d, t, _)| distance < *d || (distance == *d && time > *t));
        if better {
            best = Some((distance, time, name.to_owned()));
        }
    }
    let Some((distance, _, base)) = best else {
        return Err(GitError::NoTag {
            commit: commit.to_owned(),
            repo: upstream.root().to_path_buf(),
        });
    };
    if distance == 0 {
        return Ok((base.clone(), base, 0));
    }
    let short = target
        .as_object()
        .short_id()
        .map_err(crate::error::git("abbreviating an id"))?;
    let short = short.as_str().unwrap_or_default().to_owned();
    Ok((format!("{base}-{distance}-g{short}"), base, distance))
}

/// How many commits `to` has that `from` does not (`git rev-list --count from..to`).
fn commits_between(
    repo: &git2::Repository,
    from: git2::Oid,
    to: git2::Oid,
) -> Result<usize, GitError> {
    let mut walk = repo
        .revwalk()
        .map_err(crate::error::git("counting commits"))?;
    walk.push(to)
        .map_err(crate::error::git("counting commits"))?;
    walk.hide(from)
        .map_err(crate::error::git("counting commits"))?;
    Ok(walk.count())
}

/// Describes `commit` in `upstream` from the nearest tag `filter` allows and turns it into a
/// release tag.
pub fn suggest(
    upstream: &Repo,
    commit: &str,
    filter: &TagFilter,
    release: &str,
    codename: Option<&str>,
    codenames: &[String],
) -> Result<Suggestion, GitError> {
    let (described, base, distance) = describe(upstream, commit, filter)?;
    let tag = tag_from_describe(&described, release, codename, codenames)?;
    Ok(Suggestion {
        tag,
        described,
        base,
        distance,
    })
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

    #[test]
    fn version_like_tags() {
        for tag in ["v1.2.3", "1.2.3", "2018.08.0", "v0.11"] {
            assert!(is_version_like(tag), "{tag}");
        }
        for tag in [
            "vf/antelope",
            "vr/stx.10.0",
            "v4.0.0.rc0",
            "1",
            "v",
            "1..2",
            "vtrixie",
        ] {
            assert!(!is_version_like(tag), "{tag}");
        }
    }
}
