//! Runtime choice of an AVX2 build of the hot loops.
//!
//! Release builds target baseline x86-64 (SSE2, two doubles per instruction) so that the crates
//! run on any machine; most CPUs have AVX2 (four). [`dispatch`] runs a closure inside a function
//! compiled for AVX2 when the CPU has it, so the loops it inlines are vectorised four-wide. Rust
//! never fuses `a * b + c` on its own, and every loop keeps its order of operations, so both
//! builds give bit-identical results (tested).

/// Run `f`, compiled for AVX2 if this CPU supports it. The code that should benefit must be
/// inlined into `f` (`#[inline(always)]` helpers).
#[inline(always)]
pub(crate) fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Run `f` with the baseline build only (to compare against [`dispatch`] in tests).
#[cfg(test)]
pub(crate) fn baseline<R>(f: impl FnOnce() -> R) -> R {
    f()
}
