//! Sweeps split for batch schedulers without Ray (Slurm array jobs, Kubernetes indexed jobs):
//! `accel grid --shard I/N --out part-I.csv` costs block I of N of the grid, and `edgeopt merge
//! part-*.csv` checks that the parts are one sweep, each block once, and writes the rows of the
//! unsharded run.

use std::path::{Path, PathBuf};

use edgeopt::accel_sim::{Accel, Dataflow, HardwareConfig};

use super::{CliError, CliResult, Out};

/// `I/N` of `--shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// This block (0-based).
    pub index: usize,
    /// Blocks in all.
    pub count: usize,
}

impl ShardSpec {
    /// Accelerator indices `start..end` of block `index` of a grid of `len` points.
    pub fn range(&self, len: usize) -> (usize, usize) {
        (self.index * len / self.count, (self.index + 1) * len / self.count)
    }
}

/// Value parser of `--shard I/N` (0 ≤ I < N ≤ 100,000).
pub fn parse_shard(s: &str) -> Result<ShardSpec, String> {
    let bad = || format!("`{s}`: expected I/N with 0 ≤ I < N ≤ 100000, e.g. 3/16");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if count == 0 || count > 100_000 || index >= count {
        return Err(bad());
    }
    Ok(ShardSpec { index, count })
}

/// A stable 64-bit FNV-1a hash (the same in every process and on every machine), in hex.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The first line of a part: what it is a part of.
pub fn header(spec: ShardSpec, start: usize, end: usize, space: &str, len: usize, print: &str) -> String {
    format!("# edgeopt shard {}/{} rows {start}..{end} of {space} ({len}) sweep {print}", spec.index, spec.count)
}

struct Part {
    file: PathBuf,
    spec: ShardSpec,
    start: usize,
    end: usize,
    sweep: String,
    /// (line number, row).
    rows: Vec<(usize, String)>,
}

fn read_part(path: &Path) -> CliResult<Part> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io { path: name.clone(), source })?;
    let bad = |why: String| CliError::Usage(format!("{name}: {why}"));
    let mut lines = text.lines();
    // A byte-order mark from an editor is not part of the shard line.
    let first = lines.next().unwrap_or_default().trim_start_matches('\u{feff}');
    let words: Vec<&str> = first.split_whitespace().collect();
    let ok_shape =
        words.len() == 11 && words[..3] == ["#", "edgeopt", "shard"] && words[4] == "rows" && words[6] == "of";
    if !ok_shape {
        return Err(bad("not an `accel grid --shard` part (its first line names the shard)".into()));
    }
    let spec = parse_shard(words[3]).map_err(|e| bad(format!("shard {e}")))?;
    let (s, e) = words[5].split_once("..").ok_or_else(|| bad(format!("rows `{}`", words[5])))?;
    let (start, end): (usize, usize) = (
        s.parse().map_err(|_| bad(format!("rows `{}`", words[5])))?,
        e.parse().map_err(|_| bad(format!("rows `{}`", words[5])))?,
    );
    let sweep = words[7..].join(" ");
    let columns = lines.next().ok_or_else(|| bad("no CSV header".into()))?;
    if columns != GRID_COLUMNS {
        return Err(bad(format!("has the columns `{columns}`, not `accel grid`'s `{GRID_COLUMNS}`")));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        // Line numbers count the shard line and the header.
        check_row(line).map_err(|why| bad(format!("line {}: {why}", i + 3)))?;
        rows.push((i + 3, line.to_string()));
    }
    if rows.len() != end.saturating_sub(start) {
        return Err(bad(format!("holds {} rows, its header says {start}..{end} (truncated?)", rows.len())));
    }
    Ok(Part { file: path.to_path_buf(), spec, start, end, sweep, rows })
}

/// The header of `accel grid`'s table.
pub const GRID_COLUMNS: &str = "accelerator,dataflow,pes,noc_bw,offchip_bw,cycles,energy_nj";

/// A row of `accel grid`: its label names the hardware in the next four fields, the counts are
/// whole numbers and the energy a finite number ≥ 0. (An edited or damaged part is refused
/// rather than merged into a table that looks whole.)
fn check_row(row: &str) -> Result<(), String> {
    let f: Vec<&str> = row.split(',').collect();
    if f.len() != 7 {
        return Err(format!("`{row}` has {} fields, not 7", f.len()));
    }
    let whole = |s: &str| s.parse::<u64>().ok();
    let energy_ok = f[6].parse::<f64>().is_ok_and(|e| e.is_finite() && e >= 0.0);
    let (Some(pes), Some(noc), Some(off), Some(_), true) =
        (whole(f[2]), whole(f[3]), whole(f[4]), whole(f[5]), energy_ok)
    else {
        return Err(format!("`{row}`: PEs, bandwidths and cycles must be whole numbers, energy a finite number ≥ 0"));
    };
    // The label as `accel grid` writes it, from the accelerator the row's fields describe.
    let label =
        Dataflow::parse(f[1]).ok_or_else(|| format!("`{row}`: `{}` is not a dataflow", f[1])).and_then(|df| {
            let hw = HardwareConfig::new(pes, noc, off).build().map_err(|e| format!("`{row}`: {e}"))?;
            Ok(Accel::new(hw, df).label())
        })?;
    if f[0] != label {
        return Err(format!("`{row}`: the label `{}` does not name the hardware of its row", f[0]));
    }
    Ok(())
}

/// `edgeopt merge`: the parts' rows in shard order, after checking they make one whole sweep.
pub fn merge(parts: &[PathBuf], out: &mut Out) -> CliResult<()> {
    if parts.is_empty() {
        return Err(CliError::Usage("merge: give the part files (e.g. part-*.csv)".into()));
    }
    let mut all = parts.iter().map(|p| read_part(p)).collect::<CliResult<Vec<_>>>()?;
    all.sort_by_key(|p| p.spec.index);
    let first = &all[0];
    for p in &all {
        if p.sweep != first.sweep || p.spec.count != first.spec.count {
            return Err(CliError::Usage(format!(
                "{} and {} are parts of different sweeps (`{}` of {} vs `{}` of {})",
                first.file.display(),
                p.file.display(),
                first.sweep,
                first.spec.count,
                p.sweep,
                p.spec.count
            )));
        }
    }
    for w in all.windows(2) {
        if w[0].spec.index == w[1].spec.index {
            return Err(CliError::Usage(format!(
                "shard {} is given twice ({} and {})",
                w[0].spec.index,
                w[0].file.display(),
                w[1].file.display()
            )));
        }
    }
    let have: Vec<usize> = all.iter().map(|p| p.spec.index).collect();
    let missing: Vec<String> = (0..first.spec.count).filter(|i| !have.contains(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(CliError::Usage(format!("missing shard(s) {} of {}", missing.join(", "), first.spec.count)));
    }
    let mut next = 0;
    for p in &all {
        if p.start != next {
            return Err(CliError::Usage(format!(
                "{}: rows start at {} but {next} was expected",
                p.file.display(),
                p.start
            )));
        }
        next = p.end;
    }
    // Each accelerator once: a row copied into another part would otherwise be merged twice.
    let mut seen: std::collections::HashMap<&str, (&Path, usize)> = std::collections::HashMap::new();
    for p in &all {
        for (line, r) in &p.rows {
            let label = r.split(',').next().unwrap_or_default();
            if let Some((file, earlier)) = seen.insert(label, (&p.file, *line)) {
                return Err(CliError::Usage(format!(
                    "{}: line {line}: accelerator `{label}` is also on line {earlier} of {}",
                    p.file.display(),
                    file.display()
                )));
            }
        }
    }
    out.line(GRID_COLUMNS);
    for p in &all {
        for (_, r) in &p.rows {
            out.line(r);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_index_once() {
        for (len, n) in [(1296, 7), (162, 162), (5, 3), (3, 5)] {
            let mut seen = vec![0; len];
            for index in 0..n {
                let (s, e) = ShardSpec { index, count: n }.range(len);
                seen[s..e].iter_mut().for_each(|x| *x += 1);
            }
            assert!(seen.iter().all(|&x| x == 1), "{len}/{n}");
        }
    }

    #[test]
    fn shard_values_are_checked() {
        assert_eq!(parse_shard("2/8"), Ok(ShardSpec { index: 2, count: 8 }));
        for bad in ["8/8", "1/0", "x/2", "3", "-1/4", "1/1000000"] {
            assert!(parse_shard(bad).unwrap_err().contains(bad), "{bad}");
        }
    }
}
