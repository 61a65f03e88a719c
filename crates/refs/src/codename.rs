//! Which tag a file gets when a release declares one tag per OS codename.
//!
//! StarlingX builds one chart for several Debian codenames: the manifests declare
//! `stx.13.0-v1.0.12-bullseye` and `stx.13.0-v1.0.12-trixie`, and a file the package build fills
//! in writes `stx.13.0-v1.0.12-@OS_CODENAME@` (the package's `debian/*/deb_folder/rules` runs
//! `sed 's|@OS_CODENAME@|$(OS_CODENAME)|'` over it). A file shared by several codenames must
//! never be pinned to one of them: [`tag_for_file`] answers "the tag to write for NAME in FILE
//! given the tags declared per codename", for `--bump` and for TM205's help alike.

use std::path::Path;

use tagman_core::ImageName;

use crate::catalog::Catalog;
use crate::extract::CODENAME_PLACEHOLDER;

/// One release of an image as the manifests declare it per codename.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerCodename {
    /// The tag without its codename (`stx.13.0-v1.0.12`).
    pub stem: String,
    /// `(codename, declared tag)` for every codename the release is declared for, in the
    /// codenames' order.
    pub tags: Vec<(String, String)>,
}

impl PerCodename {
    /// The release `tag` (`<stem>-<codename>`) belongs to, when the manifests declare it for at
    /// least two of `codenames`; `None` for a tag of one codename only, or of none.
    pub fn of(
        catalog: &Catalog,
        name: &ImageName,
        tag: &str,
        codenames: &[String],
    ) -> Option<Self> {
        let stem = codenames
            .iter()
            .find_map(|c| tag.strip_suffix(c.as_str())?.strip_suffix('-'))?;
        let tags: Vec<(String, String)> = codenames
            .iter()
            .map(|c| (c.clone(), format!("{stem}-{c}")))
            .filter(|(_, t)| catalog.find(name, t).is_some())
            .collect();
        (tags.len() >= 2).then(|| Self {
            stem: stem.to_owned(),
            tags,
        })
    }

    /// The placeholder form the package build fills in (`<stem>-@OS_CODENAME@`).
    pub fn placeholder(&self) -> String {
        format!("{}-{CODENAME_PLACEHOLDER}", self.stem)
    }

    /// The declared tag for `codename`, if any.
    pub fn tag_for(&self, codename: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(c, _)| c == codename)
            .map(|(_, t)| t.as_str())
    }

    /// `` `a` (bullseye) and `b` (trixie) ``.
    pub fn describe(&self) -> String {
        let each: Vec<String> = self
            .tags
            .iter()
            .map(|(c, t)| format!("`{t}` ({c})"))
            .collect();
        crate::rules::list_plain(&each)
    }
}

/// What a file is to the codenames it ships on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileBuild {
    /// The one codename the file is for, when its path names one (`debian/bullseye/…`,
    /// `Dockerfile.trixie`, `image-tags-bullseye.yaml`).
    pub codename: Option<String>,
    /// Whether its build fills in `@OS_CODENAME@` (it already holds the placeholder, the
    /// policy lists it as a build input, or its package's build rules `sed` it in).
    pub fills_codename: bool,
}

impl FileBuild {
    /// What the file at `path` with `text` is, without reading anything else; `build_input`:
    /// the policy lists it in `build_inputs`.
    pub fn of(path: &str, text: &str, codenames: &[String], build_input: bool) -> Self {
        let words: Vec<&str> = path.split(['/', '\\', '!', '.', '-', '_']).collect();
        let named: Vec<&String> = codenames
            .iter()
            .filter(|c| words.contains(&c.as_str()))
            .collect();
        Self {
            codename: match named.as_slice() {
                [one] => Some((*one).clone()),
                _ => None,
            },
            fills_codename: build_input || text.contains(CODENAME_PLACEHOLDER),
        }
    }
}

/// What to write for an image in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagChoice {
    /// A literal tag (one codename's, or a tag of no codename).
    Literal(String),
    /// The placeholder form, which the file's build fills in per codename.
    Placeholder(String),
}

impl TagChoice {
    /// The text to write.
    pub fn text(&self) -> &str {
        match self {
            Self::Literal(t) | Self::Placeholder(t) => t,
        }
    }
}

/// Why no single tag can be written: the file ships on several codenames and nothing fills the
/// codename in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedByCodenames {
    /// The release, per codename.
    pub release: PerCodename,
}

/// The tag to write for `name` in a file given the requested tag (`--bump NAME=TAG`, or the
/// successor TM205 suggests) and the tags the manifests declare per codename:
/// - a tag of no codename, or of a release declared for one codename only: as requested;
/// - a file for one codename (its path names it): that codename's declared tag;
/// - a file its build fills in: the placeholder form `<stem>-@OS_CODENAME@`;
/// - otherwise: refused, naming the declared tag for each codename.
pub fn tag_for_file(
    catalog: &Catalog,
    name: &ImageName,
    requested: &str,
    file: &FileBuild,
    codenames: &[String],
) -> Result<TagChoice, SharedByCodenames> {
    let Some(release) = PerCodename::of(catalog, name, requested, codenames) else {
        return Ok(TagChoice::Literal(requested.to_owned()));
    };
    if let Some(tag) = file.codename.as_deref().and_then(|c| release.tag_for(c)) {
        return Ok(TagChoice::Literal(tag.to_owned()));
    }
    if file.fills_codename {
        return Ok(TagChoice::Placeholder(release.placeholder()));
    }
    Err(SharedByCodenames { release })
}

/// Largest build-rules file read.
pub(crate) const MAX_RULES: u64 = 256 * 1024;
/// How many directories up from a file its package's `debian/` is looked for.
pub(crate) const RULES_DEPTH: usize = 8;

/// Whether the package that builds the file at `path` fills `@OS_CODENAME@` in it: a
/// `debian/<dist>/deb_folder/rules` (or `debian/deb_folder/rules`) in a directory above it that
/// substitutes `@OS_CODENAME@` and names the file (its base name, or a directory on its path).
/// Reads at most [`RULES_DEPTH`] directories up, each rules file only when it is at most
/// [`MAX_RULES`] bytes.
pub fn build_rules_fill(path: &Path) -> bool {
    let Some(base) = path.file_name().and_then(|b| b.to_str()) else {
        return false;
    };
    let mut dir = path.parent();
    for _ in 0..RULES_DEPTH {
        let Some(d) = dir else { break };
        let debian = d.join("debian");
        if let Ok(entries) = std::fs::read_dir(&debian) {
            let mut candidates = vec![debian.join("deb_folder/rules")];
            candidates.extend(entries.flatten().map(|e| e.path().join("deb_folder/rules")));
            let relative = path.strip_prefix(d).unwrap_or(path);
            if candidates.iter().any(|r| rules_fill(r, base, relative)) {
                return true;
            }
        }
        dir = d.parent();
    }
    false
}

/// A package's build file (`deb_folder/rules`, `meta_data.yaml`) as text: refused when it is
/// over [`MAX_RULES`] bytes or not UTF-8.
pub(crate) fn read_build_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_RULES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RULES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a package's build file is over {MAX_RULES} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

/// Whether the rules file at `rules` substitutes `@OS_CODENAME@` in a file called `base` (or
/// under a directory of `relative`).
fn rules_fill(rules: &Path, base: &str, relative: &Path) -> bool {
    let Ok(text) = read_build_file(rules) else {
        return false;
    };
    if !text.contains(CODENAME_PLACEHOLDER) {
        return false;
    }
    text.contains(base)
        || relative
            .parent()
            .and_then(Path::to_str)
            .is_some_and(|dir| !dir.is_empty() && text.contains(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagman_core::{Limits, Manifest, SourceFile};

    fn catalog() -> Catalog {
        let text = "images:\n  - name: docker.io/starlingx/stx-oidc-client\n    src_build_tag: master-debian-stable-20250101T000000Z.0\n    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/1111111111111111111111111111111111111111\n    tag: stx.13.0-v1.0.12-bullseye\n  - name: docker.io/starlingx/stx-oidc-client\n    src_build_tag: master-debian-stable-20250101T000000Z.0\n    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/1111111111111111111111111111111111111111\n    tag: stx.13.0-v1.0.12-trixie\n  - name: docker.io/starlingx/one\n    src_build_tag: master-debian-stable-20250101T000000Z.0\n    src_ref: https://opendev.org/starlingx/x/commit/1111111111111111111111111111111111111111\n    tag: stx.13.0-v1-trixie\n";
        let manifest =
            Manifest::parse(SourceFile::new("image-tags.yaml", text), &Limits::default())
                .unwrap_or_else(|e| panic!("{e}"));
        Catalog::new(&[manifest])
    }

    #[test]
    fn a_shared_file_is_never_pinned_to_one_codename() {
        let catalog = catalog();
        let codenames = ["bullseye".to_owned(), "trixie".to_owned()];
        let oidc = ImageName::parse("docker.io/starlingx/stx-oidc-client")
            .unwrap_or_else(|e| panic!("{e}"));
        let choose = |path: &str, text: &str, tag: &str| {
            let file = FileBuild::of(path, text, &codenames, false);
            tag_for_file(&catalog, &oidc, tag, &file, &codenames)
        };
        let bullseye = "stx.13.0-v1.0.12-bullseye";
        // A shared chart: refused, naming each codename's tag.
        let refused = choose("helm/oidc/values.yaml", "tag: x\n", bullseye);
        let Err(SharedByCodenames { release }) = refused else {
            panic!("{refused:?}");
        };
        assert_eq!(
            release.describe(),
            "`stx.13.0-v1.0.12-bullseye` (bullseye) and `stx.13.0-v1.0.12-trixie` (trixie)"
        );
        // A file its build fills in: the placeholder form.
        assert_eq!(
            choose(
                "vars/system-images.yml",
                "a: x:stx.1-@OS_CODENAME@\n",
                bullseye
            ),
            Ok(TagChoice::Placeholder(
                "stx.13.0-v1.0.12-@OS_CODENAME@".to_owned()
            ))
        );
        // A file for one codename: that codename's tag, whichever was asked for.
        assert_eq!(
            choose("debian/trixie/deb_folder/values.yaml", "", bullseye),
            Ok(TagChoice::Literal("stx.13.0-v1.0.12-trixie".to_owned()))
        );
        // A release of one codename only, a tag of none: as asked.
        let one = ImageName::parse("docker.io/starlingx/one").unwrap_or_else(|e| panic!("{e}"));
        let file = FileBuild::of("values.yaml", "", &codenames, false);
        assert_eq!(
            tag_for_file(&catalog, &one, "stx.13.0-v1-trixie", &file, &codenames),
            Ok(TagChoice::Literal("stx.13.0-v1-trixie".to_owned()))
        );
        assert_eq!(
            choose("values.yaml", "", "stx.13.0-v1.0.12"),
            Ok(TagChoice::Literal("stx.13.0-v1.0.12".to_owned()))
        );
    }

    #[test]
    fn build_rules_that_sed_the_codename_fill_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pkg = dir.path().join("playbookconfig");
        let rules = pkg.join("debian/all/deb_folder");
        std::fs::create_dir_all(&rules).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            rules.join("rules"),
            "\tfind playbooks/roles/common/load-images-information/vars \\\n\t\t-name 'system-images.yml' -exec \\\n\t\tsed -i -e 's|@OS_CODENAME@|$(OS_CODENAME)|g' {} +\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let vars = pkg.join("src/playbooks/roles/common/load-images-information/vars/k8s");
        std::fs::create_dir_all(&vars).unwrap_or_else(|e| panic!("{e}"));
        assert!(build_rules_fill(&vars.join("system-images.yml")));
        assert!(!build_rules_fill(&vars.join("other.yml")));
        assert!(!build_rules_fill(&dir.path().join("values.yaml")));
    }
}
