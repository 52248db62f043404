"""Python side of the binding-overhead benchmark; run beside the Rust side:

    cargo run --release --example cost_matrix_timing
    python3 python/benches/overhead.py

Times the same two workloads through `import edgeopt`: one small layer's `Accelerator.evaluate`
(per call, best of 7 batches: the minimum is the least disturbed by other load) and `cost_matrix` of all 15,625 NAS-Bench-201 cells × the thesis's
1,296 accelerators (the layers are built once beforehand, as on the Rust side).
"""

import time

import edgeopt


def main():
    acc = edgeopt.Accelerator(256, 600, 150, "kc-p")
    layer = [edgeopt.Layer.conv("c", 16, 16, 3, 3, 18, 18, 1)]
    calls = 20_000
    per_call = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(calls):
            acc.evaluate(layer).cycles
        per_call.append((time.perf_counter() - t) / calls)
    print(f"evaluate_one_small_layer_us,{min(per_call) * 1e6:.3f}")

    space = edgeopt.Space("nb201")
    nets = [space.layers(k) for k in space.enumerate()]
    grid = edgeopt.HardwareSpace.thesis()
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        cycles, _energy = edgeopt.cost_matrix(nets, grid)
        runs.append(time.perf_counter() - t)
    print(f"cost_matrix_nb201_x_thesis_s,{min(runs):.4f}")
    print(f"pairs,{cycles.size}")


if __name__ == "__main__":
    main()
