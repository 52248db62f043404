"""Python side of the binding-overhead benchmark; run beside the Rust side:

    cargo run --release --example cost_matrix_timing
    python3 python/benches/overhead.py

Times the same two workloads through `import edgeopt`: one small layer's `Accelerator.evaluate`
per call, and `cost_matrix` of all 15,625 NAS-Bench-201 cells × the thesis's 1,296 accelerators
(the layers are built once beforehand, as on the Rust side: as Python `Layer` lists, and as an
`edgeopt.Networks` handle held in Rust). Reports the wall time (best of
several runs) and the process CPU time (all threads), which other load disturbs much less.
"""

import time

import edgeopt


def timed(runs, work):
    cpu0 = time.process_time()
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - t)
    return best, (time.process_time() - cpu0) / runs


def main():
    acc = edgeopt.Accelerator(256, 600, 150, "kc-p")
    layer = [edgeopt.Layer.conv("c", 16, 16, 3, 3, 18, 18, 1)]
    calls = 200_000

    def many():
        for _ in range(calls):
            acc.evaluate(layer).cycles

    wall, cpu = timed(5, many)
    print(f"evaluate_one_small_layer_us,wall {wall / calls * 1e6:.3f},cpu {cpu / calls * 1e6:.3f}")

    space = edgeopt.Space("nb201")
    nets = [space.layers(k) for k in space.enumerate()]
    grid = edgeopt.HardwareSpace.thesis()
    out = {}

    def matrix():
        out["cycles"] = edgeopt.cost_matrix(nets, grid)[0]

    wall, cpu = timed(3, matrix)
    print(f"cost_matrix_nb201_x_thesis_s,wall {wall:.3},cpu {cpu:.3}")

    # The same with the networks held in Rust (edgeopt.Networks, built once like the Rust side's
    # `nets`): no Layer objects are read per call.
    held = edgeopt.Networks.lower(space, space.enumerate())

    def handle():
        out["cycles"] = edgeopt.cost_matrix(held, grid)[0]

    wall, cpu = timed(3, handle)
    print(f"cost_matrix_networks_handle_nb201_x_thesis_s,wall {wall:.3},cpu {cpu:.3}")
    print(f"pairs,{out['cycles'].size}")


if __name__ == "__main__":
    main()
