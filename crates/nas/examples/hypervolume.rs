//! Exact hypervolume of a front read from a CSV file (one point per row, no header), timed over
//! repeated calls: the Rust side of `benches/hypervolume_pymoo.py`.
//!
//! `cargo run --release -p edgeopt-nas --example hypervolume -- FRONT.csv REF1,REF2[,REF3] REPEATS`

use std::time::Instant;

use edgeopt_nas::pareto::hypervolume;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn parse_row(line: &str) -> Result<Vec<f64>, String> {
    line.split(',').map(|v| v.trim().parse::<f64>().map_err(|e| format!("`{v}`: {e}"))).collect()
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, reference, repeats] = args.as_slice() else {
        return Err("usage: hypervolume FRONT.csv REF1,REF2[,REF3] REPEATS".into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let points = text.lines().filter(|l| !l.trim().is_empty()).map(parse_row).collect::<Result<Vec<_>, _>>()?;
    let reference = parse_row(reference)?;
    let repeats: u32 = repeats.parse().map_err(|e| format!("repeats `{repeats}`: {e}"))?;
    let mut hv = 0.0;
    let start = Instant::now();
    for _ in 0..repeats.max(1) {
        hv = hypervolume(std::hint::black_box(&points), &reference).map_err(|e| e.to_string())?;
    }
    let per_call = start.elapsed().as_secs_f64() / f64::from(repeats.max(1));
    println!("{{\"n\": {}, \"hv\": {hv:.17e}, \"seconds_per_call\": {per_call:.6e}}}", points.len());
    Ok(())
}
