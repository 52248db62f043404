"""NSGA-II on ZDT1 (population 100, 100 generations), edgeopt against pymoo 0.6, side by side.

    pip install pymoo
    cargo build --release -p edgeopt-nas --example zdt1
    python3 crates/nas/benches/nsga2_pymoo.py [--seeds 3]

Both use simulated binary crossover (η = 15) and polynomial mutation (η = 20, probability 1/30 per
variable), one thread each (RAYON_NUM_THREADS=1 for edgeopt). Reports wall time per run and the
hypervolume of the final non-dominated front against (1.1, 1.1), so speed is compared at equal
quality.
"""

import argparse
import json
import os
import statistics
import subprocess
import time

from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.indicators.hv import HV
from pymoo.optimize import minimize
from pymoo.problems import get_problem


def pymoo_run(seed, pop, gens):
    problem = get_problem("zdt1")
    start = time.perf_counter()
    res = minimize(problem, NSGA2(pop_size=pop), ("n_gen", gens), seed=seed, verbose=False)
    seconds = time.perf_counter() - start
    return seconds, float(HV(ref_point=[1.1, 1.1])(res.F))


def edgeopt_run(binary, seed, pop, gens):
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    out = subprocess.run([binary, str(seed), str(pop), str(gens)], check=True, capture_output=True, text=True, env=env)
    r = json.loads(out.stdout)
    return r["seconds"], r["hv"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--pop", type=int, default=100)
    p.add_argument("--generations", type=int, default=100)
    p.add_argument("--bin", default="target/release/examples/zdt1")
    a = p.parse_args()
    print("| seed | pymoo (s) | edgeopt (s) | pymoo / edgeopt | HV pymoo | HV edgeopt |")
    print("|---|---:|---:|---:|---:|---:|")
    ratios = []
    for seed in range(a.seeds):
        # Alternate the two so machine load hits both alike.
        t_py, hv_py = pymoo_run(seed + 1, a.pop, a.generations)
        t_rs, hv_rs = edgeopt_run(a.bin, seed, a.pop, a.generations)
        ratios.append(t_py / t_rs)
        print(f"| {seed} | {t_py:.3f} | {t_rs:.4f} | {t_py / t_rs:.1f}× | {hv_py:.4f} | {hv_rs:.4f} |")
    print(f"\nmedian speed-up {statistics.median(ratios):.1f}×")


if __name__ == "__main__":
    main()
