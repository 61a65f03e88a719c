//! The bytes of an ISO image as hadris-iso reads them while it is listed: random access to the
//! image through one cached block (hadris-iso reads a directory record a few bytes at a time,
//! each after a seek), every byte delivered counted against the total budget, and the reads made
//! while the image is opened capped, so that a hostile path table cannot make the reader build
//! millions of entries.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use super::super::meter::{Counts, Shared};

/// The cached block: directory extents are contiguous, so one block serves many records.
const BLOCK: usize = 64 * 1024;

/// A cap on the bytes read through an [`IsoSource`], lifted once the image is open.
#[derive(Debug)]
pub(super) struct Gate {
    cap: Cell<u64>,
    read: Cell<u64>,
    over: Cell<bool>,
}

impl Gate {
    pub(super) fn new(cap: u64) -> Rc<Self> {
        Rc::new(Self {
            cap: Cell::new(cap),
            read: Cell::new(0),
            over: Cell::new(false),
        })
    }

    /// No cap from now on.
    pub(super) fn lift(&self) {
        self.cap.set(u64::MAX);
    }

    /// Whether a read was refused because of the cap.
    pub(super) fn over(&self) -> bool {
        self.over.get()
    }
}

/// An image (a file, or its bytes in memory) read at random through one cached block.
pub(super) struct IsoSource<R> {
    inner: R,
    len: u64,
    /// Where the next read starts.
    pos: u64,
    /// Where `inner` is, when known (a failed read or seek leaves it unknown).
    inner_pos: Option<u64>,
    block: Vec<u8>,
    block_start: u64,
    shared: Rc<Shared>,
    gate: Rc<Gate>,
}

impl<R: Read + Seek> IsoSource<R> {
    pub(super) fn new(mut inner: R, shared: Rc<Shared>, gate: Rc<Gate>) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(Self {
            inner,
            len,
            pos: 0,
            inner_pos: Some(len),
            block: Vec::new(),
            block_start: 0,
            shared,
            gate,
        })
    }

    /// The image's size in bytes.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    fn seek_inner(&mut self, to: u64) -> io::Result<()> {
        if self.inner_pos != Some(to) {
            self.inner_pos = None;
            self.inner.seek(SeekFrom::Start(to))?;
            self.inner_pos = Some(to);
        }
        Ok(())
    }

    /// Reads the block that starts at `start` (fewer bytes at the end of the image).
    fn fill(&mut self, start: u64) -> io::Result<()> {
        self.block.clear();
        self.seek_inner(start)?;
        let want = usize::try_from(self.len.saturating_sub(start)).map_or(BLOCK, |n| n.min(BLOCK));
        self.block.resize(want, 0);
        let mut got = 0;
        while got < want {
            match self.inner.read(&mut self.block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.block.clear();
                    self.inner_pos = None;
                    return Err(e);
                }
            }
        }
        self.block.truncate(got);
        self.block_start = start;
        self.inner_pos = Some(start + got as u64);
        Ok(())
    }

    /// Copies what the block holds at `pos` into `buf` (nothing when it holds nothing there).
    fn copy_cached(&self, buf: &mut [u8]) -> usize {
        let Some(at) = self.pos.checked_sub(self.block_start) else {
            return 0;
        };
        let Some(held) = usize::try_from(at).ok().and_then(|at| self.block.get(at..)) else {
            return 0;
        };
        let n = held.len().min(buf.len());
        buf[..n].copy_from_slice(&held[..n]);
        n
    }
}

impl<R: Read + Seek> Read for IsoSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.shared.check()?;
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        let room = self.gate.cap.get().saturating_sub(self.gate.read.get());
        if room == 0 {
            self.gate.over.set(true);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "ISO metadata over its cap",
            ));
        }
        let want = (buf.len() as u64).min(self.len - self.pos).min(room);
        let want = usize::try_from(want).unwrap_or(buf.len());
        let buf = &mut buf[..want];
        let mut n = self.copy_cached(buf);
        if n == 0 && want >= BLOCK {
            // A large read (a file's data) goes straight to the image, not through the block.
            self.seek_inner(self.pos)?;
            let read = self.inner.read(buf);
            self.inner_pos = read.as_ref().ok().map(|got| self.pos + *got as u64);
            n = read?;
        } else if n == 0 {
            self.fill(self.pos - self.pos % BLOCK as u64)?;
            n = self.copy_cached(buf);
        }
        self.pos += n as u64;
        self.gate.read.set(self.gate.read.get() + n as u64);
        self.shared.count(n as u64, Counts::Input)?;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for IsoSource<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(pos) = pos else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the image",
            ));
        };
        self.pos = pos;
        Ok(pos)
    }
}

/// hadris-iso's error as an `io::Error` of the same kind, its message kept.
pub(super) fn hadris_error(e: hadris_iso::sync::Error) -> io::Error {
    io::Error::new(io::ErrorKind::from(e.kind()), e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn source(bytes: Vec<u8>, total: u64, cap: u64) -> (IsoSource<Cursor<Vec<u8>>>, Rc<Gate>) {
        let gate = Gate::new(cap);
        let run = std::sync::Arc::new(crate::archive::RunBudget::new(
            &crate::archive::Budgets::default(),
        ));
        let shared = Shared::new(total, run);
        let source = IsoSource::new(Cursor::new(bytes), shared, Rc::clone(&gate)).unwrap();
        (source, gate)
    }

    #[test]
    fn reads_at_random_through_the_block_and_straight_past_it() {
        let bytes: Vec<u8> = (0..3 * BLOCK).map(|i| (i % 251) as u8).collect();
        let (mut s, _) = source(bytes.clone(), u64::MAX, u64::MAX);
        for at in [5, BLOCK - 3, 2 * BLOCK + 7, 1] {
            s.seek(SeekFrom::Start(at as u64)).unwrap();
            let mut buf = [0u8; 10];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(buf, bytes[at..at + 10], "at {at}");
        }
        s.seek(SeekFrom::Start(100)).unwrap();
        let mut big = vec![0u8; 2 * BLOCK];
        s.read_exact(&mut big).unwrap();
        assert_eq!(big, bytes[100..100 + 2 * BLOCK]);
        assert_eq!(s.seek(SeekFrom::End(0)).unwrap(), bytes.len() as u64);
        assert_eq!(s.read(&mut [0u8; 4]).unwrap(), 0);
        assert!(s
            .seek(SeekFrom::Current(-(bytes.len() as i64) - 1))
            .is_err());
    }

    #[test]
    fn the_total_budget_and_the_gate_stop_reads() {
        let (mut s, _) = source(vec![1u8; 4096], 100, u64::MAX);
        let mut buf = [0u8; 64];
        s.read_exact(&mut buf).unwrap();
        assert!(s.read_exact(&mut buf).is_err());
        assert!(s.read(&mut buf).is_err(), "stays stopped");

        let (mut s, gate) = source(vec![1u8; 4096], u64::MAX, 10);
        assert_eq!(s.read(&mut buf).unwrap(), 10);
        assert!(s.read(&mut buf).is_err());
        assert!(gate.over());
        gate.lift();
        assert_eq!(s.read(&mut buf).unwrap(), 64);
    }
}
