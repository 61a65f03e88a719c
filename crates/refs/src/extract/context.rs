//! What the text around a reference does with it: pull it (an image key, a Dockerfile `FROM`, a
//! `docker pull`/`run`), build or publish it (`docker build -t`, `docker tag SRC DST`,
//! `docker push`), or merely mention it. The keys that name images, and the keys whose tag
//! lives in a sibling key, are decided here too. Every look-behind is bounded.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use super::syntax::FileKind;
use super::token::tail;

/// How far back on the line a command or a key is looked for.
const LOOK_BEHIND: usize = 256;
/// How many lines up a parent key is looked for, and how many bytes at most.
const PARENT_LINES: usize = 24;
const PARENT_BYTES: usize = 4096;

/// What the context does with a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Use {
    /// It is pulled; `appendable` when the whole reference is consumed as written.
    Pull { appendable: bool },
    /// It is built, tagged as a destination, committed or pushed.
    Target,
    /// Nothing here pulls a bare name.
    Mention,
}

/// Tools whose `pull`/`run`/`create` pull an image, and whose `build`/`tag`/`push` make one.
const CONTAINER_TOOLS: [&str; 6] = ["docker", "podman", "nerdctl", "crictl", "ctr", "buildah"];
/// Tools that copy an image: the source is pulled, the destination (their second argument) made.
const COPY_TOOLS: [&str; 2] = ["skopeo", "crane"];
/// `kubectl run --image=`, `kubectl create deployment --image=`, `kubectl set image`: pulled.
const KUBE_TOOLS: [&str; 1] = ["kubectl"];
/// Copy-tool options that take a separate value (`--authfile FILE`), not an image argument.
const COPY_VALUE_OPTIONS: [&str; 12] = [
    "--authfile",
    "--src-authfile",
    "--dest-authfile",
    "--src-creds",
    "--dest-creds",
    "--src-cert-dir",
    "--dest-cert-dir",
    "--format",
    "-f",
    "--retry-times",
    "--multi-arch",
    "--platform",
];

/// The key a value follows (`repository` in `  "repository": "`), as written; empty when none.
pub(super) fn key_before(before: &str) -> &str {
    let trimmed = before.trim_end_matches([' ', '\t', '"', '\'']);
    let Some(trimmed) = trimmed.strip_suffix([':', '=']) else {
        return "";
    };
    let trimmed = trimmed.trim_end_matches([' ', '\t', '"', '\'']);
    &trimmed[key_start(trimmed)..]
}

/// Where the key word that ends `s` starts (a byte offset on a character boundary).
pub(super) fn key_start(s: &str) -> usize {
    s.char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// A key lower-cased without separators: `imageTag`, `image_tag` and `image.tag` are one key.
pub(crate) fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '.' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a key names an image: `image`, `*_image`, `*Image`, `--image`.
pub(super) fn is_image_key(squashed: &str) -> bool {
    squashed.ends_with("image")
}

/// Whether a key names the repository of a split form (`repository`, `*_repository`, `repo`).
pub(super) fn is_repository_key(squashed: &str) -> bool {
    squashed.ends_with("repository") || squashed.ends_with("repo")
}

/// Whether a key is kustomize's image name (`name`, `newName`), an image only under `images:`.
pub(super) fn is_name_key(squashed: &str) -> bool {
    squashed == "name" || squashed == "newname"
}

/// The (squashed) keys that may hold the tag of a name written at `key`: `repository` → `tag`;
/// `image_name` → `image_tag`; `flux_helm_controller_image` → `flux_helm_controller_tag`;
/// `image` → `imageTag`, `tag`; kustomize's `newName` → `newTag`.
pub(super) fn tag_keys_for(key: &str) -> Vec<String> {
    let s = squash(key);
    let with_stem = |stem: &str| {
        let mut keys = vec![format!("{stem}tag"), format!("{stem}imagetag")];
        if stem.is_empty() {
            keys.push("newtag".to_owned());
        }
        keys
    };
    if is_name_key(&s) {
        return vec!["newtag".to_owned(), "tag".to_owned()];
    }
    for suffix in ["imagename", "repository", "repo", "image"] {
        if let Some(stem) = s.strip_suffix(suffix) {
            return with_stem(stem);
        }
    }
    Vec::new()
}

/// What the line before a reference (`before`: from the line start to the reference) does with
/// a reference that has no tag: a command pulls or makes it in any file; a Dockerfile `FROM`
/// pulls it; in data (YAML, JSON, config), an image key pulls it. `parent` finds the key of the
/// enclosing block when needed.
pub(super) fn use_of(before: &str, kind: FileKind, parent: impl FnOnce() -> String) -> Use {
    let window = tail(before, LOOK_BEHIND);
    if let Some(found) = command_use(window) {
        return found;
    }
    let trimmed = window.trim_start();
    if trimmed
        .get(..5)
        .is_some_and(|w| w.eq_ignore_ascii_case("from "))
    {
        return Use::Pull { appendable: true };
    }
    if kind.is_code() {
        // In code, `image = "starlingx/x"` is a variable holding a name: whatever pulls it may
        // add a tag elsewhere. Only commands (above) pull there.
        return Use::Mention;
    }
    let key = key_before(window);
    let squashed = squash(key);
    if is_image_key(&squashed) {
        // `image: x` takes the whole reference; `*_image` keys often pair with a `*_tag` key
        // elsewhere, so `:TAG` is appended only to `image:`.
        return Use::Pull {
            appendable: squashed == "image",
        };
    }
    let item = key.is_empty() && trimmed.trim_end_matches(['"', '\'']).trim_end() == "-";
    if is_repository_key(&squashed) || is_name_key(&squashed) || item {
        let parent = squash(&parent());
        let images = parent.ends_with("images");
        // A list item or kustomize's `name:` is an image under `images:`; a repository also
        // under an image key (`image: {repository: …}`).
        // Ansible's `docker_image`/`podman_image` `name:` is pulled (`source: pull`).
        let module = is_name_key(&squashed) && is_image_module(&parent);
        let pulled = images || module || (is_repository_key(&squashed) && is_image_key(&parent));
        if pulled {
            return Use::Pull { appendable: false };
        }
    }
    Use::Mention
}

/// Whether a (squashed) key is an Ansible module that pulls an image by its `name:`:
/// `docker_image`, `community.docker.docker_image`, `containers.podman.podman_image`.
fn is_image_module(squashed: &str) -> bool {
    squashed.ends_with("dockerimage") || squashed.ends_with("podmanimage")
}

/// How a container command line uses the image argument that ends `window`, if a command is
/// there: `docker pull|run|create`, `skopeo`/`crane` arguments are pulled; `build -t`,
/// `push`, `commit` and the destination of `tag` are made.
fn command_use(window: &str) -> Option<Use> {
    // Most references stand in no command line: one pass of the tools' automaton says so.
    if !mentions_a_tool(window) {
        return None;
    }
    // Only the last command of a pipeline or list is the one the argument belongs to.
    let segment = window
        .rsplit(['|', ';', '&', '(', '`'])
        .next()
        .unwrap_or(window);
    // A transport (`docker://x`) is part of an argument, not the `docker` command.
    let plain = segment
        .replace("docker://", " ")
        .replace("docker-daemon:", " ");
    let words: Vec<&str> = plain
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
        .filter(|w| !w.is_empty())
        .collect();
    let tool = words.iter().rposition(|w| {
        CONTAINER_TOOLS.contains(w) || COPY_TOOLS.contains(w) || KUBE_TOOLS.contains(w)
    })?;
    if COPY_TOOLS.contains(&words[tool]) {
        return Some(copy_use(segment));
    }
    if KUBE_TOOLS.contains(&words[tool]) {
        return kube_use(&words[tool + 1..], window);
    }
    let args = &words[tool + 1..];
    let last = args.last().copied().unwrap_or("");
    for (i, word) in args.iter().enumerate() {
        match *word {
            "pull" | "run" | "create" => return Some(Use::Pull { appendable: true }),
            "push" | "commit" => return Some(Use::Target),
            "build" | "buildx" => {
                let tagged = matches!(last, "-t" | "--tag") || window.ends_with("--tag=");
                return Some(if tagged { Use::Target } else { Use::Mention });
            }
            "tag" => {
                // `tag SRC DST`: an argument after `tag` that is not an option is the source.
                let has_source = args[i + 1..].iter().any(|w| !w.starts_with('-'));
                return Some(if has_source {
                    Use::Target
                } else {
                    Use::Mention
                });
            }
            _ => {}
        }
    }
    None
}

/// `skopeo copy SRC DST`, `crane copy SRC DST`: the argument before which another image argument
/// stands is the destination, made rather than pulled. Every other argument is pulled.
fn copy_use(segment: &str) -> Use {
    let mut words = segment.split_whitespace();
    if !words.any(|w| COPY_TOOLS.contains(&w.trim_matches(['"', '\'']))) {
        return Use::Pull { appendable: true };
    }
    let mut images = 0;
    let mut copy = false;
    let mut skip = false;
    // The word the reference continues (`docker://` before it) is not an argument before it.
    let whole: Vec<&str> = words.collect();
    let before = if segment.ends_with(char::is_whitespace) {
        &whole[..]
    } else {
        &whole[..whole.len().saturating_sub(1)]
    };
    for word in before {
        let word = word.trim_matches(['"', '\'', ',', '[', ']']);
        if skip {
            skip = false;
        } else if word == "copy" || word == "cp" {
            copy = true;
        } else if COPY_VALUE_OPTIONS.contains(&word) {
            skip = true;
        } else if !word.starts_with('-') && copy {
            images += 1;
        }
    }
    if copy && images >= 1 {
        Use::Target
    } else {
        Use::Pull { appendable: true }
    }
}

/// `kubectl run NAME --image=X`, `kubectl create deployment --image X`, `kubectl set image
/// deploy/d c=X`: the image is pulled by the cluster. Other kubectl arguments are not images.
fn kube_use(args: &[&str], window: &str) -> Option<Use> {
    let image_option = window.ends_with("--image=") || args.last() == Some(&"--image");
    let set_image = args.windows(2).any(|w| w == ["set", "image"]) && window.ends_with('=');
    (image_option || set_image).then_some(Use::Pull { appendable: true })
}

/// Whether `window` mentions a container tool at all (a cheap filter before splitting words).
fn mentions_a_tool(window: &str) -> bool {
    static TOOLS: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    let tools = TOOLS.get_or_init(|| {
        let tools = CONTAINER_TOOLS.iter().chain(&COPY_TOOLS).chain(&KUBE_TOOLS);
        AhoCorasick::new(tools).ok()
    });
    // The automaton is built from constants; should it ever fail, look at every window.
    let Some(tools) = tools else {
        return true;
    };
    let bytes = window.as_bytes();
    let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(b));
    // A whole word: `docker pull`, not `docker.io/`.
    tools.find_iter(window).any(|m| {
        let before = m.start().checked_sub(1).and_then(|i| bytes.get(i));
        !word(before) && !word(bytes.get(m.end()))
    })
}

/// The key of the block enclosing the line at `line_start` with content indentation `indent`:
/// the nearest line above with less indentation (list markers count as indentation).
pub(super) fn parent_key(text: &str, line_start: usize, indent: usize) -> String {
    let mut pos = line_start;
    let mut floor = line_start.saturating_sub(PARENT_BYTES);
    while !text.is_char_boundary(floor) {
        floor += 1;
    }
    for _ in 0..PARENT_LINES {
        if pos == 0 || pos <= floor {
            break;
        }
        let Some(above) = text.get(floor..pos - 1) else {
            break;
        };
        let start = match above.rfind('\n') {
            Some(i) => floor + i + 1,
            None if floor == 0 => 0,
            None => break, // the line starts beyond the look-behind
        };
        let line = &text[start..pos - 1];
        pos = start;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (ind, _) = content_indent(line);
        if ind < indent {
            let content = line[ind..].trim_end();
            return content
                .strip_suffix(':')
                .map(|k| k.trim_matches(['"', '\'']).to_owned())
                .unwrap_or_default();
        }
    }
    String::new()
}

/// Indentation of a line's content, counting list markers (`- `) as indentation, and whether
/// the line is a list item.
pub(crate) fn content_indent(line: &str) -> (usize, bool) {
    let mut n = 0;
    let mut item = false;
    let bytes = line.as_bytes();
    loop {
        match bytes.get(n) {
            Some(b' ' | b'\t') => n += 1,
            Some(b'-') if matches!(bytes.get(n + 1), Some(b' ') | None) => {
                item = true;
                n += 2;
            }
            _ => return (n.min(line.len()), item),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(before: &str, parent: &str) -> Use {
        use_of(before, FileKind::Hash, || parent.to_owned())
    }

    #[test]
    fn pulls_and_targets() {
        let pull = Use::Pull { appendable: true };
        assert_eq!(bare("image: ", ""), pull);
        assert_eq!(bare("    - image: \"", ""), pull);
        assert_eq!(bare("FROM ", ""), pull);
        assert_eq!(bare("from ", ""), pull);
        assert_eq!(bare("  docker pull ", ""), pull);
        assert_eq!(bare("sudo ctr -n k8s.io images pull ", ""), pull);
        assert_eq!(
            bare("docker run -it --rm -v \"${PWD}/..:/code\" ", ""),
            pull
        );
        assert_eq!(bare("skopeo copy ", ""), pull);
        assert_eq!(
            bare("flux_helm_controller_image: ", ""),
            Use::Pull { appendable: false }
        );
        assert_eq!(
            use_of("image = \"", FileKind::Python, String::new),
            Use::Mention
        );
        assert_eq!(
            use_of(
                "subprocess.run([\"docker\", \"pull\", \"",
                FileKind::Python,
                String::new
            ),
            pull
        );
        assert_eq!(
            bare("  repository: ", "image"),
            Use::Pull { appendable: false }
        );
        assert_eq!(
            bare("  newName: ", "images"),
            Use::Pull { appendable: false }
        );
        assert_eq!(bare("  - ", "images"), Use::Pull { appendable: false });

        assert_eq!(
            bare(
                "docker images | grep -q 'starlingx/bats' || docker build -t ",
                ""
            ),
            Use::Target
        );
        assert_eq!(bare("docker build --tag=", ""), Use::Target);
        assert_eq!(bare("docker tag starlingx/x:1 ", ""), Use::Target);
        assert_eq!(bare("docker push ", ""), Use::Target);
        assert_eq!(bare("docker tag ", ""), Use::Mention);
        assert_eq!(bare("docker images | grep -q '", ""), Use::Mention);

        assert_eq!(bare("git_mirror_repository: ", "vars"), Use::Mention);
        assert_eq!(bare("  - name: ", "required-projects"), Use::Mention);
        assert_eq!(bare("access.Name == \"", ""), Use::Mention);
        assert_eq!(bare("IMG=", ""), Use::Mention);
        assert_eq!(bare("the ", ""), Use::Mention);
    }

    #[test]
    fn tag_keys() {
        assert_eq!(tag_keys_for("repository"), ["tag", "imagetag", "newtag"]);
        assert_eq!(tag_keys_for("image_name"), ["tag", "imagetag", "newtag"]);
        assert_eq!(
            tag_keys_for("flux_helm_controller_image"),
            ["fluxhelmcontrollertag", "fluxhelmcontrollerimagetag"]
        );
        assert_eq!(tag_keys_for("newName"), ["newtag", "tag"]);
        assert_eq!(tag_keys_for("IMAGE"), ["tag", "imagetag", "newtag"]);
        assert!(tag_keys_for("git_mirror").is_empty());
    }

    #[test]
    fn parents() {
        let text = "images:\n- name: controller\n  newName: starlingx/x\n";
        let at = text.find("  newName").unwrap();
        assert_eq!(parent_key(text, at, 2), "images");
        let text = "image:\n  pullPolicy: x\n  repository: starlingx/x\n";
        let at = text.find("  repository").unwrap();
        assert_eq!(parent_key(text, at, 2), "image");
    }
}
