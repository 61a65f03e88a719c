//! Reading the manifests' history: each state of the manifests' directory is read once and each
//! manifest version parsed once, however many commits share them; files outside the manifests'
//! directory do not count; a removal is found along the first-parent line.

use tagman_core::Policy;
use tagman_testkit::git::commit_tree;

fn manifest(tag: &str) -> Vec<u8> {
    format!("images:\n  - name: docker.io/starlingx/dex\n    src_build_tag: master-debian-stable-20260101T000000Z.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n").into_bytes()
}

#[test]
fn each_state_is_read_once_and_removals_are_found() {
    let (dir, repo) = tagman_testkit::git::repo();
    let path = "tm/image-tags.yaml";
    let files = |tag: &str, other: &str| {
        vec![
            (path.to_owned(), manifest(tag)),
            ("src/notes.txt".to_owned(), other.as_bytes().to_vec()),
            // Outside the manifests' directory: never read, whatever its name.
            ("old/image-tags.yaml".to_owned(), manifest("stx.1.0-v0")),
        ]
    };
    let v1 = commit_tree(&repo, &files("stx.9.0-v1", "a"), "v1\n", 1_770_000_000);
    commit_tree(
        &repo,
        &files("stx.9.0-v1", "b"),
        "elsewhere\n",
        1_770_000_100,
    );
    commit_tree(
        &repo,
        &files("stx.9.0-v1", "c"),
        "elsewhere\n",
        1_770_000_200,
    );
    let v2 = commit_tree(&repo, &files("stx.9.0-v2", "c"), "v2\n", 1_770_086_400);
    commit_tree(
        &repo,
        &files("stx.9.0-v2", "d"),
        "elsewhere\n",
        1_770_086_500,
    );
    let repo = tagman_git::Repo::discover(dir.path()).unwrap();
    let history = repo
        .manifest_history(&[dir.path().join(path)], &Policy::default())
        .unwrap();
    assert_eq!((history.commits, history.states, history.blobs), (5, 2, 2));
    let tags: Vec<(&str, &str)> = history
        .tags
        .iter()
        .map(|t| (t.tag.as_str(), t.first.short.as_str()))
        .collect();
    let (v1, v2) = (v1.to_string(), v2.to_string());
    assert_eq!(tags, [("stx.9.0-v1", &v1[..7]), ("stx.9.0-v2", &v2[..7])]);
    let removed = history.tags[0].removed.as_ref().unwrap();
    assert_eq!(removed.at.id, v2);
    assert_eq!(removed.file, path);
    assert_eq!(removed.replaced_by, ["stx.9.0-v2"]);
    assert!(history.tags[1].removed.is_none());
    // A manifest outside any repository has no history to read; one in a repository with no
    // commit has an empty one.
    let (empty, _) = tagman_testkit::git::repo();
    std::fs::write(empty.path().join("image-tags.yaml"), manifest("x")).unwrap();
    let history = tagman_git::Repo::discover(empty.path())
        .unwrap()
        .manifest_history(&[empty.path().join("image-tags.yaml")], &Policy::default())
        .unwrap();
    assert!(history.tags.is_empty() && history.commits == 0);
}

/// Commits made in the same second (a bot, a scripted rebase): the pair's first commit is the
/// ancestor, not whichever the hash order met first. The follow-up review names it as the change
/// that declared the tag.
#[test]
fn of_commits_in_one_second_the_ancestor_declared_first() {
    let (dir, repo) = tagman_testkit::git::repo();
    let path = "tm/image-tags.yaml";
    let at = 1_770_000_000;
    let first = commit_tree(
        &repo,
        &[(path.to_owned(), manifest("stx.9.0-v1"))],
        "v1\n",
        at,
    );
    let mut later = Vec::new();
    for n in 0..6 {
        let note = format!("tm/notes-{n}.txt");
        let files = vec![
            (path.to_owned(), manifest("stx.9.0-v1")),
            (note, b"x".to_vec()),
        ];
        later.push(commit_tree(&repo, &files, "touch\n", at));
    }
    let repo = tagman_git::Repo::discover(dir.path()).unwrap();
    let history = repo
        .manifest_history(&[dir.path().join(path)], &Policy::default())
        .unwrap();
    assert_eq!(history.commits, 7);
    assert_eq!(history.tags.len(), 1);
    assert_eq!(history.tags[0].first.id, first.to_string(), "{later:?}");
}
