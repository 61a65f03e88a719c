//! Which archive or compression format a stream is, from its first bytes, and the decoders for
//! the compressed ones. Names are never trusted: a `.tgz` is whatever its magic says.

use std::io::{self, Read};

/// How many bytes [`sniff`] wants to see: a tar header's `ustar` magic sits at offset 257.
pub const SNIFF_LEN: usize = 512;

/// Largest window (zstd) or dictionary (xz, lzma) a decoder may allocate: `xz -9` and `xz -9e`
/// use 64 MiB, and a hostile header must not make a decoder reserve more.
pub const MAX_DECODER_WINDOW: u64 = 64 * 1024 * 1024;

/// What an LZMA decoder needs beside its dictionary (probability tables, buffers: at most 6 MiB
/// with `lc=8 lp=4`), in KiB: the memory limit is the window plus this, so every preset passes.
const LZMA_OVERHEAD_KIB: u64 = 8 * 1024;

/// A format tagman reads into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An `ar` archive (a Debian package when its first member is `debian-binary`).
    Ar,
    /// A tar archive (POSIX ustar or GNU).
    Tar,
    /// gzip (`.tgz`, `.tar.gz`, a deb's `data.tar.gz`).
    Gzip,
    /// xz (`.tar.xz`, a deb's `data.tar.xz`).
    Xz,
    /// Zstandard (`.tar.zst`, a deb's `data.tar.zst`).
    Zstd,
    /// bzip2 (`.tar.bz2`, a deb's `data.tar.bz2`).
    Bzip2,
    /// Legacy LZMA (`LZMA_Alone`: `dpkg-deb -Zlzma`'s `data.tar.lzma`). It has no magic, so it
    /// is never sniffed: only a package member named `*.lzma` is read as it, as dpkg does.
    Lzma,
}

impl Format {
    /// Whether this is a compression layer rather than a container.
    pub fn is_compression(self) -> bool {
        matches!(
            self,
            Self::Gzip | Self::Xz | Self::Zstd | Self::Bzip2 | Self::Lzma
        )
    }
}

/// The format of a stream that starts with `head` (up to [`SNIFF_LEN`] bytes), if tagman reads it.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"!<arch>\n") {
        Some(Format::Ar)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Format::Gzip)
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some(Format::Xz)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Format::Zstd)
    } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        Some(Format::Bzip2)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Reads up to [`SNIFF_LEN`] bytes (fewer only at the end of the stream).
pub fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    reader.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The decoded stream of a compression layer (`format` must be one).
pub fn decoder<'a>(format: Format, inner: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match format {
        // Multi-member readers: `gzip a b > c` and pbzip2 output are several concatenated streams.
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(inner)),
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            inner,
            true,
            lzma_limit_kib(),
        )),
        Format::Lzma => Box::new(lzma_rust2::LzmaReader::new_mem_limit(
            inner,
            lzma_limit_kib(),
            None,
        )?),
        Format::Zstd => Box::new(ZstdFrames::new(inner)),
        Format::Ar | Format::Tar => inner,
    })
}

/// The memory an xz or lzma decoder may use, in KiB.
fn lzma_limit_kib() -> u32 {
    u32::try_from(MAX_DECODER_WINDOW / 1024 + LZMA_OVERHEAD_KIB).unwrap_or(u32::MAX)
}

/// Every frame of a zstd stream in turn (`zstd` writes one; `pzstd` and appends write several),
/// each decoder's window capped at [`MAX_DECODER_WINDOW`].
struct ZstdFrames<'a> {
    source: Option<Box<dyn Read + 'a>>,
    frame: Option<
        ruzstd::decoding::StreamingDecoder<Box<dyn Read + 'a>, ruzstd::decoding::FrameDecoder>,
    >,
}

impl<'a> ZstdFrames<'a> {
    fn new(source: Box<dyn Read + 'a>) -> Self {
        Self {
            source: Some(source),
            frame: None,
        }
    }
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(frame) = &mut self.frame {
                let n = frame.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                let Some(frame) = self.frame.take() else {
                    return Ok(0);
                };
                self.source = Some(frame.into_inner());
            }
            let Some(mut source) = self.source.take() else {
                return Ok(0);
            };
            // Another frame, or the end: peek one byte without losing it.
            let mut first = [0u8; 1];
            if source.read(&mut first)? == 0 {
                return Ok(0);
            }
            let chained: Box<dyn Read + '_> = Box::new(io::Cursor::new(first).chain(source));
            let frame = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                chained,
                MAX_DECODER_WINDOW,
            )
            .map_err(io::Error::other)?;
            self.frame = Some(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_decides() {
        assert_eq!(sniff(b"!<arch>\ndebian-binary"), Some(Format::Ar));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Format::Gzip));
        assert_eq!(sniff(b"BZh9"), Some(Format::Bzip2));
        assert_eq!(sniff(b"BZhx"), None);
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&tar), Some(Format::Tar));
        assert_eq!(sniff(b"image: docker.io/starlingx/x:1\n"), None);
        assert_eq!(sniff(b""), None);
    }
}
