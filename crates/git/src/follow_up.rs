//! The follow-up review's commit message: what moved, the manifest change that declared each
//! new tag (found in the manifests' history), and that change's references carried over
//! (`Partial-Bug` becomes `Closes-Bug`; `Story` and `Task` as they are).
//!
//! The proposal's last step: "once the new tag has been pushed to the docker hub, a follow-up
//! commit can be posted to update the chart or other reference to move to the new image tag,
//! with Closes-Bug in commit message".

use tagman_core::SourceFile;

use crate::error::GitError;
use crate::history::ManifestHistory;
use crate::message::{Message, RefKind};
use crate::repo::Repo;

/// The manifest change that declared a tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaringChange {
    /// Its abbreviated id.
    pub short: String,
    /// Its subject line.
    pub subject: String,
    /// Its valid references, in order (`(kind, number)`).
    pub references: Vec<(RefKind, u64)>,
}

/// One image the follow-up moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    /// The canonical image name.
    pub name: String,
    /// The tag its references moved to, as written (`stx.13.0-v1.0.1-@OS_CODENAME@` where the
    /// build fills in the codename).
    pub tag: String,
    /// The declared tags `tag` stands for (itself, or one per codename), each with the change
    /// that declared it when the history holds one.
    pub declared: Vec<(String, Option<DeclaringChange>)>,
}

impl Moved {
    /// The last path component of the name (`stx-ceph-manager`).
    pub fn short_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// The oldest commit of `history` declaring `tag` for `name`, read from `repo` (the manifests'
/// repository the history was read from).
pub fn declaring_change(
    repo: &Repo,
    history: &ManifestHistory,
    name: &str,
    tag: &str,
) -> Result<Option<DeclaringChange>, GitError> {
    let Some(past) = history.tags.iter().find(|t| t.name == name && t.tag == tag) else {
        return Ok(None);
    };
    let commit = repo.commit(&past.first.id)?;
    let message = Message::parse(SourceFile::new("commit", commit.message), false);
    let subject = message
        .subject
        .map(|s| message.source.slice(s).to_owned())
        .unwrap_or_default();
    let references = message
        .references
        .iter()
        .filter_map(|r| Some((r.kind, r.number?)))
        .collect();
    Ok(Some(DeclaringChange {
        short: commit.short,
        subject,
        references,
    }))
}

/// The follow-up's references: each declaring change's, `Partial-Bug` turned into
/// `Closes-Bug`, a bug the declaring change already closed kept as `Related-Bug`, duplicates
/// dropped; Launchpad lines first, then StoryBoard's.
pub fn carried_references(moved: &[Moved]) -> Vec<(RefKind, u64)> {
    let mut out: Vec<(RefKind, u64)> = Vec::new();
    let all = moved
        .iter()
        .flat_map(|m| &m.declared)
        .filter_map(|(_, by)| by.as_ref());
    for (kind, number) in all.flat_map(|c| c.references.iter().copied()) {
        let kind = match kind {
            RefKind::PartialBug => RefKind::ClosesBug,
            RefKind::ClosesBug => RefKind::RelatedBug,
            other => other,
        };
        // One line per bug: closing it wins over relating to it.
        if let Some(i) = out
            .iter()
            .position(|(k, n)| k.is_launchpad() && *n == number)
        {
            if kind.is_launchpad() {
                if kind == RefKind::ClosesBug {
                    out[i].0 = kind;
                }
                continue;
            }
        }
        if !out.contains(&(kind, number)) {
            out.push((kind, number));
        }
    }
    let order = |k: &RefKind| RefKind::ALL.iter().position(|x| x == k);
    out.sort_by_key(|(k, _)| order(k));
    out
}

/// The commit message (without its `Change-Id`): subject, body (then each of `notes` as a
/// paragraph), references.
pub fn message(moved: &[Moved], notes: &[String]) -> String {
    let mut text = match moved {
        [one] => format!("Move {} to {}\n\n", one.short_name(), one.tag),
        many => format!("Move {} images to their declared tags\n\n", many.len()),
    };
    let mut paragraph = String::new();
    if let [one] = moved {
        paragraph.push_str(&format!(
            "Move the references to {} to {}",
            one.name, one.tag
        ));
        paragraph.push_str(&declared(one));
        text.push_str(&wrap(&paragraph, 72));
    } else {
        text.push_str("Move the references to each image to its declared tag:\n\n");
        for m in moved {
            text.push_str(&wrap(
                &format!("- {}: {}{}", m.name, m.tag, declared(m)),
                72,
            ));
        }
    }
    for note in notes {
        text.push('\n');
        text.push_str(&wrap(note, 72));
    }
    let references = carried_references(moved);
    if !references.is_empty() {
        text.push('\n');
        for (kind, number) in references {
            text.push_str(&format!("{}: {number}\n", kind.canonical()));
        }
    }
    text
}

/// `, the tag declared by abc1234 ("subject").`, the same per codename, or why there is none.
fn declared(moved: &Moved) -> String {
    let by = |change: &Option<DeclaringChange>| match change {
        Some(c) => format!("declared by {} (\"{}\")", c.short, c.subject),
        None => "which no commit of the manifests' history declares".to_owned(),
    };
    match moved.declared.as_slice() {
        [(tag, change)] if *tag == moved.tag => match change {
            Some(_) => format!(", the tag {}.", by(change)),
            None => ", a tag no commit of the manifests' history declares.".to_owned(),
        },
        each => {
            // Tags one change declared together are named together.
            let mut groups: Vec<(Vec<&str>, &Option<DeclaringChange>)> = Vec::new();
            for (tag, change) in each {
                match groups.iter_mut().find(|(_, c)| *c == change) {
                    Some((tags, _)) => tags.push(tag),
                    None => groups.push((vec![tag], change)),
                }
            }
            let each: Vec<String> = groups
                .iter()
                .map(|(tags, change)| format!("{} {}", tags.join(" and "), by(change)))
                .collect();
            format!(
                ", which the build fills in per codename: {}.",
                each.join("; ")
            )
        }
    }
}

/// `text` wrapped at `width` columns (words longer than that stand alone); continuation lines
/// of a `- ` item are indented by two.
fn wrap(text: &str, width: usize) -> String {
    let indent = if text.starts_with("- ") { "  " } else { "" };
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_owned();
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(short: &str, references: &[(RefKind, u64)]) -> Option<DeclaringChange> {
        Some(DeclaringChange {
            short: short.to_owned(),
            subject: format!("Update tag ({short})"),
            references: references.to_vec(),
        })
    }

    fn declared(tag: &str, by: Option<DeclaringChange>) -> Vec<(String, Option<DeclaringChange>)> {
        vec![(tag.to_owned(), by)]
    }

    #[test]
    fn a_tag_per_codename_names_each_declaring_change_and_the_notes_follow() {
        let moved = [Moved {
            name: "docker.io/starlingx/stx-audit".to_owned(),
            tag: "stx.13.0-v1.0.1-@OS_CODENAME@".to_owned(),
            declared: vec![
                (
                    "stx.13.0-v1.0.1-bullseye".to_owned(),
                    change("1111111", &[(RefKind::PartialBug, 7)]),
                ),
                (
                    "stx.13.0-v1.0.1-trixie".to_owned(),
                    change("2222222", &[(RefKind::PartialBug, 8)]),
                ),
            ],
        }];
        let note = "pkg/debian/deb_folder/rules now fills in @OS_CODENAME@".to_owned();
        let text = message(&moved, &[note]);
        let prose = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            prose.contains("which the build fills in per codename: stx.13.0-v1.0.1-bullseye declared by 1111111 (\"Update tag (1111111)\"); stx.13.0-v1.0.1-trixie declared by 2222222"),
            "{text}"
        );
        assert!(text.contains("\n\npkg/debian/deb_folder/rules now fills in @OS_CODENAME@\n\nCloses-Bug: 7\nCloses-Bug: 8\n"), "{text}");
        assert!(text.lines().all(|l| l.len() <= 72), "{text}");
    }

    #[test]
    fn partial_bugs_are_closed_and_storyboard_lines_carried() {
        let moved = [
            Moved {
                name: "docker.io/starlingx/a".to_owned(),
                tag: "stx.13.0-v1".to_owned(),
                declared: declared(
                    "stx.13.0-v1",
                    change("1111111", &[(RefKind::Task, 5), (RefKind::PartialBug, 7)]),
                ),
            },
            Moved {
                name: "docker.io/starlingx/b".to_owned(),
                tag: "stx.13.0-v2".to_owned(),
                declared: declared(
                    "stx.13.0-v2",
                    change("2222222", &[(RefKind::ClosesBug, 7), (RefKind::Story, 3)]),
                ),
            },
        ];
        assert_eq!(
            carried_references(&moved),
            [
                (RefKind::ClosesBug, 7),
                (RefKind::Story, 3),
                (RefKind::Task, 5)
            ]
        );
        let text = message(&moved, &[]);
        assert!(
            text.starts_with("Move 2 images to their declared tags\n\n"),
            "{text}"
        );
        assert!(text.contains("- docker.io/starlingx/b: stx.13.0-v2, the tag declared by 2222222"));
        assert!(
            text.ends_with("\n\nCloses-Bug: 7\nStory: 3\nTask: 5\n"),
            "{text}"
        );
    }

    #[test]
    fn one_image_names_the_change_in_wrapped_prose() {
        let moved = [Moved {
            name: "docker.io/starlingx/stx-ceph-manager".to_owned(),
            tag: "stx.13.0-v18.2.2-0".to_owned(),
            declared: declared("stx.13.0-v18.2.2-0", None),
        }];
        let text = message(&moved, &[]);
        assert!(text.starts_with("Move stx-ceph-manager to stx.13.0-v18.2.2-0\n\n"));
        assert!(text.lines().all(|l| l.len() <= 72), "{text}");
        assert!(text.contains("no commit of the manifests'"), "{text}");
    }
}
