//! Value parsers for numeric flags: each refuses NaN, infinities and out-of-range values before
//! any work starts, and clap names the flag in the one-line error.

/// Largest count flags accept where each unit costs memory or time (`-n`, `--rounds`, ...): far
/// above any useful run, far below an allocation that would exhaust memory.
pub const MAX_COUNT: usize = 100_000_000;

/// Most members of a search population: each is lowered and costed every generation.
pub const MAX_POPULATION: usize = 1_000_000;

/// A count in `LO..=HI`.
pub fn count<const LO: usize, const HI: usize>(s: &str) -> Result<usize, String> {
    let v: usize = s.trim().parse().map_err(|_| format!("`{s}` is not a whole number from {LO} to {HI}"))?;
    if !(LO..=HI).contains(&v) {
        return Err(format!("{v} is outside {LO}..={HI}"));
    }
    Ok(v)
}

/// A 64-bit count in `LO..=HI`.
pub fn count_u64<const LO: u64, const HI: u64>(s: &str) -> Result<u64, String> {
    let v: u64 = s.trim().parse().map_err(|_| format!("`{s}` is not a whole number from {LO} to {HI}"))?;
    if !(LO..=HI).contains(&v) {
        return Err(format!("{v} is outside {LO}..={HI}"));
    }
    Ok(v)
}

/// A finite number.
pub fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number"))?;
    if !v.is_finite() {
        // As typed: `1e400` parses to inf.
        return Err(format!("`{}` is not finite", s.trim()));
    }
    Ok(v)
}

/// A fraction strictly between 0 and 1 (a step of t).
pub fn open_fraction(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!("{v} is outside (0, 1)"));
    }
    Ok(v)
}

/// A finite number of at least zero.
pub fn non_negative(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v < 0.0 {
        return Err(format!("{v} must be at least 0"));
    }
    Ok(v)
}

/// A finite number greater than zero.
pub fn positive(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v <= 0.0 {
        return Err(format!("{v} must be greater than 0"));
    }
    Ok(v)
}

/// A rank correlation threshold in [-1, 1].
pub fn correlation(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if !(-1.0..=1.0).contains(&v) {
        return Err(format!("{v} is outside [-1, 1]"));
    }
    Ok(v)
}

/// A probability in [0, 1].
pub fn probability(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{v} is outside [0, 1]"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_refuse_what_makes_no_sense_and_name_it() {
        assert_eq!(count::<1, 10>("10"), Ok(10));
        for bad in ["0", "11", "-1", "1.5", "18446744073709551616", ""] {
            assert!(count::<1, 10>(bad).is_err(), "{bad}");
        }
        assert!(count_u64::<1, 5>("6").unwrap_err().contains('6'));
        for bad in ["NaN", "inf", "-inf", "1e999", "x"] {
            assert!(finite(bad).is_err(), "{bad}");
        }
        assert!(non_negative("-0.5").is_err() && non_negative("0") == Ok(0.0));
        assert!(positive("0").is_err() && positive("-1").is_err() && positive("2.5") == Ok(2.5));
        assert!(correlation("1.1").is_err() && correlation("-1") == Ok(-1.0));
        assert!(probability("1.01").is_err() && probability("0") == Ok(0.0));
    }
}
