//! Byte budgets enforced where the bytes flow: a reader wrapper that counts what every decoder
//! produces against the archive's total budget, and stops a container reader at a cap its driver
//! moves forward entry by entry (so a tar header cannot make the tar crate buffer gigabytes of
//! pax or long-name data before we see the entry).

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;

use super::run::RunBudget;

/// Which budget a read broke, remembered so an `io::Error` out of a third-party reader can be
/// turned back into the typed error that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tripped {
    /// The total decompressed bytes of the top-level archive.
    Total,
    /// A container read past the cap its driver set (a header or member larger than one member may be).
    Cap,
    /// The run's budget, shared by every archive of the run.
    Run,
}

/// What a metered stream's bytes are to the budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Counts {
    /// The archive as stored: counted in its total and as input the run's ratio is earned by.
    Input,
    /// A decoder's output: counted in its total and against the run's budget.
    Decoded,
    /// Bytes another metered stream counted already.
    Seen,
}

/// State shared by every stream of one top-level archive (all on one thread).
#[derive(Debug)]
pub(super) struct Shared {
    total: Cell<u64>,
    limit: u64,
    tripped: Cell<Option<Tripped>>,
    run: Arc<RunBudget>,
}

impl Shared {
    pub(super) fn new(limit: u64, run: Arc<RunBudget>) -> Rc<Self> {
        Rc::new(Self {
            total: Cell::new(0),
            limit,
            tripped: Cell::new(None),
            run,
        })
    }

    /// The run's budget.
    pub(super) fn run(&self) -> &RunBudget {
        &self.run
    }

    /// The budget a read broke, if one did.
    pub(super) fn tripped(&self) -> Option<Tripped> {
        self.tripped.get()
    }

    /// Decompressed bytes so far.
    pub(super) fn total(&self) -> u64 {
        self.total.get()
    }

    /// An error when a budget already broke: nothing more is read.
    pub(super) fn check(&self) -> io::Result<()> {
        match self.tripped.get() {
            Some(why) => Err(self.trip(why)),
            None => Ok(()),
        }
    }

    /// Counts `n` more bytes of the kind `counts`; past a budget, trips it.
    pub(super) fn count(&self, n: u64, counts: Counts) -> io::Result<()> {
        match counts {
            Counts::Seen => return Ok(()),
            Counts::Input => self.run.add_input(n),
            Counts::Decoded => {
                if !self.run.add_expanded(n) {
                    return Err(self.trip(Tripped::Run));
                }
            }
        }
        let total = self.total.get().saturating_add(n);
        self.total.set(total);
        if total > self.limit {
            return Err(self.trip(Tripped::Total));
        }
        Ok(())
    }

    fn trip(&self, why: Tripped) -> io::Error {
        self.tripped.set(Some(why));
        io::Error::other(match why {
            Tripped::Total => "total decompressed bytes budget exceeded",
            Tripped::Cap => "member budget exceeded",
            Tripped::Run => "the run's decompression budget exceeded",
        })
    }
}

/// Position and cap of one stream, read by its container driver.
#[derive(Debug, Default)]
pub(super) struct Window {
    pos: Cell<u64>,
    cap: Cell<u64>,
}

impl Window {
    pub(super) fn new(cap: u64) -> Rc<Self> {
        Rc::new(Self {
            pos: Cell::new(0),
            cap: Cell::new(cap),
        })
    }

    /// Allows reading up to `more` bytes past the current position.
    pub(super) fn allow(&self, more: u64) {
        self.cap.set(self.pos.get().saturating_add(more));
    }
}

/// A reader that counts into the shared total (when it carries decoded bytes) and stops at its
/// window's cap.
pub(super) struct Metered<R> {
    inner: R,
    shared: Rc<Shared>,
    window: Rc<Window>,
    counts: Counts,
}

impl<R: Read> Metered<R> {
    /// `counts`: what these bytes are to the budgets.
    pub(super) fn new(inner: R, shared: Rc<Shared>, window: Rc<Window>, counts: Counts) -> Self {
        Self {
            inner,
            shared,
            window,
            counts,
        }
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.shared.check()?;
        let room = self.window.cap.get().saturating_sub(self.window.pos.get());
        if room == 0 {
            return Err(self.shared.trip(Tripped::Cap));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.window.pos.set(self.window.pos.get() + n as u64);
        self.shared.count(n as u64, self.counts)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_and_cap_trip_and_stay_tripped() {
        let run = Arc::new(RunBudget::new(&super::super::Budgets::default()));
        let shared = Shared::new(10, Arc::clone(&run));
        let window = Window::new(u64::MAX);
        let mut r = Metered::new(io::repeat(0), Rc::clone(&shared), window, Counts::Decoded);
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        assert!(r.read(&mut buf).is_err());
        assert_eq!(shared.tripped(), Some(Tripped::Total));

        let shared = Shared::new(u64::MAX, run);
        let window = Window::new(5);
        let mut r = Metered::new(
            io::repeat(0),
            Rc::clone(&shared),
            Rc::clone(&window),
            Counts::Seen,
        );
        assert_eq!(r.read(&mut buf).unwrap(), 5);
        assert!(r.read(&mut buf).is_err());
        assert_eq!(shared.tripped(), Some(Tripped::Cap));
        assert_eq!(shared.total(), 0, "uncounted stream");
    }
}
