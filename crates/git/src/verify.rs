//! `src_ref` verification against local clones (`--src-repos DIR`): the commit an entry names
//! exists in `DIR/<project>`, and was committed no later than its build tag's timestamp.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tagman_core::tag::parse_build_tag;
use tagman_core::{Entry, Manifest};

use crate::repo::Repo;

/// What verifying one entry's `src_ref` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The commit exists and is not later than the build.
    Verified,
    /// No clone of the project under the directory.
    NoClone {
        /// The project (`integ`).
        project: String,
        /// Where a clone was looked for.
        looked: PathBuf,
    },
    /// The clone does not hold the commit.
    UnknownCommit {
        /// The project.
        project: String,
        /// The commit named.
        sha: String,
    },
    /// The commit is later than the build that is said to contain it.
    AfterBuild {
        /// The commit named.
        sha: String,
        /// Its committer date, Unix seconds.
        committed: i64,
        /// The build tag's timestamp, Unix seconds.
        built: i64,
    },
}

/// Verifies entries against the clones in one directory, opening each clone once.
pub struct Verifier {
    dir: PathBuf,
    clones: HashMap<String, Option<Repo>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("dir", &self.dir).finish()
    }
}

impl Verifier {
    /// A verifier for the clones under `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            clones: HashMap::new(),
        }
    }

    /// The verdict for `entry`, or `None` when its `src_ref` is not a `…/<project>/commit/<sha>`
    /// URL (the `src-ref` rule reports that).
    pub fn verify(&mut self, entry: &Entry) -> Option<Verdict> {
        let (project, sha) = split_src_ref(&entry.src_ref.as_ref()?.value)?;
        let dir = self.dir.clone();
        let clone = self
            .clones
            .entry(project.to_owned())
            .or_insert_with(|| open_clone(&dir, project));
        let Some(repo) = clone else {
            return Some(Verdict::NoClone {
                project: project.to_owned(),
                looked: self.dir.join(project),
            });
        };
        let Ok(Some(committed)) = repo.committer_time(sha) else {
            return Some(Verdict::UnknownCommit {
                project: project.to_owned(),
                sha: sha.to_owned(),
            });
        };
        let built = entry
            .src_build_tag
            .as_ref()
            .and_then(|b| parse_build_tag(&b.value).ok())
            .map(|t| t.unix);
        Some(match built {
            Some(built) if committed > built => Verdict::AfterBuild {
                sha: sha.to_owned(),
                committed,
                built,
            },
            _ => Verdict::Verified,
        })
    }

    /// Every entry of `manifests` with its verdict.
    pub fn verify_all<'m>(
        &mut self,
        manifests: &'m [Manifest],
    ) -> Vec<(&'m Manifest, &'m Entry, Verdict)> {
        let mut out = Vec::new();
        for manifest in manifests {
            for entry in &manifest.entries {
                if let Some(verdict) = self.verify(entry) {
                    out.push((manifest, entry, verdict));
                }
            }
        }
        out
    }
}

/// `DIR/<project>`, else the bare `DIR/<project>.git`.
fn open_clone(dir: &Path, project: &str) -> Option<Repo> {
    Repo::open(&dir.join(project))
        .or_else(|_| Repo::open(&dir.join(format!("{project}.git"))))
        .ok()
}

/// `(project, sha)` of `https://host/…/<project>/commit/<sha>`.
pub fn split_src_ref(url: &str) -> Option<(&str, &str)> {
    let (repo, sha) = url.split_once("/commit/")?;
    let sha = sha.trim_end_matches('/');
    let project = repo.rsplit('/').next()?;
    let hex = (4..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit());
    (hex && !project.is_empty() && !project.contains(':')).then_some((project, sha))
}

/// `2024-11-27 05:01:00 UTC`.
pub fn format_time(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        tagman_core::tag::iso_date(unix),
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn src_ref_urls() {
        assert_eq!(
            split_src_ref("https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4"),
            Some(("integ", "dac417bd31ed36d455e94db4aabe5916367654d4"))
        );
        assert_eq!(split_src_ref("https://opendev.org/starlingx/integ"), None);
        assert_eq!(
            split_src_ref("https://opendev.org/starlingx/integ/commit/xyz"),
            None
        );
    }

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_732_683_660), "2024-11-27 05:01:00 UTC");
    }
}
