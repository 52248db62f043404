//! A progress line for long sweeps: on stderr, and only when stderr is a terminal (so pipes and
//! CI logs stay clean).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Progress {
    label: &'static str,
    total: usize,
    done: AtomicUsize,
    enabled: bool,
}

impl Progress {
    pub fn new(label: &'static str, total: usize) -> Progress {
        Progress { label, total, done: AtomicUsize::new(0), enabled: std::io::stderr().is_terminal() && total > 1 }
    }

    /// One more item done (thread-safe).
    pub fn tick(&self) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let step = (self.total / 100).max(1);
        if self.enabled && (d.is_multiple_of(step) || d == self.total) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}: {d}/{} ({:.0}%)", self.label, self.total, 100.0 * d as f64 / self.total as f64);
            let _ = err.flush();
        }
    }

    pub fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}
