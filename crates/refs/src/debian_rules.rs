//! Making a StarlingX Debian package's build fill in `@OS_CODENAME@` in a file it ships.
//!
//! A chart shared by several codenames gets the tag `<stem>-@OS_CODENAME@` only where its build
//! substitutes the codename ([`crate::codename::build_rules_fill`]). When a package builds the
//! file from its sources and its build does not yet do so, `--bump` adds the substitution to the
//! package's `debian/deb_folder/rules`, as starlingx/ansible-playbooks' rules do for its image
//! lists, rather than refusing: the edit goes into the same commit, for review.
//!
//! A StarlingX package is a directory holding `debian/meta_data.yaml` (its `src_path` names the
//! source directory, where the rules run) and `debian/deb_folder/rules`, or the same under
//! `debian/all/`. Packages with a folder per codename (`debian/bullseye/`, `debian/trixie/`), or
//! whose sources are downloaded rather than kept in the repository, are not edited: the bump
//! refuses there, as before.

use std::path::{Component, Path, PathBuf};

use tagman_core::SourceFile;

use crate::bump::FileEdit;
use crate::codename::{read_build_file, RULES_DEPTH};
use crate::error::RefsError;

/// A package rules file that should fill in `@OS_CODENAME@` in some of its sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesFill {
    /// The package's `debian/deb_folder/rules`, as a path beside the scanned file's.
    pub rules: PathBuf,
    /// The path its diff names (relative to the scanned path, as the bumped file's).
    pub label: String,
    /// The files, relative to the package's source directory (where the rules run).
    pub files: Vec<String>,
}

/// The package rules that could fill in the codename in the file at `path`: the nearest
/// directory above it with one package folder (`debian/` or `debian/all/`, with `meta_data.yaml`
/// and `deb_folder/rules`) for every codename, whose `src_path` holds the file. `None` when there
/// is no such package, or it has a folder per codename.
pub fn rules_for(path: &Path) -> Option<RulesFill> {
    let mut dir = path.parent();
    for _ in 0..RULES_DEPTH {
        let d = dir?;
        if let Some(folders) = package_folders(&d.join("debian")) {
            // The nearest package decides, whatever it answers.
            let [shared] = folders.as_slice() else {
                return None;
            };
            let meta = read_build_file(&shared.join("meta_data.yaml")).ok()?;
            let src = src_path(&meta)?;
            let rules = shared.join("deb_folder/rules");
            let file = path.strip_prefix(d.join(src)).ok()?.to_str()?.to_owned();
            return rules.is_file().then(|| RulesFill {
                label: rules.display().to_string(),
                rules,
                files: vec![file],
            });
        }
        dir = d.parent();
    }
    None
}

/// The folders of the package whose `debian/` is `debian`: `debian/` itself or `debian/all/`
/// (shared by every codename), and `debian/<codename>/`; each holds a `meta_data.yaml`. `None`
/// when `debian` is not a StarlingX package's.
fn package_folders(debian: &Path) -> Option<Vec<PathBuf>> {
    let mut folders = Vec::new();
    if debian.join("meta_data.yaml").is_file() {
        folders.push(debian.to_path_buf());
    }
    for entry in std::fs::read_dir(debian).ok()?.flatten() {
        if entry.path().join("meta_data.yaml").is_file() {
            folders.push(entry.path());
        }
    }
    (!folders.is_empty()).then_some(folders)
}

/// One fill per rules file, naming each file once.
pub fn merge(fills: Vec<RulesFill>) -> Vec<RulesFill> {
    let mut out: Vec<RulesFill> = Vec::new();
    for fill in fills {
        match out.iter_mut().find(|f| f.rules == fill.rules) {
            Some(f) => f.files.extend(fill.files),
            None => out.push(fill),
        }
    }
    for f in &mut out {
        f.files.sort();
        f.files.dedup();
    }
    out
}

/// The edit that makes `fill.rules` fill in the codename in `fill.files`.
pub fn edit(fill: &RulesFill) -> Result<FileEdit, RefsError> {
    let read_err = |source| RefsError::Io {
        action: "read",
        path: fill.rules.clone(),
        source,
    };
    let before = SourceFile::new(
        fill.label.as_str(),
        read_build_file(&fill.rules).map_err(read_err)?,
    );
    let after = with_fill(before.text(), &fill.files);
    Ok(FileEdit {
        path: fill.rules.clone(),
        label: fill.label.clone(),
        before,
        after,
        changes: Vec::new(),
    })
}

/// `meta_data.yaml`'s `src_path`, when it is a plain relative directory (no `..`).
fn src_path(meta: &str) -> Option<PathBuf> {
    let value = meta
        .lines()
        .find_map(|l| l.strip_prefix("src_path:"))?
        .trim()
        .trim_matches(['"', '\'']);
    let path = PathBuf::from(value);
    let plain = !value.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    plain.then_some(path)
}

/// The recipe lines that fill in the codename in `files`: `OS_CODENAME` as the build sets it,
/// else the build root's own (`/etc/os-release`, present in every Debian root, so no new
/// build dependency).
fn recipe(files: &[String]) -> String {
    let quoted: Vec<String> = files.iter().map(|f| shell_word(f)).collect();
    format!(
        "\t# Fill in the OS codename of the image tags.\n\
         \t$(eval OS_CODENAME ?= $(shell . /etc/os-release && echo $$VERSION_CODENAME))\n\
         \tsed -i -e 's|@OS_CODENAME@|$(OS_CODENAME)|g' {}\n",
        quoted.join(" ")
    )
}

/// `word` as one shell word: as it is when it holds only safe bytes, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+@%=:,".contains(&b));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''").replace('$', "$$"))
    }
}

/// `rules` with the fill-in of `files` at the start of its `override_dh_auto_build` target, or
/// with that target added (running `dh_auto_build` after the fill-in) when it has none.
pub fn with_fill(rules: &str, files: &[String]) -> String {
    let recipe = recipe(files);
    let mut at = 0;
    for line in rules.split_inclusive('\n') {
        at += line.len();
        let target = line.trim_end();
        if target == "override_dh_auto_build:" {
            let mut out = String::with_capacity(rules.len() + recipe.len() + 1);
            out.push_str(&rules[..at]);
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&recipe);
            out.push_str(&rules[at..]);
            return out;
        }
    }
    let mut out = rules.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("\noverride_dh_auto_build:\n");
    out.push_str(&recipe);
    out.push_str("\tdh_auto_build\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of starlingx/audit-armada-app's stx-audit-helm package.
    fn package(dir: &Path, meta: &str, rules: &str) -> PathBuf {
        let pkg = dir.join("stx-audit-helm");
        let debian = pkg.join("debian/deb_folder");
        std::fs::create_dir_all(&debian).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(pkg.join("debian/meta_data.yaml"), meta).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(debian.join("rules"), rules).unwrap_or_else(|e| panic!("{e}"));
        let chart = pkg.join("stx-audit-helm/helm-charts/audit");
        std::fs::create_dir_all(&chart).unwrap_or_else(|e| panic!("{e}"));
        chart.join("values.yaml")
    }

    const RULES: &str = "#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n\t# Create the TGZ file.\n\tcd helm-charts && make\n";

    #[test]
    fn the_package_that_builds_a_file_is_found_with_the_path_its_rules_see() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let values = package(
            dir.path(),
            "---\ndebname: stx-audit-helm\nsrc_path: stx-audit-helm\n",
            RULES,
        );
        let found = rules_for(&values).unwrap_or_else(|| panic!("no package"));
        assert_eq!(
            found.rules,
            dir.path().join("stx-audit-helm/debian/deb_folder/rules")
        );
        assert_eq!(found.files, ["helm-charts/audit/values.yaml"]);
        // A file outside the package's sources, or sources that leave the package: none.
        assert_eq!(
            rules_for(&dir.path().join("stx-audit-helm/values.yaml")),
            None
        );
        let up = package(dir.path(), "src_path: ../elsewhere\n", RULES);
        assert_eq!(rules_for(&up), None);
        // The same under debian/all/ (starlingx/oidc-auth-armada-app's layout); a folder per
        // codename: none, each codename's rules are its own.
        let pkg = dir.path().join("stx-audit-helm/debian");
        std::fs::create_dir_all(pkg.join("all/deb_folder")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(pkg.join("meta_data.yaml"), pkg.join("all/meta_data.yaml"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(pkg.join("all/meta_data.yaml"), "src_path: stx-audit-helm\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(pkg.join("all/deb_folder/rules"), RULES).unwrap_or_else(|e| panic!("{e}"));
        let found = rules_for(&values).unwrap_or_else(|| panic!("no package under all/"));
        assert_eq!(found.rules, pkg.join("all/deb_folder/rules"));
        std::fs::create_dir_all(pkg.join("trixie")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            pkg.join("trixie/meta_data.yaml"),
            "src_path: stx-audit-helm\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules_for(&values), None);
        std::fs::remove_dir_all(pkg.join("trixie")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_dir_all(pkg.join("all")).unwrap_or_else(|e| panic!("{e}"));
        // Downloaded sources (no src_path): none.
        let dl = package(dir.path(), "dl_path:\n  name: x.tar.gz\n", RULES);
        assert_eq!(rules_for(&dl), None);
    }

    #[test]
    fn the_fill_in_goes_first_in_the_build_target_or_adds_one() {
        let files = ["helm-charts/audit/values.yaml".to_owned()];
        let edited = with_fill(RULES, &files);
        assert_eq!(
            edited,
            "#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n\
             \t# Fill in the OS codename of the image tags.\n\
             \t$(eval OS_CODENAME ?= $(shell . /etc/os-release && echo $$VERSION_CODENAME))\n\
             \tsed -i -e 's|@OS_CODENAME@|$(OS_CODENAME)|g' helm-charts/audit/values.yaml\n\
             \t# Create the TGZ file.\n\tcd helm-charts && make\n"
        );
        let bare = with_fill("#!/usr/bin/make -f\n%:\n\tdh $@", &files);
        assert!(
            bare.ends_with("\n\noverride_dh_auto_build:\n\t# Fill in the OS codename of the image tags.\n\t$(eval OS_CODENAME ?= $(shell . /etc/os-release && echo $$VERSION_CODENAME))\n\tsed -i -e 's|@OS_CODENAME@|$(OS_CODENAME)|g' helm-charts/audit/values.yaml\n\tdh_auto_build\n"),
            "{bare}"
        );
        // A name the shell or make would read: one quoted word, `$` doubled for make.
        assert_eq!(shell_word("a b/$x's.yaml"), "'a b/$$x'\\''s.yaml'");
    }
}
