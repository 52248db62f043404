import numpy as np
import pytest

import edgeopt


@pytest.fixture(scope="module")
def nb201():
    table = edgeopt.nb201_table()
    keys = table["arch_str"]
    return table, keys


def test_nb201_table_columns(nb201):
    table, keys = nb201
    assert len(keys) == 15625
    acc = table["test_acc_cifar10"]
    assert acc.shape == (15625,) and np.isfinite(acc).all()
    space = edgeopt.Space("nb201")
    assert space.canonical(keys[0]) == keys[0]


def _study(n_archs=60, seed=0):
    table = edgeopt.nb201_table()
    rng = np.random.default_rng(seed)
    rows = rng.choice(15625, size=n_archs, replace=False)
    keys = [table["arch_str"][i] for i in rows]
    acc = table["test_acc_cifar10"][rows]
    space = edgeopt.Space("nb201")
    hw = edgeopt.HardwareSpace.grid([16, 64, 256], [300, 900], [50, 350])
    lat, en = edgeopt.cost_matrix([space.layers(k) for k in keys], hw)
    return space, keys, acc, hw, lat, en


def test_semi_decoupled_on_matrices_matches_the_coupled_optimum_with_fewer_evaluations():
    space, keys, acc, hw, lat, en = _study()
    out = edgeopt.semi_decoupled(acc, lat, en, proxy=5, max_set=20)
    assert out["proxy"] == 5 and len(out["set"]) <= 20
    assert len(out["constraints"]) == 9
    for row in out["constraints"]:
        semi, coupled = row["semi_decoupled"], row["fully_coupled"]
        assert semi["evaluations"] < coupled["evaluations"]
        if coupled["design"] and semi["design"]:
            assert semi["design"]["accuracy"] <= coupled["design"]["accuracy"]


def test_two_stage_with_accelerators_equals_the_matrix_form():
    space, keys, acc, hw, lat, en = _study()
    accels = [hw[j] for j in range(len(hw))]
    constraints = [(float(np.nanquantile(lat.min(axis=1), q)), float(np.nanquantile(en.min(axis=1), q))) for q in (0.2, 0.5, 0.9)]
    lazy = edgeopt.two_stage(keys, list(acc), accels, constraints, proxy=5, max_set=20, space=space)
    dense = edgeopt.semi_decoupled(acc, lat, en, proxy=5, max_set=20, constraints=constraints)
    assert lazy["set"] == dense["set"]
    assert lazy["proxy_measurements"] == len(keys)
    assert lazy["hardware_measurements"] == len(lazy["set"]) * len(accels)
    for a, b in zip(lazy["designs"], dense["constraints"]):
        assert a["design"] == b["semi_decoupled"]["design"]


def test_two_stage_with_python_devices_and_their_errors():
    cands = ["a", "bb", "ccc", "dddd"]
    acc = [1.0, 2.0, 3.0, 4.0]
    fast = lambda c: (len(c) * 1.0, 1.0)  # noqa: E731
    slow = lambda c: {"latency": len(c) * 3.0, "energy": 0.5}  # noqa: E731
    out = edgeopt.two_stage(cands, acc, [fast, slow], [(100.0, 100.0), (2.0, 1.0)], proxy=0, max_set=4)
    assert out["designs"][0]["design"]["arch"] == 3
    assert out["designs"][1]["design"] == {"arch": 1, "accel": 0, "accuracy": 2.0}

    def broken(c):
        raise TimeoutError("board did not answer")

    with pytest.raises(edgeopt.EdgeoptError, match="board did not answer") as info:
        edgeopt.two_stage(cands, acc, [fast, broken], [(1.0, 1.0)])
    assert isinstance(info.value.__cause__, TimeoutError)


def test_bisection_meets_the_constraint_within_budget(nb201):
    table, keys = nb201
    acc = table["test_acc_cifar10"]
    proxy = table["latency_ms_edgegpu"]
    target = table["latency_ms_raspi4"]
    ok = np.isfinite(proxy) & np.isfinite(target)
    acc, proxy, target = acc[ok], proxy[ok], target[ok]
    constraint = float(np.quantile(target, 0.3))
    measured = []

    def device(i):
        measured.append(i)
        return float(target[i])

    out = edgeopt.bisection(list(acc), list(proxy), device, constraint, granularity=1 / 64)
    assert out["measurements"] == len(set(measured)) <= 7
    assert out["latency"] <= constraint
    from_table = edgeopt.bisection(list(acc), list(proxy), target, constraint, granularity=1 / 64)
    assert from_table == out


def test_one_proxy_adapts_and_counts_measurements(nb201):
    table, keys = nb201
    space = edgeopt.Space("nb201")
    rng = np.random.default_rng(3)
    rows = rng.choice(15625, size=500, replace=False)
    cand = [keys[i] for i in rows]
    x = space.encode(cand)
    proxy_lat = table["latency_ms_pixel3"][rows]
    target_lat = table["latency_ms_eyeriss"][rows]
    proxy = edgeopt.fit_linear(x, proxy_lat)
    lookup = dict(zip(cand, target_lat))
    calls = []

    def target(key):
        calls.append(key)
        return float(lookup[key])

    out = edgeopt.one_proxy(space, cand, list(table["test_acc_cifar10"][rows]), proxy, target, samples=30, seed=1)
    assert out["measurements_used"] == len(set(calls))
    assert out["set"] and all(m["arch"] in lookup for m in out["set"])
    lat = [m["latency"] for m in out["set"]]
    assert lat == sorted(lat)
    # A cap on the target measurements holds; below the first samples it is an error.
    calls.clear()
    capped = edgeopt.one_proxy(
        space, cand, list(table["test_acc_cifar10"][rows]), proxy, target, samples=30, seed=1, max_measurements=36
    )
    assert capped["measurements_used"] <= 36 and len(set(calls)) <= 36 and capped["set"]
    with pytest.raises(edgeopt.EdgeoptError, match="max measurements"):
        edgeopt.one_proxy(space, cand, list(table["test_acc_cifar10"][rows]), proxy, target, samples=30, max_measurements=20)
    # Every selection strategy runs and counts its measurements; an unknown one names the choices.
    for select in ["stratified", "disagreement"]:
        calls.clear()
        out = edgeopt.one_proxy(
            space, cand, list(table["test_acc_cifar10"][rows]), proxy, target, samples=30, seed=1, select=select
        )
        assert out["measurements_used"] == len(set(calls)) and out["set"]
    with pytest.raises(edgeopt.EdgeoptError, match="disagreement"):
        edgeopt.one_proxy(space, cand, list(table["test_acc_cifar10"][rows]), proxy, target, select="greedy")


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: edgeopt.semi_decoupled(np.ones(2), np.ones((2, 3)), np.ones((2, 3)), proxy=7), "proxy"),
        (lambda: edgeopt.semi_decoupled(np.array([np.nan, 1.0]), np.ones((2, 3)), np.ones((2, 3))), "accuracy"),
        (lambda: edgeopt.semi_decoupled(np.ones(3), np.ones((2, 3)), np.ones((2, 3))), "rows"),
        (lambda: edgeopt.bisection([1.0], [1.0, 2.0], [1.0], 1.0), "same"),
        (lambda: edgeopt.two_stage(["a"], [1.0], [42], [(1.0, 1.0)]), "callable"),
    ],
)
def test_bad_codesign_input(call, needle):
    with pytest.raises(edgeopt.EdgeoptError, match=needle):
        call()


def test_nb201_codesign_equals_the_cli(cli_json):
    """The whole NB201 table on the calibration grid: the same constraints, designs and counts as
    `edgeopt codesign`."""
    args = ["--data", "data/nb201_hwnasbench_cifar10.csv.gz", "--accuracy", "test_acc_cifar10"]
    results, summary = cli_json("codesign", *args, "--grid", "calibration", "--proxy", 7, "--max-set", 30)
    table = edgeopt.nb201_table()
    keys, acc = table["arch_str"], table["test_acc_cifar10"]
    space, hw = edgeopt.Space("nb201"), edgeopt.HardwareSpace.calibration()
    lat, en = edgeopt.cost_matrix([space.layers(k) for k in keys], hw)

    def quantiles(m):
        best = np.sort(np.nanmin(m, axis=1))
        return [best[min(round(p * (len(best) - 1)), len(best) - 1)] for p in (0.1, 0.3, 0.5, 0.7, 0.9)]

    constraints = list(zip(quantiles(lat), quantiles(en)))
    out = edgeopt.semi_decoupled(acc, lat, en, proxy=7, max_set=30, constraints=constraints)
    labels = hw.labels()

    def design(d):
        return None if d is None else {"arch": keys[d["arch"]], "accelerator": labels[d["accel"]], "accuracy": d["accuracy"]}

    rows = results["results"]
    assert summary["architectures"] == len(keys) and len(rows) == len(out["constraints"]) == 5
    for ours, theirs in zip(out["constraints"], rows):
        assert (ours["latency"], ours["energy"]) == (theirs["latency_bound"], theirs["energy_bound"])
        assert design(ours["fully_coupled"]["design"]) == theirs["coupled"]
        assert design(ours["semi_decoupled"]["design"]) == theirs["semi_decoupled"]
        assert ours["semi_decoupled"]["evaluations"] == theirs["evaluations_semi_decoupled"]
        assert ours["fully_coupled"]["evaluations"] == theirs["evaluations_coupled"]
        assert len(out["set"]) == theirs["proxy_set_size"]
