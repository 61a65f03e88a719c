//! What kind of file a text is (by its name) and where its comments are: line comments (`#`,
//! `//`), block comments (`/* */`, Helm's `{{/* */}}`, Jinja's `{# #}`, `<!-- -->`) and Python
//! docstrings. A reference inside one is an example for a reader, not something anything pulls.
//!
//! Everything here is linear in the text: block comments are found by substring searches that
//! advance with the positions asked about (a file whose only hit is on its first line is not
//! searched further), and a line's comment start is computed once per line, however many hits
//! it holds.

use memchr::memmem;

/// The kind of a file, which decides its comment syntax and whether it is prose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Documentation (`.md`, `.rst`, `.txt`, `.adoc`, `.html`): prose for readers, never pulled.
    Docs,
    /// YAML, Dockerfiles, Ansible, config files: data with `#` comments.
    Hash,
    /// Shell, Makefiles, Perl, Ruby, Puppet: code with `#` comments.
    Shell,
    /// Helm and Jinja templates (`.tpl`, `.j2`, templates' YAML): `#`, `{{/* */}}`, `{# #}`.
    Template,
    /// Python: `#` comments and docstrings.
    Python,
    /// C-family languages, Go, JavaScript, JSON5: `//` and `/* */`.
    Slash,
    /// XML: `<!-- -->`.
    Markup,
    /// JSON: no comments.
    Json,
    /// A unified diff (`.patch`, `.diff`): lines it removes are not references, lines it adds
    /// and keeps are read like YAML with the diff's one-byte prefix skipped.
    Patch,
    /// A text of unknown kind: only a `#` that starts a line is a comment.
    Unknown,
}

impl FileKind {
    /// The kind of a file called `name` (a path; only its last component counts).
    pub fn of(name: &str) -> Self {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let lower = base.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
        match ext {
            "md" | "markdown" | "rst" | "txt" | "adoc" | "asciidoc" | "html" | "htm" => Self::Docs,
            "py" | "pyi" => Self::Python,
            "tpl" | "j2" | "jinja" | "jinja2" | "gotmpl" => Self::Template,
            "go" | "c" | "h" | "cc" | "cpp" | "hpp" | "java" | "js" | "mjs" | "ts" | "rs"
            | "groovy" | "gradle" | "kt" | "scala" | "swift" | "proto" | "json5" | "jsonc"
            | "cs" => Self::Slash,
            "xml" | "xsd" | "svg" => Self::Markup,
            "json" => Self::Json,
            "yaml" | "yml" | "conf" | "cfg" | "ini" | "toml" | "env" | "tf" | "service" => {
                Self::Hash
            }
            "patch" | "diff" => Self::Patch,
            "sh" | "bash" | "ksh" | "zsh" | "mk" | "spec" | "pp" | "rb" | "pl" | "pm" | "bats" => {
                Self::Shell
            }
            _ if lower.starts_with("dockerfile") || lower.starts_with("containerfile") => {
                Self::Hash
            }
            _ if lower == "makefile" => Self::Shell,
            _ if lower == "jenkinsfile" => Self::Slash,
            _ => Self::Unknown,
        }
    }

    /// Whether it is code, where a variable holding a bare name may get its tag elsewhere (a
    /// file of unknown kind is read as data, like YAML).
    pub fn is_code(self) -> bool {
        matches!(self, Self::Shell | Self::Python | Self::Slash)
    }

    /// Whether a `{{/* */}}` or `{# #}` template comment can occur (YAML may be a Helm template).
    fn template_comments(self) -> bool {
        matches!(self, Self::Template | Self::Hash | Self::Patch)
    }

    /// The diff prefix of a line of this kind of file (`+`, `-` or a space), if it has one.
    pub(crate) fn diff_prefix(self, line: &str) -> Option<u8> {
        if self != Self::Patch || line.starts_with("+++ ") || line.starts_with("--- ") {
            return None;
        }
        line.bytes()
            .next()
            .filter(|b| matches!(b, b'+' | b'-' | b' '))
    }
}

/// Where the comments of one text are, answered position by position in increasing order.
#[derive(Debug)]
pub struct Comments<'t> {
    text: &'t str,
    kind: FileKind,
    /// The block openers and closers of this kind of file.
    pairs: Vec<(&'static [u8], &'static [u8])>,
    /// Block comments and docstrings found so far, sorted, not overlapping.
    blocks: Vec<(usize, usize)>,
    /// Every block starting before this offset is in `blocks`.
    scanned: usize,
    /// Where the line holding the last position asked about starts, and its comment start.
    line: Option<(usize, Option<usize>)>,
}

impl<'t> Comments<'t> {
    /// The comments of `text`, a file of `kind`.
    pub fn new(text: &'t str, kind: FileKind) -> Self {
        let mut pairs: Vec<(&'static [u8], &'static [u8])> = Vec::new();
        if kind == FileKind::Slash {
            pairs.push((b"/*", b"*/"));
        }
        if kind.template_comments() {
            pairs.extend([
                (&b"{{/*"[..], &b"*/"[..]),
                (b"{{- /*", b"*/"),
                (b"{#", b"#}"),
            ]);
        }
        if kind == FileKind::Markup {
            pairs.push((b"<!--", b"-->"));
        }
        Self {
            text,
            kind,
            pairs,
            blocks: Vec::new(),
            scanned: 0,
            line: None,
        }
    }

    /// Whether the byte at `at` (on the line starting at `line_start`) is inside a comment.
    pub fn contains(&mut self, line_start: usize, at: usize) -> bool {
        let comment = match self.line {
            Some((start, comment)) if start == line_start => comment,
            _ => {
                let comment = line_comment_start(self.text, line_start, self.kind);
                self.line = Some((line_start, comment));
                comment
            }
        };
        comment.is_some_and(|c| c <= at) || self.in_block(at)
    }

    /// Whether `at` lies in a block comment or a docstring.
    pub fn in_block(&mut self, at: usize) -> bool {
        self.extend_to(at.saturating_add(1));
        let i = self.blocks.partition_point(|&(start, _)| start <= at);
        i > 0 && self.blocks.get(i - 1).is_some_and(|&(_, end)| at < end)
    }

    /// Finds every block that starts before `upto`.
    fn extend_to(&mut self, upto: usize) {
        let upto = upto.min(self.text.len());
        while self.scanned < upto {
            match self.next_block(self.scanned, upto) {
                Some((start, end, comment)) => {
                    if comment {
                        self.blocks.push((start, end));
                    }
                    self.scanned = end.max(start + 1);
                }
                None => self.scanned = upto,
            }
        }
    }

    /// The first block (start, end, whether it is a comment) that starts in `from..upto`: a
    /// comment, or a Python data string, which is skipped whole.
    fn next_block(&self, from: usize, upto: usize) -> Option<(usize, usize, bool)> {
        let bytes = self.text.as_bytes();
        let mut best: Option<(usize, usize, bool)> = None;
        for (open, close) in &self.pairs {
            let Some(start) = find_opener(bytes, from, upto, open) else {
                continue;
            };
            if best.is_some_and(|b| b.0 <= start) {
                continue;
            }
            let body = start + open.len();
            let end =
                memmem::find(&bytes[body..], close).map_or(bytes.len(), |j| body + j + close.len());
            best = Some((start, end, true));
        }
        if self.kind == FileKind::Python {
            if let Some(string) = triple_quoted(bytes, from, upto) {
                if best.is_none_or(|b| string.0 < b.0) {
                    best = Some(string);
                }
            }
        }
        best
    }
}

/// The first `open` starting in `from..upto`; `/*` only where it starts a comment, not inside a
/// path or a glob (`"**/*.yaml"`).
fn find_opener(bytes: &[u8], from: usize, upto: usize, open: &[u8]) -> Option<usize> {
    let window = &bytes[from..(upto + open.len() - 1).min(bytes.len())];
    let mut at = 0;
    while let Some(i) = memmem::find(&window[at..], open) {
        let start = from + at + i;
        if open != b"/*" || start == 0 || bytes[start - 1].is_ascii_whitespace() {
            return Some(start);
        }
        at += i + 1;
    }
    None
}

/// The first Python triple-quoted string starting in `from..upto` (start, end, whether it is a
/// docstring: one that starts a statement, prose rather than data).
fn triple_quoted(bytes: &[u8], from: usize, upto: usize) -> Option<(usize, usize, bool)> {
    let mut at = from;
    while at < upto {
        let start = at + memchr::memchr2(b'"', b'\'', &bytes[at..upto])?;
        let quote = bytes[start];
        let triple = [quote; 3];
        if bytes.get(start..start + 3) != Some(&triple[..]) {
            at = start + 1;
            continue;
        }
        let body = start + 3;
        let end = memmem::find(&bytes[body..], &triple).map_or(bytes.len(), |j| body + j + 3);
        let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |n| n + 1);
        let statement = bytes[line_start..start]
            .iter()
            .all(|b| b.is_ascii_whitespace() || matches!(b, b'r' | b'R' | b'u' | b'U'))
            && !continues_an_expression(bytes, line_start);
        return Some((start, end, statement));
    }
    None
}

/// Whether the code before `line_start` leaves an expression open (`f(`, `x = `, `[a,`), so a
/// string starting the line is an argument or a value, not a docstring. Looks back at most
/// [`CONTINUATION_LOOK_BEHIND`] bytes.
fn continues_an_expression(bytes: &[u8], line_start: usize) -> bool {
    let floor = line_start.saturating_sub(CONTINUATION_LOOK_BEHIND);
    bytes[floor..line_start]
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| b"([{,=+%\\".contains(b))
}

/// How far back [`continues_an_expression`] looks for the last byte of code.
const CONTINUATION_LOOK_BEHIND: usize = 256;

/// The offset where a line comment starts on the line beginning at `line_start`, if one does:
/// a marker outside quotes, at the start of the line or after whitespace.
fn line_comment_start(text: &str, line_start: usize, kind: FileKind) -> Option<usize> {
    let bytes = text.as_bytes();
    let rest = bytes.get(line_start..)?;
    let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
    let (hash, slash) = match kind {
        FileKind::Docs | FileKind::Json | FileKind::Markup => return None,
        FileKind::Hash | FileKind::Shell | FileKind::Template | FileKind::Python => (true, false),
        FileKind::Patch => {
            // `+# x`: the comment marker follows the diff's prefix.
            let text_line = std::str::from_utf8(line).unwrap_or("");
            if kind.diff_prefix(text_line).is_some() {
                let shifted = line_comment_start(text, line_start + 1, FileKind::Hash)?;
                return Some(shifted);
            }
            (true, false)
        }
        FileKind::Slash => (false, true),
        FileKind::Unknown => {
            let first = line.iter().position(|b| !b.is_ascii_whitespace())?;
            return (line[first] == b'#').then_some(line_start + first);
        }
    };
    let (mut double, mut single) = (false, false);
    let mut prev = b' ';
    for (i, &b) in line.iter().enumerate() {
        let boundary = prev.is_ascii_whitespace() || i == 0;
        match b {
            b'\\' if double || single => {
                prev = 0; // the next byte is escaped
                continue;
            }
            b'"' if !single && prev != 0 => double = !double,
            // An apostrophe inside a word (`don't`) opens nothing.
            b'\'' if !double && (single || !prev.is_ascii_alphanumeric()) && prev != 0 => {
                single = !single;
            }
            b'#' if hash && !double && !single && boundary => return Some(line_start + i),
            b'/' if slash && !double && !single && boundary && line.get(i + 1) == Some(&b'/') => {
                return Some(line_start + i)
            }
            _ => {}
        }
        prev = b;
    }
    None
}

/// An inline suppression: `tagman: ignore` or `tagman: ignore[TM201, floating-reference]` in a
/// comment. It covers its own line, and the next one when the comment is alone on its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The byte range of the lines it covers.
    pub covers: std::ops::Range<usize>,
    /// The rules it names (codes or names as written); `None`: every rule.
    pub rules: Option<Vec<String>>,
}

impl Suppression {
    /// Whether it silences rule `code`/`name` at byte `at`.
    pub fn silences(&self, at: usize, code: &str, name: &str) -> bool {
        self.covers.contains(&at)
            && self.rules.as_ref().is_none_or(|rules| {
                rules
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(code) || r == name)
            })
    }
}

/// The marker of an inline suppression.
pub const SUPPRESSION_MARKER: &str = "tagman: ignore";

/// Every suppression marker of `text`, a file of `kind`, that stands in a comment. Looked for
/// only in files with findings, so the search costs nothing where there is nothing to silence.
pub fn suppressions(text: &str, kind: FileKind) -> Vec<Suppression> {
    let comments = &mut Comments::new(text, kind);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for at in memmem::find_iter(bytes, SUPPRESSION_MARKER.as_bytes()) {
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |n| n + 1);
        if !comments.contains(line_start, at) {
            continue;
        }
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n);
        let after = &text[at + SUPPRESSION_MARKER.len()..line_end];
        let rules = after
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .map(|(list, _)| {
                list.split(',')
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty())
                    .collect::<Vec<_>>()
            });
        // A marker alone on its line (only the comment opener before it) covers the next line.
        let before = text[line_start..at].trim();
        let alone = before
            .trim_start_matches(['#', '/', '*', '{', '-', '<', '!'])
            .trim()
            .is_empty();
        let end = if alone && line_end < bytes.len() {
            memchr::memchr(b'\n', &bytes[line_end + 1..]).map_or(bytes.len(), |n| line_end + 1 + n)
        } else {
            line_end
        };
        out.push(Suppression {
            covers: line_start..end + 1,
            rules,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commented(text: &str, kind: FileKind, needle: &str) -> bool {
        let at = text.find(needle).unwrap();
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        Comments::new(text, kind).contains(line_start, at)
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(FileKind::of("a/README.md"), FileKind::Docs);
        assert_eq!(FileKind::of("x/values.yaml"), FileKind::Hash);
        assert_eq!(FileKind::of("Dockerfile.debian"), FileKind::Hash);
        assert_eq!(FileKind::of("main.go"), FileKind::Slash);
        assert_eq!(FileKind::of("default.json5"), FileKind::Slash);
        assert_eq!(FileKind::of("kube_app.py"), FileKind::Python);
        assert_eq!(FileKind::of("_helpers.tpl"), FileKind::Template);
        assert_eq!(FileKind::of("run-bats"), FileKind::Unknown);
        assert_eq!(FileKind::of("build.sh"), FileKind::Shell);
    }

    #[test]
    fn line_comments_respect_quotes_and_urls() {
        assert!(commented(
            "# docker.io/starlingx/x:latest\n",
            FileKind::Hash,
            "docker"
        ));
        assert!(commented(
            "a: 1  # docker.io/starlingx/x\n",
            FileKind::Hash,
            "docker"
        ));
        assert!(!commented(
            "a: \"x # y\" docker.io/starlingx/x\n",
            FileKind::Hash,
            "docker"
        ));
        assert!(!commented(
            "a: x#y docker.io/starlingx/x\n",
            FileKind::Hash,
            "docker"
        ));
        assert!(!commented(
            "don't # stop\nx: docker.io/s\n",
            FileKind::Hash,
            "docker"
        ));
        assert!(commented(
            "x := 1 // docker.io/s\n",
            FileKind::Slash,
            "docker"
        ));
        assert!(!commented(
            "u := \"https://docker.io/s\"\n",
            FileKind::Slash,
            "docker"
        ));
        assert!(commented("  # docker.io/s\n", FileKind::Unknown, "docker"));
        assert!(!commented("a # docker.io/s\n", FileKind::Unknown, "docker"));
        assert!(!commented("# docker.io/s\n", FileKind::Docs, "docker"));
    }

    #[test]
    fn blocks_and_docstrings() {
        let go = "x := \"**/*.yaml\"\n/* docker.io/s */\ny := \"docker.io/t\"\n";
        assert!(commented(go, FileKind::Slash, "docker.io/s"));
        assert!(!commented(go, FileKind::Slash, "docker.io/t"));
        let helm = "{{/* image: docker.io/s */}}\nimage: docker.io/t\n{{- /* docker.io/u\n*/ -}}\n";
        assert!(commented(helm, FileKind::Template, "docker.io/s"));
        assert!(!commented(helm, FileKind::Template, "docker.io/t"));
        assert!(commented(helm, FileKind::Hash, "docker.io/u"));
        let py = "def f():\n    \"\"\"Example:\n    docker.io/s\n    \"\"\"\n    x = \"\"\"docker.io/t\"\"\"\n";
        assert!(commented(py, FileKind::Python, "docker.io/s"));
        assert!(!commented(py, FileKind::Python, "docker.io/t"));
        assert!(commented(
            "<!-- docker.io/s -->",
            FileKind::Markup,
            "docker"
        ));
    }

    #[test]
    fn suppression_markers() {
        let text = "# tagman: ignore[TM201, undeclared-tag]\na: x\nb: y # tagman: ignore\nc: z\nd: '# tagman: ignore'\n";
        let found = suppressions(text, FileKind::Hash);
        assert_eq!(found.len(), 2, "{found:?}");
        let a = text.find("a: x").unwrap();
        assert!(found[0].silences(a, "TM201", "floating-reference"));
        assert!(found[0].silences(a, "TM202", "undeclared-tag"));
        assert!(!found[0].silences(a, "TM203", "build-tag-reference"));
        let b = text.find("b: y").unwrap();
        let c = text.find("c: z").unwrap();
        assert!(found[1].silences(b, "TM203", "x"));
        assert!(!found[1].silences(c, "TM203", "x"));
    }
}
