//! Shared by the fuzz targets: an allocator that records the peak heap use of one call, so each
//! target can assert "never more than N× the input in memory", not only "never a panic".

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Heap bytes a reader may use beyond `FACTOR` × its input: buffers of fixed size (the CSV
/// reader's, gzip's window) and the cost model's tables.
pub const SLACK: usize = 4 << 20;
/// How many times its input a reader may hold at once.
pub const FACTOR: usize = 64;

/// [`System`] with a running and a peak count of live bytes.
pub struct PeakAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Run `f` and panic (a fuzzer finding) if its peak heap growth exceeds the bound for an
/// input of `input_len` bytes.
pub fn within_memory_bound<T>(input_len: usize, f: impl FnOnce() -> T) -> T {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let grown = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let bound = SLACK + FACTOR * input_len;
    assert!(grown <= bound, "used {grown} bytes of heap for {input_len} bytes of input (bound {bound})");
    out
}

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;
