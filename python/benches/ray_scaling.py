"""Scaling of edgeopt.distributed.cost_matrix on this machine: all 15,625 NAS-Bench-201 cells ×
the thesis's 1,296 accelerators (20.25 M pairs), single-process (Rust, rayon over all cores) vs
Ray with 1 and 2 single-threaded workers.

    pip install './python[ray]'
    python3 python/benches/ray_scaling.py

Prints seconds and µs per pair for each; the results are checked to be bit-identical.
"""

import time

import numpy as np
import ray

import edgeopt
import edgeopt.distributed as dist


def main():
    space = edgeopt.Space("nb201")
    nets = [space.layers(k) for k in space.enumerate()]
    packed = edgeopt.pack_networks(nets)
    grid = edgeopt.HardwareSpace.thesis()
    pairs = len(nets) * len(grid)

    t = time.perf_counter()
    want = edgeopt.cost_matrix(nets, grid)
    single = time.perf_counter() - t
    print(f"single-process,{single:.2f} s,{single / pairs * 1e6:.3f} us/pair")

    for workers in (1, 2):
        # One rayon thread per worker: the workers are the parallelism.
        ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR",
                 runtime_env={"env_vars": {"RAYON_NUM_THREADS": "1"}})
        dist.cost_matrix(packed, edgeopt.HardwareSpace.calibration(), progress=False)  # start the workers
        t = time.perf_counter()
        got = dist.cost_matrix(packed, grid, arch_chunk=4096, pe_chunk=2, progress=False)
        took = time.perf_counter() - t
        ray.shutdown()
        same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(want, got))
        print(f"ray-{workers}-worker,{took:.2f} s,{took / pairs * 1e6:.3f} us/pair,bit-identical={same}")


if __name__ == "__main__":
    main()
