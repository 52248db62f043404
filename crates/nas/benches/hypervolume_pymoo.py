"""Exact hypervolume, edgeopt against pymoo 0.6 (moocore) on the same fronts, side by side.

    pip install pymoo
    cargo build --release -p edgeopt-nas --example hypervolume
    python3 crates/nas/benches/hypervolume_pymoo.py [--sizes 200,1000,10000] [--dims 2,3]

Fronts are mutually non-dominated points on the positive unit sphere (every point counts), drawn
with a fixed seed; the reference point is 1.1 in every objective. Both sides read the same numbers
(the CSV is written with 17 significant digits) and the script checks the two volumes agree.
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
from pymoo.indicators.hv import HV


def front(n, d, seed):
    rng = np.random.default_rng(seed)
    x = np.abs(rng.normal(size=(n, d)))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def time_pymoo(points, ref, budget=1.0):
    hv = HV(ref_point=ref)
    value, calls, start = hv(points), 0, time.perf_counter()
    while time.perf_counter() - start < budget:
        hv(points)
        calls += 1
    return value, (time.perf_counter() - start) / max(calls, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="200,1000,10000")
    p.add_argument("--dims", default="2,3")
    p.add_argument("--bin", default="target/release/examples/hypervolume")
    a = p.parse_args()
    print("| d | n | pymoo (µs/call) | edgeopt (µs/call) | pymoo / edgeopt | same value |")
    print("|---|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for d in map(int, a.dims.split(",")):
            for n in map(int, a.sizes.split(",")):
                pts = front(n, d, seed=n + d)
                ref = np.full(d, 1.1)
                path = os.path.join(tmp, f"front_{d}_{n}.csv")
                np.savetxt(path, pts, delimiter=",", fmt="%.17g")
                value, t_py = time_pymoo(pts, ref)
                # Enough Rust calls for about a second at the pymoo rate, at least 10.
                repeats = max(10, int(1.0 / max(t_py, 1e-7)))
                out = subprocess.run(
                    [a.bin, path, ",".join(["1.1"] * d), str(repeats)],
                    check=True, capture_output=True, text=True,
                ).stdout
                r = json.loads(out)
                same = abs(r["hv"] - value) <= 1e-9 * max(1.0, abs(value))
                verdict = "yes" if same else f"NO ({value} vs {r['hv']})"
                print(f"| {d} | {n} | {t_py * 1e6:.1f} | {r['seconds_per_call'] * 1e6:.1f} | "
                      f"{t_py / r['seconds_per_call']:.1f}× | {verdict} |")


if __name__ == "__main__":
    main()
