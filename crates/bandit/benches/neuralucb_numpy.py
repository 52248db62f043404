#!/usr/bin/env python3
"""Reference NeuralUCB in plain numpy, to time against the Rust crate on the same data.

    python3 neuralucb_numpy.py gen OUT.csv [--seed S] [--rows N] [--features F] [--classes K]
    python3 neuralucb_numpy.py run DATA.csv [--seed S] [--rounds T] [--width M] [--float32]

`gen` writes a classification data set (Gaussian class clusters in F dimensions; columns f0..,label)
from a fixed seed. `run` plays the NeuralUCB classification protocol on it (the crate's
`tests/data/README.md`): z-score, unit-norm rows, a fresh random permutation per pass, one arm per
class with the row in that arm's block of a K*F context, reward 1 for the true class, reward
delivered before the next decision. The network is f(x) = sqrt(m) w2' ReLU(W1 x) with the
symmetric start (f = 0), diagonal confidence Z (initial lambda, Z += g^2/m at selection), bonus
gamma*sqrt(sum g^2/(m Z)), and every 100 rewards 100 full-batch gradient steps on
L/n = (1/2n) sum (f - y)^2 + (m lambda / 2n) |theta - theta0|^2 (step 0.01, warm start).

This is the straightforward form: dense K*F contexts and dense per-arm gradients, numpy/BLAS for
every product. Prints `regret R seconds S (select s1, train s2)`.
"""
import argparse
import sys
import time

import numpy as np


def gen(args):
    rng = np.random.default_rng(args.seed)
    k, f, n = args.classes, args.features, args.rows
    centres = rng.normal(0.0, args.separation, size=(k, f))
    labels = rng.integers(0, k, size=n)
    x = centres[labels] + rng.normal(0.0, 1.0, size=(n, f))
    with open(args.out, "w") as fh:
        fh.write(",".join([f"f{j}" for j in range(f)] + ["label"]) + "\n")
        for row, lab in zip(x, labels):
            fh.write(",".join(f"{v:.6f}" for v in row) + f",{lab}\n")


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1].astype(int)
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    x = (x - x.mean(axis=0)) / sd
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms, y


def run(args):
    dt = np.float32 if args.float32 else np.float64
    x_all, y_all = load(args.data)
    x_all = x_all.astype(dt)
    n_rows, f = x_all.shape
    k = int(y_all.max()) + 1
    d, m = k * f, args.width
    lam, gamma, lr = 1e-3, 0.1, 0.01
    rng = np.random.default_rng(args.seed)
    half = m // 2
    w = rng.normal(0.0, np.sqrt(4.0 / m), size=(half, d))
    v = rng.normal(0.0, np.sqrt(2.0 / m), size=half)
    w1 = np.concatenate([w, w]).astype(dt)          # m x d
    w2 = np.concatenate([v, -v]).astype(dt)         # m
    w1_0, w2_0 = w1.copy(), w2.copy()
    z1 = np.full((m, d), lam, dtype=dt)             # diagonal Z, W1 part
    z2 = np.full(m, lam, dtype=dt)                  # diagonal Z, w2 part
    sm = dt(np.sqrt(m))
    hist_x, hist_y = [], []
    order, pos = rng.permutation(n_rows), 0
    regret, t_sel, t_train = 0.0, 0.0, 0.0
    start = time.perf_counter()
    for t in range(args.rounds):
        if pos == n_rows:
            order, pos = rng.permutation(n_rows), 0
        i = order[pos]
        pos += 1
        ctx = np.zeros((k, d), dtype=dt)
        for a in range(k):
            ctx[a, a * f:(a + 1) * f] = x_all[i]
        s0 = time.perf_counter()
        pre = ctx @ w1.T                                        # K x m
        act = (pre > 0).astype(dt)
        h = pre * act
        fvals = sm * (h @ w2)
        g1 = (sm * w2 * act)[:, :, None] * ctx[:, None, :]      # K x m x d
        g2 = sm * h                                             # K x m
        var = ((g1 * g1) / (m * z1)).sum(axis=(1, 2)) + ((g2 * g2) / (m * z2)).sum(axis=1)
        ucb = fvals + gamma * np.sqrt(var)
        best = np.flatnonzero(ucb == ucb.max())
        arm = best[rng.integers(len(best))] if len(best) > 1 else best[0]
        z1 += g1[arm] ** 2 / m
        z2 += g2[arm] ** 2 / m
        t_sel += time.perf_counter() - s0
        reward = 1.0 if arm == y_all[i] else 0.0
        regret += 1.0 - reward
        hist_x.append(ctx[arm])
        hist_y.append(reward)
        if len(hist_y) % 100 == 0:
            s0 = time.perf_counter()
            xs, ys = np.array(hist_x), np.array(hist_y, dtype=dt)
            n = len(ys)
            reg = dt(m * lam / n)
            step = dt(lr)
            for _ in range(100):
                pre = xs @ w1.T                                 # n x m
                act = pre > 0
                h = np.where(act, pre, 0)
                err = (sm * (h @ w2) - ys) / n
                gw2 = sm * (h.T @ err) + reg * (w2 - w2_0)
                delta = np.where(act, sm * err[:, None] * w2[None, :], 0)
                gw1 = delta.T @ xs + reg * (w1 - w1_0)
                w1 -= step * gw1
                w2 -= step * gw2
            t_train += time.perf_counter() - s0
    total = time.perf_counter() - start
    print(f"regret {regret:.0f} seconds {total:.3f} (select {t_sel:.3f}, train {t_train:.3f})")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("out")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--rows", type=int, default=4000)
    g.add_argument("--features", type=int, default=64)
    g.add_argument("--classes", type=int, default=10)
    g.add_argument("--separation", type=float, default=0.3)
    r = sub.add_parser("run")
    r.add_argument("data")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--rounds", type=int, default=2000)
    r.add_argument("--width", type=int, default=100)
    r.add_argument("--float32", action="store_true")
    args = p.parse_args()
    gen(args) if args.cmd == "gen" else run(args)


if __name__ == "__main__":
    sys.exit(main())
