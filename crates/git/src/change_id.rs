//! Gerrit's `Change-Id`, computed as Gerrit's `commit-msg` hook computes it, and put where the
//! hook puts it.
//!
//! The hook (Gerrit's `resources/com/google/gerrit/server/tools/root/hooks/commit-msg`) hashes
//! `git var GIT_COMMITTER_IDENT`, a newline, the parent's id (the empty tree's id for a first
//! commit), a newline and the message file with `git hash-object --stdin` (a blob id), prefixes
//! `I`, and appends `Change-Id: I…` with `git -c trailer.ifexists=doNothing interpret-trailers`:
//! into the message's trailer block when its last paragraph is one, else as a new paragraph.

use git2::{ObjectType, Oid};

/// The id of the empty tree, the hook's `refhash` when there is no `HEAD` yet.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// A committer as `git var GIT_COMMITTER_IDENT` prints it: `Name <email> 1700000000 +0100`.
pub fn ident(name: &str, email: &str, seconds: i64, offset_minutes: i32) -> String {
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!(
        "{name} <{email}> {seconds} {sign}{:02}{:02}",
        offset / 60,
        offset % 60
    )
}

/// The `Change-Id` value (`I` and 40 hex digits) the hook gives `message` committed by
/// `committer_ident` on top of `parent` (`None`: a first commit).
pub fn compute(
    committer_ident: &str,
    parent: Option<&str>,
    message: &str,
) -> Result<String, git2::Error> {
    let refhash = parent.unwrap_or(EMPTY_TREE);
    let input = format!("{committer_ident}\n{refhash}\n{message}");
    let id = Oid::hash_object(ObjectType::Blob, input.as_bytes())?;
    Ok(format!("I{id}"))
}

/// Whether `line` is a git trailer (`Token: value`, the token of letters, digits and `-`).
fn is_trailer(line: &str) -> bool {
    line.split_once(':').is_some_and(|(token, _)| {
        !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// `message` with `Change-Id: <id>` appended as `git interpret-trailers` appends a trailer: to
/// the last paragraph when every line of it is a trailer, else in a paragraph of its own. A
/// message that already has a `Change-Id` trailer is returned as it is (`ifexists=doNothing`).
pub fn insert(message: &str, id: &str) -> String {
    let body = message.trim_end();
    let last = body.rsplit("\n\n").next().unwrap_or(body);
    let trailers = body.contains("\n\n") && last.lines().all(is_trailer);
    if trailers && last.lines().any(|l| l.starts_with("Change-Id:")) {
        return format!("{body}\n");
    }
    let gap = if trailers { "\n" } else { "\n\n" };
    format!("{body}{gap}Change-Id: {id}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_carry_the_offset_as_git_prints_it() {
        assert_eq!(ident("A", "a@x", 5, 0), "A <a@x> 5 +0000");
        assert_eq!(ident("A", "a@x", 5, -210), "A <a@x> 5 -0330");
        assert_eq!(ident("A", "a@x", 5, 60), "A <a@x> 5 +0100");
    }

    #[test]
    fn the_id_goes_into_the_trailer_block_or_after_it() {
        assert_eq!(
            insert("Subject\n\nBody.\n\nStory: 1\n", "I1"),
            "Subject\n\nBody.\n\nStory: 1\nChange-Id: I1\n"
        );
        assert_eq!(
            insert("Subject\n\nBody.\n", "I1"),
            "Subject\n\nBody.\n\nChange-Id: I1\n"
        );
        // A subject alone is no trailer block, even when it looks like one.
        assert_eq!(insert("Story: 1\n", "I1"), "Story: 1\n\nChange-Id: I1\n");
        let kept = "S\n\nChange-Id: I2\n";
        assert_eq!(insert(kept, "I1"), kept);
    }
}
