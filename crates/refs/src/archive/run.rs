//! The decompression budget of a whole run, shared by every archive a walk reads (on every
//! thread): expanded bytes are weighed against the archive bytes read, as zip-bomb defences do,
//! so that ten tiny bombs cannot each spend a budget of their own while a 4 GB installer ISO of
//! real packages is still read whole.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use super::{ArchiveError, Budgets};

/// What the run may still expand, and what it has read and expanded so far.
#[derive(Debug)]
pub struct RunBudget {
    input: AtomicU64,
    expanded: AtomicU64,
    floor: u64,
    ratio: u64,
    cap: u64,
    spent: AtomicBool,
    /// Archives not read after the budget broke: how many, and the first.
    skipped: Mutex<(u64, Option<String>)>,
}

impl RunBudget {
    /// A fresh budget: `budgets.total_bytes` is always allowed, beyond it `run_ratio` expanded
    /// bytes per archive byte read, never more than `run_bytes`.
    pub fn new(budgets: &Budgets) -> Self {
        Self {
            input: AtomicU64::new(0),
            expanded: AtomicU64::new(0),
            floor: budgets.total_bytes,
            ratio: budgets.run_ratio,
            cap: budgets.run_bytes,
            spent: AtomicBool::new(false),
            skipped: Mutex::new((0, None)),
        }
    }

    /// What the run allows now, given what it has read.
    pub fn limit(&self) -> u64 {
        let earned = self
            .input
            .load(Ordering::Relaxed)
            .saturating_mul(self.ratio);
        earned.max(self.floor).min(self.cap)
    }

    /// Archive bytes read (compressed, as they lie on disk or on an image).
    pub(super) fn add_input(&self, n: u64) {
        self.input.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts `n` decompressed bytes; `false` once the run is over its budget.
    pub(super) fn add_expanded(&self, n: u64) -> bool {
        let expanded = self
            .expanded
            .fetch_add(n, Ordering::Relaxed)
            .saturating_add(n);
        if expanded > self.limit() {
            self.spent.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Whether the budget broke: later archives are not read.
    pub fn is_spent(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }

    /// Notes an archive not read because the budget had broken.
    pub fn skip(&self, archive: &str) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        skipped.0 += 1;
        if skipped.1.is_none() {
            skipped.1 = Some(archive.to_owned());
        }
    }

    /// The error for the archives skipped, if any were.
    pub fn skipped(&self) -> Option<ArchiveError> {
        let skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        skipped.1.as_ref().map(|first| ArchiveError::RunSpent {
            count: skipped.0,
            first: first.clone(),
        })
    }

    /// The error naming `archive`, the one being read when the budget broke.
    pub(super) fn error(&self, archive: &str) -> ArchiveError {
        ArchiveError::RunBytes {
            archive: archive.to_owned(),
            expanded: self.expanded.load(Ordering::Relaxed),
            input: self.input.load(Ordering::Relaxed),
            limit: self.limit(),
            ratio: self.ratio,
            floor: self.floor,
            cap: self.cap,
        }
    }

    /// Decompressed bytes so far, and archive bytes read.
    pub fn figures(&self) -> (u64, u64) {
        (
            self.expanded.load(Ordering::Relaxed),
            self.input.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_between_floor_and_cap() {
        let budgets = Budgets {
            total_bytes: 100,
            run_ratio: 10,
            run_bytes: 1_000,
            ..Budgets::default()
        };
        let run = RunBudget::new(&budgets);
        assert_eq!(run.limit(), 100, "the floor before anything is read");
        assert!(run.add_expanded(100));
        run.add_input(50);
        assert_eq!(run.limit(), 500);
        assert!(run.add_expanded(400));
        run.add_input(1_000);
        assert_eq!(run.limit(), 1_000, "the absolute cap");
        assert!(!run.add_expanded(501));
        assert!(run.is_spent());
        assert!(matches!(
            run.error("x.tar.bz2"),
            ArchiveError::RunBytes {
                expanded: 1_001,
                input: 1_050,
                ..
            }
        ));
    }
}
