//! ISO 9660 images (the installer ISO that holds a release's packages) as scan inputs. The image
//! is listed, never read whole: hadris-iso reads the volume descriptors and streams the
//! directory records (Rock Ridge names first, then Joliet, then plain ISO 9660) into a list of
//! files and where their data lies ([`list_iso`]); each file is then read from its extents
//! ([`IsoFile::data`]) as a file on disk would be, under its `!` path
//! (`release.iso!pool/main/s/stx-ptp/stx-ptp_1.0-1_all.deb!usr/lib/helm/…`), a package on the
//! image being a top-level archive with budgets of its own, as in a directory.
//!
//! A hostile image ends in a budget error or a warning naming it: a directory read twice (a loop)
//! is not read again, data past the end of the image is not read, nor a file whose data overlaps
//! another's (so no byte of the image is read as two files); every directory record counts
//! against the member budget, every metadata byte read against the total budget.

mod source;

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use hadris_iso::directory::DirectoryRef;
use hadris_iso::file::EntryType;
use hadris_iso::read::{DirEntry, IsoImage};

use super::meter::Shared;
use super::{ArchiveError, ArchiveWarning, Budgets};
use source::{hadris_error, Gate, IsoSource};

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

/// A regular file on an ISO image: its path on the image and where its data lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsoFile {
    /// Its path on the image (`pool/main/s/stx-ptp/stx-ptp_1.0-1_all.deb`).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its extents: byte offset in the image and length.
    extents: Vec<(u64, u64)>,
}

impl IsoFile {
    /// Its bytes, read from `image` (the same image; any handle on it).
    pub fn data<'r, R: Read + Seek + ?Sized>(&self, image: &'r mut R) -> impl Read + 'r {
        ExtentReader {
            image,
            extents: self.extents.clone(),
            index: 0,
            offset: 0,
        }
    }
}

/// What is on an image: its regular files, in directory order.
#[derive(Debug, Default)]
pub struct IsoListing {
    /// The files whose data can be read.
    pub files: Vec<IsoFile>,
    /// Directory records read (files, directories and the rest).
    pub records: u64,
}

/// Lists the regular files on the ISO 9660 image `name` read from `image`, without reading their
/// data. What cannot be listed is pushed to `warnings` and the listing goes on: a directory
/// already listed (a loop), data past the end of the image, a path over 4 KiB, a file whose data
/// overlaps another's (a file sharing another's data exactly, a hard link, is listed once). The
/// directory records count against `budgets.members` and the bytes read against
/// `budgets.total_bytes`; breaking either is an error.
pub fn list_iso<R: Read + Seek>(
    name: &str,
    image: R,
    budgets: &Budgets,
    warnings: &mut Vec<ArchiveWarning>,
) -> Result<IsoListing, ArchiveError> {
    // The listing's own reads: the image's metadata, not decompressed, so the run's budget is
    // not concerned (each file's archive is read later against it).
    let run = std::sync::Arc::new(super::RunBudget::new(budgets));
    let shared = Shared::new(budgets.total_bytes, run);
    let mut lister = Lister {
        name,
        budgets,
        shared: Rc::clone(&shared),
        warnings,
        listing: IsoListing::default(),
        data: BTreeMap::new(),
    };
    let gate = Gate::new(OPEN_CAP);
    let source = match IsoSource::new(image, Rc::clone(&shared), Rc::clone(&gate)) {
        Ok(source) => source,
        Err(e) => return lister.warn(name, e).map(|()| IsoListing::default()),
    };
    let len = source.len();
    let iso = match IsoImage::open(source) {
        Ok(iso) => iso,
        Err(_) if gate.over() => {
            let why =
                format!("its volume descriptors and path table take more than {OPEN_CAP} bytes");
            return lister
                .warn(name, invalid(why))
                .map(|()| IsoListing::default());
        }
        Err(e) => {
            let e = hadris_error(e);
            let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                "the image ends inside its volume descriptors or path table".to_owned()
            } else {
                format!("its volume descriptors or path table: {e}")
            };
            return lister
                .warn(name, invalid(why))
                .map(|()| IsoListing::default());
        }
    };
    gate.lift();
    // Rock Ridge (POSIX names) when the image has it, else Joliet, else ISO 9660 names.
    let Some(root) = iso.root_dirs().try_best_choice() else {
        let why = invalid("it has no directory tree".to_owned());
        return lister.warn(name, why).map(|()| IsoListing::default());
    };
    let image = Image {
        iso: &iso,
        len,
        joliet: matches!(root.entry_type(), EntryType::Joliet { .. }),
    };
    lister.tree(&image, root.dir_ref())?;
    Ok(lister.listing)
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

/// The image being listed, and what every record of it needs to know.
struct Image<'i, R: Read + Seek> {
    iso: &'i IsoImage<IsoSource<R>>,
    len: u64,
    /// Whether the names are Joliet's (UCS-2).
    joliet: bool,
}

fn invalid(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// One image's listing under way.
struct Lister<'l> {
    name: &'l str,
    budgets: &'l Budgets,
    shared: Rc<Shared>,
    warnings: &'l mut Vec<ArchiveWarning>,
    listing: IsoListing,
    /// The data of every file listed: start offset → (end offset, path).
    data: BTreeMap<u64, (u64, String)>,
}

impl Lister<'_> {
    /// A warning about `path`, unless the total budget broke: then its error.
    fn warn(&mut self, path: &str, source: io::Error) -> Result<(), ArchiveError> {
        if self.shared.tripped().is_some() {
            return Err(ArchiveError::TotalBytes {
                archive: self.name.to_owned(),
                limit: self.budgets.total_bytes,
            });
        }
        self.warnings.push(ArchiveWarning {
            path: path.to_owned(),
            source,
        });
        Ok(())
    }

    /// Every directory from the root down, depth first, each read once.
    fn tree<R: Read + Seek>(
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
                            self.name.to_owned()
                        } else {
                            format!("{}!{dir_path}", self.name)
                        };
                        let why = format!("a directory record: {}", hadris_error(e));
                        self.warn(&at, invalid(why))?;
                        break;
                    }
                };
                if let Some((name, sub)) = self.entry(image, &dir_path, &entry, &mut read)? {
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

    /// One record of the directory at `dir_path`: a file is listed now, a directory not read yet
    /// is returned (its name and where it is) to be read later.
    fn entry<R: Read + Seek>(
        &mut self,
        image: &Image<'_, R>,
        dir_path: &str,
        entry: &DirEntry,
        read: &mut HashSet<usize>,
    ) -> Result<Option<(String, DirectoryRef)>, ArchiveError> {
        if entry.is_special() {
            return Ok(None);
        }
        self.listing.records += 1;
        if self.listing.records > self.budgets.members {
            return Err(ArchiveError::TooManyMembers {
                archive: self.name.to_owned(),
                limit: self.budgets.members,
            });
        }
        let file_name = entry_name(entry, image.joliet);
        let path = if dir_path.is_empty() {
            file_name.clone()
        } else {
            format!("{dir_path}/{file_name}")
        };
        let member = format!("{}!{path}", self.name);
        let why =
            if matches!(file_name.as_str(), "" | "." | "..") || file_name.contains(['/', '\0']) {
                format!("its name {file_name:?} is not a file name")
            } else if path.len() > MAX_PATH {
                format!("its path is longer than {MAX_PATH} bytes")
            } else if !entry.is_directory() {
                if is_regular(entry) {
                    self.file(image, path, entry)?;
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

    /// One regular file: listed when its data lies inside the image and overlaps no other
    /// file's; a file with exactly another's data (a hard link) is that file, listed once.
    fn file<R: Read + Seek>(
        &mut self,
        image: &Image<'_, R>,
        path: String,
        entry: &DirEntry,
    ) -> Result<(), ArchiveError> {
        let member = format!("{}!{path}", self.name);
        let mut extents = Vec::new();
        for extent in entry.extents() {
            let start = extent.sector.0 as u64 * 2048;
            let length = u64::from(extent.length);
            let end = start + length;
            if end > image.len {
                let why = format!(
                    "its data (bytes {start}..{end}) lies past the end of the image ({} bytes)",
                    image.len
                );
                return self.warn(&member, invalid(why));
            }
            if length > 0 {
                extents.push((start, end));
            }
        }
        let mut same = 0;
        for &(start, end) in &extents {
            match self.overlap(start, end) {
                Some((s, e, _)) if (s, e) == (start, end) => same += 1,
                Some((_, _, other)) => {
                    let why = format!("its data overlaps that of `{other}`; not read");
                    return self.warn(&member, invalid(why));
                }
                None => {}
            }
        }
        if !extents.is_empty() && same == extents.len() {
            return Ok(());
        }
        for &(start, end) in &extents {
            self.data.insert(start, (end, path.clone()));
        }
        self.listing.files.push(IsoFile {
            path,
            size: entry.total_size(),
            extents: extents.iter().map(|&(s, e)| (s, e - s)).collect(),
        });
        Ok(())
    }

    /// A listed file's data range that overlaps `start..end`, if any.
    fn overlap(&self, start: u64, end: u64) -> Option<(u64, u64, String)> {
        let before = self.data.range(..=start).next_back();
        let after = self.data.range(start..end).next();
        [before, after]
            .into_iter()
            .flatten()
            .find(|(&s, &(e, _))| s < end && start < e)
            .map(|(&s, (e, path))| (s, *e, path.clone()))
    }
}

/// One file's data: its extents (byte offset, length) read in turn from the image.
struct ExtentReader<'r, R: ?Sized> {
    image: &'r mut R,
    extents: Vec<(u64, u64)>,
    index: usize,
    offset: u64,
}

impl<R: Read + Seek + ?Sized> Read for ExtentReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(&(start, length)) = self.extents.get(self.index) {
            let left = length.saturating_sub(self.offset);
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let n = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
            self.image.seek(SeekFrom::Start(start + self.offset))?;
            let got = self.image.read(&mut buf[..n])?;
            if got == 0 && n > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the image ends inside the file's data",
                ));
            }
            self.offset += got as u64;
            return Ok(got);
        }
        Ok(0)
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
    use std::io::Cursor;

    #[test]
    fn a_file_is_its_extents_in_turn_and_a_cut_image_is_an_error() {
        let image: Vec<u8> = (0..100u8).collect();
        let file = IsoFile {
            path: "f".to_owned(),
            size: 7,
            extents: vec![(10, 3), (50, 0), (90, 4)],
        };
        let mut text = Vec::new();
        file.data(&mut Cursor::new(&image))
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, [10, 11, 12, 90, 91, 92, 93]);
        let cut = IsoFile {
            extents: vec![(98, 4)],
            ..file
        };
        let mut text = Vec::new();
        let err = cut
            .data(&mut Cursor::new(&image))
            .read_to_end(&mut text)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

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
