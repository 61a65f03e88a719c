//! ISO 9660 images (the installer ISO that holds a release's packages) as scan inputs. The image
//! is read at random, never whole: hadris-iso reads the volume descriptors and streams the
//! directory records (Rock Ridge names first, then Joliet, then plain ISO 9660), and each file's
//! extents are streamed from the image into the same driver as an archive's members, under its
//! `!` path (`release.iso!pool/main/s/stx-ptp/stx-ptp_1.0-1_all.deb!usr/lib/helm/…`). The ISO is
//! the top-level archive of its budgets and one nesting level.
//!
//! A hostile image ends in a budget error or a warning naming it: a directory read twice (a loop)
//! is not read again, data past the end of the image is not read, every directory record counts
//! against the member budget, every byte read against the total budget.

mod source;

use std::collections::HashSet;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use hadris_iso::directory::DirectoryRef;
use hadris_iso::file::EntryType;
use hadris_iso::read::{DirEntry, IsoImage};

use super::formats::{read_head, sniff};
use super::reader::Driver;
use super::{ArchiveError, ArchiveStats, ArchiveWarning, Budgets, Member};
use source::{hadris_error, ExtentReader, Gate, IsoSource};

/// Where an ISO 9660 image has its magic: the identifier of the first volume descriptor, at
/// sector 16 (after the 32 KiB system area), one byte in.
pub const ISO_MAGIC_OFFSET: u64 = 16 * 2048 + 1;

const ISO_MAGIC: &[u8; 5] = b"CD001";

/// Most bytes read while opening an image (its volume descriptors, path table and the root's
/// first record). hadris-iso keeps every path table entry (about 270 bytes each, for as little
/// as 8 bytes of table); a real path table holds one short entry per directory.
const OPEN_CAP: u64 = 2 * 1024 * 1024;

/// Longest path of a file on an image (Linux's `PATH_MAX`): deeper directories are not read.
const MAX_PATH: usize = 4096;

/// Whether `head`, a file's first bytes, holds an ISO 9660 image's magic.
pub fn has_iso_magic(head: &[u8]) -> bool {
    let start = ISO_MAGIC_OFFSET as usize;
    head.get(start..start + ISO_MAGIC.len()) == Some(ISO_MAGIC.as_slice())
}

/// Whether `image` is an ISO 9660 image: looks at its magic and seeks back to its start.
pub fn is_iso(image: &mut (impl Read + Seek)) -> io::Result<bool> {
    image.seek(SeekFrom::Start(ISO_MAGIC_OFFSET))?;
    let mut magic = Vec::with_capacity(ISO_MAGIC.len());
    image
        .by_ref()
        .take(ISO_MAGIC.len() as u64)
        .read_to_end(&mut magic)?;
    image.seek(SeekFrom::Start(0))?;
    Ok(magic == ISO_MAGIC)
}

/// Reads the ISO 9660 image `name` from `image`, calling `on_member` for every file on it that
/// is not itself an archive (archives are opened in place, as in [`super::scan`]), with its `!`
/// path. Unreadable parts are pushed to `warnings`; a broken budget ends the scan with an error.
pub fn scan_iso<R: Read + Seek>(
    name: &str,
    image: R,
    budgets: &Budgets,
    on_member: &mut dyn FnMut(Member<'_>) -> io::Result<()>,
    warnings: &mut Vec<ArchiveWarning>,
) -> Result<ArchiveStats, ArchiveError> {
    let mut driver = Driver::new(name, budgets, on_member, warnings);
    driver.iso(name, image)?;
    Ok(driver.finish())
}

/// A directory found on the image: its name and its parent's index, so that a path is built
/// when needed rather than kept for every directory waiting to be read.
struct Dir {
    parent: usize,
    name: String,
}

/// The path of directory `index` (`""` for the root).
fn path_of(dirs: &[Dir], mut index: usize) -> String {
    let mut names = Vec::new();
    while index != 0 {
        let Some(dir) = dirs.get(index) else { break };
        names.push(dir.name.as_str());
        index = dir.parent;
    }
    names.reverse();
    names.join("/")
}

/// The image being read, and what every record of it needs to know.
struct Image<'i, R: Read + Seek> {
    name: &'i str,
    iso: &'i IsoImage<IsoSource<R>>,
    len: u64,
    /// Whether the names are Joliet's (UCS-2).
    joliet: bool,
}

fn invalid(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

impl Driver<'_> {
    /// Opens the image and reads every file on it.
    fn iso<R: Read + Seek>(&mut self, name: &str, image: R) -> Result<(), ArchiveError> {
        self.enter(name, 1, true)?;
        let gate = Gate::new(OPEN_CAP);
        let source = match IsoSource::new(image, Rc::clone(&self.shared), Rc::clone(&gate)) {
            Ok(source) => source,
            Err(e) => return self.failure(name, e),
        };
        let len = source.len();
        let iso = match IsoImage::open(source) {
            Ok(iso) => iso,
            Err(_) if gate.over() => {
                let why = format!(
                    "its volume descriptors and path table take more than {OPEN_CAP} bytes"
                );
                return self.failure(name, invalid(why));
            }
            Err(e) => {
                let e = hadris_error(e);
                let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                    "the image ends inside its volume descriptors or path table".to_owned()
                } else {
                    format!("its volume descriptors or path table: {e}")
                };
                return self.failure(name, invalid(why));
            }
        };
        gate.lift();
        // Rock Ridge (POSIX names) when the image has it, else Joliet, else ISO 9660 names.
        let Some(root) = iso.root_dirs().try_best_choice() else {
            return self.failure(name, invalid("it has no directory tree".to_owned()));
        };
        let image = Image {
            name,
            iso: &iso,
            len,
            joliet: matches!(root.entry_type(), EntryType::Joliet { .. }),
        };
        self.iso_tree(&image, root.dir_ref())
    }

    /// Every directory from the root down, depth first, each read once.
    fn iso_tree<R: Read + Seek>(
        &mut self,
        image: &Image<'_, R>,
        root: DirectoryRef,
    ) -> Result<(), ArchiveError> {
        let mut dirs = vec![Dir {
            parent: 0,
            name: String::new(),
        }];
        let mut read = HashSet::from([root.extent.0]);
        let mut pending = vec![(0, root)];
        while let Some((index, dir)) = pending.pop() {
            let dir_path = path_of(&dirs, index);
            for next in image.iso.open_dir(dir).entries() {
                let entry = match next {
                    Ok(entry) => entry,
                    Err(e) => {
                        // The records after a broken one cannot be trusted: the directory ends here.
                        let at = if dir_path.is_empty() {
                            image.name.to_owned()
                        } else {
                            format!("{}!{dir_path}", image.name)
                        };
                        let why = format!("a directory record: {}", hadris_error(e));
                        self.warn(&at, invalid(why))?;
                        break;
                    }
                };
                if let Some((name, sub)) = self.iso_entry(image, &dir_path, &entry, &mut read)? {
                    dirs.push(Dir {
                        parent: index,
                        name,
                    });
                    pending.push((dirs.len() - 1, sub));
                }
            }
        }
        Ok(())
    }

    /// One record of the directory at `dir_path`: a file is read now, a directory not read yet
    /// is returned (its name and where it is) to be read later.
    fn iso_entry<R: Read + Seek>(
        &mut self,
        image: &Image<'_, R>,
        dir_path: &str,
        entry: &DirEntry,
        read: &mut HashSet<usize>,
    ) -> Result<Option<(String, DirectoryRef)>, ArchiveError> {
        if entry.is_special() {
            return Ok(None);
        }
        self.count_member()?;
        let file_name = entry_name(entry, image.joliet);
        let path = if dir_path.is_empty() {
            file_name.clone()
        } else {
            format!("{dir_path}/{file_name}")
        };
        let member = format!("{}!{path}", image.name);
        let why =
            if matches!(file_name.as_str(), "" | "." | "..") || file_name.contains(['/', '\0']) {
                format!("its name {file_name:?} is not a file name")
            } else if path.len() > MAX_PATH {
                format!("its path is longer than {MAX_PATH} bytes")
            } else if !entry.is_directory() {
                if is_regular(entry) {
                    self.iso_file(image, &path, entry)?;
                }
                return Ok(None);
            } else {
                let sub = match entry.as_dir_ref(image.iso) {
                    Ok(sub) => sub,
                    Err(e) => return self.warn(&member, hadris_error(e)).map(|()| None),
                };
                let start = sub.extent.0 as u64 * 2048;
                let end = start + sub.size as u64;
                if end > image.len {
                    format!(
                    "its records (bytes {start}..{end}) lie past the end of the image ({} bytes)",
                    image.len
                )
                } else if !read.insert(sub.extent.0) {
                    "it is a directory already read (a loop); not read again".to_owned()
                } else {
                    return Ok(Some((file_name, sub)));
                }
            };
        self.warn(&member, invalid(why)).map(|()| None)
    }

    /// One file: streamed from its extents; an archive is opened in place (one level below the
    /// image), anything else goes to the caller.
    fn iso_file<R: Read + Seek>(
        &mut self,
        image: &Image<'_, R>,
        path: &str,
        entry: &DirEntry,
    ) -> Result<(), ArchiveError> {
        let (name, len) = (image.name, image.len);
        let member = format!("{name}!{path}");
        let mut extents = Vec::new();
        for extent in entry.extents() {
            let start = extent.sector.0 as u64 * 2048;
            let end = start + u64::from(extent.length);
            if end > len {
                let why = format!(
                    "its data (bytes {start}..{end}) lies past the end of the image ({len} bytes)"
                );
                return self.warn(&member, invalid(why));
            }
            extents.push((start, u64::from(extent.length)));
        }
        let size = entry.total_size();
        let mut data = ExtentReader::new(image.iso, extents);
        let head = match read_head(&mut data) {
            Ok(head) => head,
            Err(e) => return self.failure(&member, e),
        };
        // Only what is read costs: an archive is read whole, another file only as far as the
        // caller reads it, so a large kernel or squashfs image on the ISO is no obstacle.
        if sniff(&head).is_some() {
            self.check_size(name, path, size)?;
        }
        let mut data = Cursor::new(head).chain(data);
        self.member(member, size, &mut data, 1)
    }
}

/// The name a Linux mount shows: Rock Ridge's, else Joliet's, else the ISO 9660 name without
/// its version (`;1`) and the dot of a name without an extension (`README.;1`).
fn entry_name(entry: &DirEntry, joliet: bool) -> String {
    if let Some(name) = entry
        .rrip
        .as_ref()
        .and_then(|rrip| rrip.alternate_name.as_deref())
    {
        return name.to_owned();
    }
    if joliet {
        return hadris_iso::joliet::decode_joliet_name(entry.name());
    }
    let raw = String::from_utf8_lossy(entry.name());
    let base = match raw.rsplit_once(';') {
        Some((base, version)) if version.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => &raw,
    };
    base.strip_suffix('.').unwrap_or(base).to_owned()
}

/// Whether an entry that is not a directory is a regular file (Rock Ridge also records
/// symbolic links, devices, FIFOs and sockets).
fn is_regular(entry: &DirEntry) -> bool {
    const S_IFMT: u32 = 0o170_000;
    const S_IFREG: u32 = 0o100_000;
    match &entry.rrip {
        Some(rrip) if rrip.symlink_target.is_some() => false,
        Some(rrip) => rrip
            .posix_attributes
            .as_ref()
            .is_none_or(|px| px.file_mode.read() & S_IFMT == S_IFREG),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_is_the_first_volume_descriptor() {
        let mut image = vec![0u8; 40_000];
        assert!(!has_iso_magic(&image));
        image[32_769..32_774].copy_from_slice(b"CD001");
        assert!(has_iso_magic(&image));
        assert!(!has_iso_magic(&image[..32_770]));
        let mut cursor = Cursor::new(image);
        assert!(is_iso(&mut cursor).unwrap());
        assert_eq!(cursor.position(), 0);
        assert!(!is_iso(&mut Cursor::new(vec![0u8; 100])).unwrap());
    }

    #[test]
    fn paths_are_built_from_parents() {
        let dirs = [
            Dir {
                parent: 0,
                name: String::new(),
            },
            Dir {
                parent: 0,
                name: "pool".to_owned(),
            },
            Dir {
                parent: 1,
                name: "main".to_owned(),
            },
        ];
        assert_eq!(path_of(&dirs, 0), "");
        assert_eq!(path_of(&dirs, 2), "pool/main");
    }
}
