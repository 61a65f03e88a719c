//! The streaming driver: opens a (possibly compressed) container, walks its entries with the tar
//! and ar crates, hands regular members to the caller and opens nested archives in place.

use std::io::{self, Cursor, Read};
use std::rc::Rc;
use std::sync::Arc;

use super::formats::{decoder, read_head, sniff, Format};
use super::meter::{Counts, Metered, Shared, Tripped, Window};
use super::run::RunBudget;
use super::{ArchiveError, ArchiveStats, ArchiveWarning, Budgets, Member};

/// Longest member name shown, in bytes (a pax `path` has no limit of its own, and every finding
/// repeats the name): longer ones are cut, with a warning naming the member.
pub const MAX_MEMBER_NAME: usize = 1024;

/// Room for the headers between two members (a tar header, a pax header's own header, padding).
const HEADER_SLACK: u64 = 64 * 1024;

/// Reads the archive `name` from `input` (its bytes from the first), calling `on_member` for every
/// regular member that is not itself an archive, with its `!` path. Unreadable members and broken
/// containers are pushed to `warnings`; a broken budget ends the scan of this archive with an error.
///
/// An input that turns out not to be an archive (a compressed plain file) yields
/// `ArchiveStats { archives: 0, .. }`. `run` is the budget every archive of the run shares.
pub fn scan(
    name: &str,
    input: &mut dyn Read,
    budgets: &Budgets,
    run: &Arc<RunBudget>,
    on_member: &mut dyn FnMut(Member<'_>) -> io::Result<()>,
    warnings: &mut Vec<ArchiveWarning>,
) -> Result<ArchiveStats, ArchiveError> {
    let mut driver = Driver::new(name, budgets, run, on_member, warnings);
    driver.open(name, "", Box::new(input), Counts::Input, 1, Expect::Any)?;
    Ok(driver.finish())
}

/// What a stream may turn out to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Any container, possibly compressed.
    Any,
    /// Any container, already decompressed once (a second compression layer is not followed).
    Decoded,
    /// A Debian package's `data.tar` or `control.tar`, possibly compressed.
    Tar,
    /// A Debian package's `data.tar.lzma` (legacy LZMA has no magic to sniff).
    LzmaTar,
    /// The same, already decompressed.
    DecodedTar,
}

/// One top-level archive's reading: its budgets, what it cost so far, and where members and
/// warnings go.
struct Driver<'c> {
    budgets: Budgets,
    shared: Rc<Shared>,
    top: String,
    last_member: String,
    stats: ArchiveStats,
    on_member: &'c mut dyn FnMut(Member<'_>) -> io::Result<()>,
    warnings: &'c mut Vec<ArchiveWarning>,
}

impl<'c> Driver<'c> {
    fn new(
        name: &str,
        budgets: &Budgets,
        run: &Arc<RunBudget>,
        on_member: &'c mut dyn FnMut(Member<'_>) -> io::Result<()>,
        warnings: &'c mut Vec<ArchiveWarning>,
    ) -> Self {
        Self {
            budgets: *budgets,
            shared: Shared::new(budgets.total_bytes, Arc::clone(run)),
            top: name.to_owned(),
            last_member: String::new(),
            stats: ArchiveStats::default(),
            on_member,
            warnings,
        }
    }

    /// What the archive held and cost.
    fn finish(self) -> ArchiveStats {
        ArchiveStats {
            bytes: self.shared.total(),
            ..self.stats
        }
    }
}

impl Driver<'_> {
    /// Sniffs `input` and reads it as the container it is; `prefix` goes before member paths.
    fn open<'a>(
        &mut self,
        name: &str,
        prefix: &str,
        input: Box<dyn Read + 'a>,
        counts: Counts,
        depth: usize,
        expect: Expect,
    ) -> Result<(), ArchiveError> {
        let window = Window::new(u64::MAX);
        let mut stream = Metered::new(input, Rc::clone(&self.shared), Rc::clone(&window), counts);
        let head = match read_head(&mut stream) {
            Ok(head) => head,
            Err(e) => return self.failure(name, e),
        };
        let format = match expect {
            Expect::LzmaTar => Some(Format::Lzma),
            _ => sniff(&head),
        };
        let stream = Cursor::new(head).chain(stream);
        match (format, expect) {
            (Some(f), Expect::Any | Expect::Tar | Expect::LzmaTar) if f.is_compression() => {
                let decoded = match decoder(f, Box::new(stream)) {
                    Ok(d) => d,
                    Err(e) => return self.failure(name, e),
                };
                let next = if expect == Expect::Any {
                    Expect::Decoded
                } else {
                    Expect::DecodedTar
                };
                self.open(name, prefix, decoded, Counts::Decoded, depth, next)
            }
            (Some(Format::Tar), _) => {
                // A package's data.tar is part of the package, not an archive of its own.
                self.enter(name, depth, matches!(expect, Expect::Any | Expect::Decoded))?;
                self.tar(name, prefix, stream, &window, depth)
            }
            (Some(Format::Ar), Expect::Any | Expect::Decoded) => {
                self.enter(name, depth, true)?;
                self.deb(name, stream, &window, depth)
            }
            // A package's data.tar that is no tar tagman reads: dpkg would install something.
            (_, Expect::Tar | Expect::DecodedTar | Expect::LzmaTar) => {
                let why = io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a package member that is not a tar (nor a compressed one) tagman reads",
                );
                self.failure(name, why)
            }
            // A compressed plain file (`changelog.gz`), or a stream that is no archive tagman reads.
            _ => Ok(()),
        }
    }

    fn enter(&mut self, name: &str, depth: usize, count: bool) -> Result<(), ArchiveError> {
        if depth > self.budgets.depth {
            return Err(ArchiveError::TooDeep {
                archive: name.to_owned(),
                limit: self.budgets.depth,
            });
        }
        self.stats.archives += u64::from(count);
        Ok(())
    }

    fn tar(
        &mut self,
        name: &str,
        prefix: &str,
        stream: impl Read,
        window: &Window,
        depth: usize,
    ) -> Result<(), ArchiveError> {
        let mut archive = tar::Archive::new(stream);
        let mut entries = match archive.entries() {
            Ok(entries) => entries,
            Err(e) => return self.failure(name, e),
        };
        let mut pending = 0u64;
        loop {
            // What is left of the last member, then the next headers (pax and long-name data
            // included, which the tar crate buffers whole): at most one member's budget.
            window.allow(pending + self.budgets.member_bytes + HEADER_SLACK);
            let mut entry = match entries.next() {
                None => return Ok(()),
                Some(Ok(entry)) => entry,
                Some(Err(e)) => return self.failure(name, e),
            };
            self.count_member()?;
            let size = entry.size();
            pending = size.div_ceil(512) * 512;
            if !holds_file(entry.header().entry_type()) {
                continue;
            }
            let path = member_path(prefix, &entry.path_bytes());
            if path.is_empty() {
                continue;
            }
            let path = self.cut_name(name, path);
            window.allow(pending + self.budgets.member_bytes + HEADER_SLACK);
            self.member(name, &path, size, &mut entry, depth)?;
        }
    }

    /// A Debian package: `debian-binary`, then `control.tar*` (members shown under `DEBIAN/`, as
    /// in the tree `dpkg-deb --build` packs) and `data.tar*` (members shown as installed). An `ar`
    /// archive that is not a package (a static library) is not read.
    fn deb(
        &mut self,
        name: &str,
        stream: impl Read,
        window: &Window,
        depth: usize,
    ) -> Result<(), ArchiveError> {
        let mut archive = ar::Archive::new(stream);
        let mut first = true;
        let mut pending = 0u64;
        loop {
            window.allow(pending + self.budgets.member_bytes + HEADER_SLACK);
            let mut entry = match archive.next_entry() {
                None => return Ok(()),
                Some(Ok(entry)) => entry,
                Some(Err(e)) => return self.failure(name, e),
            };
            self.count_member()?;
            let id = String::from_utf8_lossy(entry.header().identifier()).into_owned();
            let size = entry.header().size();
            pending = size + (size & 1);
            if std::mem::take(&mut first) {
                if id != "debian-binary" {
                    self.stats.archives = self.stats.archives.saturating_sub(1);
                    return Ok(());
                }
                continue;
            }
            let expect = if id.ends_with(".lzma") {
                Expect::LzmaTar
            } else {
                Expect::Tar
            };
            let prefix = if id.starts_with("data.tar") {
                ""
            } else if id.starts_with("control.tar") {
                "DEBIAN/"
            } else {
                continue;
            };
            // data.tar is streamed, never held: its size needs no budget of its own.
            window.allow(pending + self.budgets.member_bytes + HEADER_SLACK);
            self.last_member.clone_from(&id);
            let input: Box<dyn Read + '_> = Box::new(&mut entry);
            self.open(name, prefix, input, Counts::Seen, depth, expect)?;
        }
    }

    /// One regular member `path` of `archive`: a nested archive is opened in place (one larger
    /// than the member budget is an error), anything else goes to the caller, whatever its size
    /// (the caller reads at most its own cap; the rest is decoded past, within the total and run
    /// budgets: a 110 MB shared library in a package is not a reason to stop reading it).
    fn member(
        &mut self,
        archive: &str,
        path: &str,
        size: u64,
        data: &mut dyn Read,
        depth: usize,
    ) -> Result<(), ArchiveError> {
        let name = format!("{archive}!{path}");
        self.last_member.clone_from(&name);
        let head = match read_head(data) {
            Ok(head) => head,
            Err(e) => return self.failure(&name, e),
        };
        if sniff(&head).is_some() {
            self.check_size(archive, path, size)?;
            let input: Box<dyn Read + '_> = Box::new(Cursor::new(head).chain(data));
            return self.open(&name, "", input, Counts::Seen, depth + 1, Expect::Any);
        }
        let mut chained = Cursor::new(head).chain(data);
        let result = (self.on_member)(Member {
            name: name.clone(),
            size,
            data: &mut chained,
        });
        match result {
            Ok(()) => Ok(()),
            Err(e) => self.failure(&name, e),
        }
    }

    /// `path` cut to [`MAX_MEMBER_NAME`] bytes (at a character boundary, ending in `…`), with a
    /// warning naming it, when it is longer.
    fn cut_name(&mut self, archive: &str, path: String) -> String {
        if path.len() <= MAX_MEMBER_NAME {
            return path;
        }
        let mut cut = MAX_MEMBER_NAME;
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        let shown = format!("{}…", &path[..cut]);
        self.warnings.push(ArchiveWarning {
            path: format!("{archive}!{shown}"),
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "its name is {} bytes, longer than {MAX_MEMBER_NAME}: it is read, shown cut",
                    path.len()
                ),
            ),
        });
        shown
    }

    fn count_member(&mut self) -> Result<(), ArchiveError> {
        self.stats.members += 1;
        if self.stats.members > self.budgets.members {
            return Err(ArchiveError::TooManyMembers {
                archive: self.top.clone(),
                limit: self.budgets.members,
            });
        }
        Ok(())
    }

    fn check_size(&self, name: &str, member: &str, size: u64) -> Result<(), ArchiveError> {
        if size > self.budgets.member_bytes {
            return Err(ArchiveError::MemberTooLarge {
                archive: name.to_owned(),
                member: member.to_owned(),
                size,
                limit: self.budgets.member_bytes,
            });
        }
        Ok(())
    }

    /// An I/O error while reading `path`: a broken budget ends the archive; anything else is a
    /// corrupt member or container, a warning.
    fn failure(&mut self, path: &str, source: io::Error) -> Result<(), ArchiveError> {
        match self.shared.tripped() {
            Some(Tripped::Run) => Err(self.shared.run().error(&self.top)),
            Some(Tripped::Total) => Err(ArchiveError::TotalBytes {
                archive: self.top.clone(),
                limit: self.budgets.total_bytes,
            }),
            Some(Tripped::Cap) => Err(ArchiveError::MemberTooLarge {
                archive: path.to_owned(),
                member: if self.last_member.is_empty() {
                    "the first header".to_owned()
                } else {
                    format!("the header after `{}`", self.last_member)
                },
                size: self.budgets.member_bytes,
                limit: self.budgets.member_bytes,
            }),
            None => {
                // A member that failed because its archive's stream broke: say it once, of the archive.
                let inside = format!("{path}!");
                while self
                    .warnings
                    .last()
                    .is_some_and(|w| w.path.starts_with(&inside))
                {
                    self.warnings.pop();
                }
                self.warnings.push(ArchiveWarning {
                    path: path.to_owned(),
                    source,
                });
                Ok(())
            }
        }
    }
}

/// Whether a tar entry of this type holds a file's bytes: regular and contiguous files, GNU
/// sparse files (the tar crate fills their holes), and types no tar standard defines, which GNU
/// tar and Python's tarfile extract as regular files. Links, devices, directories, FIFOs and the
/// headers that describe other entries hold none.
fn holds_file(kind: tar::EntryType) -> bool {
    match kind.as_byte() {
        // Regular (and pre-POSIX regular), contiguous, GNU sparse.
        b'0' | b'\0' | b'7' | b'S' => true,
        // Links, devices, directories, FIFOs; pax, GNU and Solaris headers; GNU volume labels,
        // multi-volume continuations, dump directories and old long names.
        b'1'..=b'6' | b'g' | b'x' | b'X' | b'L' | b'K' | b'V' | b'M' | b'D' | b'N' => false,
        _ => true,
    }
}

/// A member's path as shown: `prefix` then the path without `./` or a leading `/`.
fn member_path(prefix: &str, raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut path: &str = &text;
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest;
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest;
        } else {
            break;
        }
    }
    if path.is_empty() || path == "." {
        return String::new();
    }
    format!("{prefix}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_lose_dot_slash() {
        assert_eq!(
            member_path("", b"./usr/lib/helm/x.tgz"),
            "usr/lib/helm/x.tgz"
        );
        assert_eq!(member_path("DEBIAN/", b"./postinst"), "DEBIAN/postinst");
        assert_eq!(member_path("", b"./"), "");
        assert_eq!(member_path("", b"/etc/x"), "etc/x");
    }
}
