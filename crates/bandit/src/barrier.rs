//! A barrier that spins before it yields.
//!
//! A retrain is a hundred gradient steps of 20–100 µs each, every one ending in a rendezvous of
//! the threads that share it. Sleeping on a futex at each rendezvous (as `std::sync::Barrier` and
//! an idle rayon pool do) costs more than the step itself; spinning briefly keeps the threads
//! hot, and yielding afterwards keeps an oversubscribed machine making progress.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Spins per wait before falling back to `yield_now`.
const SPINS: u32 = 1 << 11;

/// A reusable rendezvous of a fixed number of threads.
pub(crate) struct SpinBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    /// A participant panicked: the others must not wait for it forever.
    broken: AtomicBool,
}

/// Marks the barrier broken if its thread unwinds (hold one in every participant).
pub(crate) struct PanicGuard<'a>(pub &'a SpinBarrier);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.broken.store(true, Ordering::Release);
        }
    }
}

impl SpinBarrier {
    /// A barrier for `n ≥ 1` threads.
    pub fn new(n: usize) -> SpinBarrier {
        SpinBarrier {
            n: n.max(1),
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            broken: AtomicBool::new(false),
        }
    }

    /// Block until all `n` threads have called `wait` (for this generation). Panics if another
    /// participant panicked (a bug), instead of waiting for it forever.
    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            assert!(!self.broken.load(Ordering::Acquire), "a training thread panicked");
            if spins < SPINS {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn a_panicking_participant_breaks_the_barrier_instead_of_hanging_it() {
        let barrier = SpinBarrier::new(2);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    let _guard = PanicGuard(&barrier);
                    panic!("bug in a worker");
                });
                barrier.wait();
            });
        }));
        assert!(result.is_err());
    }

    #[test]
    fn no_thread_passes_before_all_arrive() {
        let barrier = SpinBarrier::new(3);
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for round in 0..200u64 {
                        counter.fetch_add(1, Ordering::SeqCst);
                        barrier.wait();
                        // Everyone has incremented for this round, nobody for the next one yet.
                        assert_eq!(counter.load(Ordering::SeqCst), 3 * (round + 1));
                        barrier.wait();
                    }
                });
            }
        });
    }
}
