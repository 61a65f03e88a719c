//! The streaming driver: opens a (possibly compressed) container, walks its entries with the tar
//! and ar crates, hands regular members to the caller and opens nested archives in place.

use std::io::{self, Cursor, Read};
use std::rc::Rc;

use super::formats::{decoder, read_head, sniff, Format};
use super::meter::{Metered, Shared, Tripped, Window};
use super::{ArchiveError, ArchiveStats, ArchiveWarning, Budgets, Member};

/// Room for the headers between two members (a tar header, a pax header's own header, padding).
const HEADER_SLACK: u64 = 64 * 1024;

/// Reads the archive `name` from `input` (its bytes from the first), calling `on_member` for every
/// regular member that is not itself an archive, with its `!` path. Unreadable members and broken
/// containers are pushed to `warnings`; a broken budget ends the scan of this archive with an error.
///
/// An input that turns out not to be an archive (a compressed plain file) yields
/// `ArchiveStats { archives: 0, .. }`.
pub fn scan(
    name: &str,
    input: &mut dyn Read,
    budgets: &Budgets,
    on_member: &mut dyn FnMut(Member<'_>) -> io::Result<()>,
    warnings: &mut Vec<ArchiveWarning>,
) -> Result<ArchiveStats, ArchiveError> {
    let mut driver = Driver::new(name, budgets, on_member, warnings);
    driver.open(name, "", Box::new(input), true, 1, Expect::Any)?;
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
        on_member: &'c mut dyn FnMut(Member<'_>) -> io::Result<()>,
        warnings: &'c mut Vec<ArchiveWarning>,
    ) -> Self {
        Self {
            budgets: *budgets,
            shared: Shared::new(budgets.total_bytes),
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
        counts: bool,
        depth: usize,
        expect: Expect,
    ) -> Result<(), ArchiveError> {
        let window = Window::new(u64::MAX);
        let mut stream = Metered::new(input, Rc::clone(&self.shared), Rc::clone(&window), counts);
        let head = match read_head(&mut stream) {
            Ok(head) => head,
            Err(e) => return self.failure(name, e),
        };
        let format = sniff(&head);
        let stream = Cursor::new(head).chain(stream);
        match (format, expect) {
            (Some(f), Expect::Any | Expect::Tar) if f.is_compression() => {
                let decoded = match decoder(f, Box::new(stream)) {
                    Ok(d) => d,
                    Err(e) => return self.failure(name, e),
                };
                let next = if expect == Expect::Tar {
                    Expect::DecodedTar
                } else {
                    Expect::Decoded
                };
                self.open(name, prefix, decoded, true, depth, next)
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
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = member_path(prefix, &entry.path_bytes());
            if path.is_empty() {
                continue;
            }
            self.check_size(name, &path, size)?;
            window.allow(pending + self.budgets.member_bytes + HEADER_SLACK);
            self.member(format!("{name}!{path}"), size, &mut entry, depth)?;
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
            let prefix = if id.starts_with("data.tar") {
                ""
            } else if id.starts_with("control.tar") {
                "DEBIAN/"
            } else {
                continue;
            };
            self.check_size(name, &id, size)?;
            window.allow(pending + self.budgets.member_bytes + HEADER_SLACK);
            self.last_member.clone_from(&id);
            let input: Box<dyn Read + '_> = Box::new(&mut entry);
            self.open(name, prefix, input, false, depth, Expect::Tar)?;
        }
    }

    /// One regular member: a nested archive is opened in place, anything else goes to the caller.
    fn member(
        &mut self,
        name: String,
        size: u64,
        data: &mut dyn Read,
        depth: usize,
    ) -> Result<(), ArchiveError> {
        self.last_member.clone_from(&name);
        let head = match read_head(data) {
            Ok(head) => head,
            Err(e) => return self.failure(&name, e),
        };
        if sniff(&head).is_some() {
            let input: Box<dyn Read + '_> = Box::new(Cursor::new(head).chain(data));
            return self.open(&name, "", input, false, depth + 1, Expect::Any);
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
