import numpy as np
import pytest

import edgeopt


def test_every_space_by_name_samples_lowers_and_encodes():
    names = [name for name, _ in edgeopt.Space.names()]
    assert "nb201" in names and "darts" in names
    for name in names:
        space = edgeopt.Space(name)
        keys = space.sample(3, seed=1)
        assert keys == space.sample(3, seed=1)
        for key in keys:
            assert space.canonical(key) == key
            layers = space.layers(key)
            assert layers and all(isinstance(layer, edgeopt.Layer) for layer in layers)
            assert space.macs(key) > 0 and space.params(key) > 0
            assert space.encode(key).shape == (space.encoding_len,)
        m = space.encode(keys)
        assert m.shape == (3, space.encoding_len) and m.dtype == np.float64


def test_mutate_and_crossover_give_valid_keys():
    space = edgeopt.Space("mbv3")
    a, b = space.sample(2, seed=4)
    child = space.crossover(a, b, seed=2)
    assert space.canonical(child) == child
    assert space.mutate(a, seed=3, prob=0.0) == a
    assert space.mutate(a, seed=3, prob=1.0) != a or True  # a full redraw may repeat a choice
    assert space.mutate(a, seed=3, prob=1.0) == space.mutate(a, seed=3, prob=1.0)


def test_nb201_enumerates_15625_cells():
    space = edgeopt.Space("nb201")
    keys = space.enumerate()
    assert len(keys) == 15625 == space.size
    assert space.smallest() in keys and space.largest() in keys


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: edgeopt.Space("resnet"), "available spaces"),
        (lambda: edgeopt.Space("nb201").macs("not-a-key"), "not-a-key"),
        (lambda: edgeopt.Space("nb201").mutate(edgeopt.Space("nb201").sample(1)[0], prob=1.5), "prob"),
        (lambda: edgeopt.Space("mbv3").enumerate(), "too large"),
    ],
)
def test_bad_space_input(call, needle):
    with pytest.raises(edgeopt.EdgeoptError, match=needle):
        call()


def _proxy_objective(space):
    def objective(key):
        macs = space.macs(key)
        return (np.log(macs), macs / 1e6)

    return objective


def test_python_callable_drives_evolution():
    space = edgeopt.Space("nb201")
    calls = []
    objective = _proxy_objective(space)

    def counted(key):
        calls.append(key)
        return objective(key)

    out = edgeopt.evolution(space, counted, population=16, generations=3, max_latency=60.0, seed=5)
    assert out["evaluations"] == len(set(calls)) == len(calls)
    assert out["generations"] == 3
    best = out["best"]
    assert best is not None and space.macs(best) / 1e6 <= 60.0
    assert out["values"][0][1] <= 60.0
    # Deterministic for a seed, and the batch form gives the same search.
    again = edgeopt.evolution(space, objective, population=16, generations=3, max_latency=60.0, seed=5)
    batched = edgeopt.evolution(
        space, lambda keys: [objective(k) for k in keys], population=16, generations=3, max_latency=60.0, seed=5, batch=True
    )
    assert again["population"] == out["population"] == batched["population"]


def test_objective_dicts_and_weighted_fitness():
    space = edgeopt.Space("nb201")
    out = edgeopt.evolution(
        space,
        lambda k: {"accuracy": float(space.params(k)), "latency": float(space.macs(k)), "energy": 1.0},
        population=10,
        generations=2,
        t=0.5,
    )
    assert out["values"][0][2] == 1.0


def test_objective_exception_names_the_architecture_and_keeps_the_cause():
    space = edgeopt.Space("nb201")

    def failing(key):
        raise RuntimeError("GPU worker lost")

    with pytest.raises(edgeopt.EdgeoptError, match="objective failed on architecture") as info:
        edgeopt.evolution(space, failing, population=8, generations=1)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "GPU worker lost" in str(info.value)


@pytest.mark.parametrize(
    "value, needle",
    [((float("nan"), 1.0), "NaN"), ((1.0,), "accuracy, latency"), ("fast", "objective value")],
)
def test_bad_objective_values(value, needle):
    with pytest.raises(edgeopt.EdgeoptError, match=needle):
        edgeopt.evolution(edgeopt.Space("nb201"), lambda k: value, population=8, generations=1)


def test_nsga2_front_is_non_dominated():
    space = edgeopt.Space("nb201")
    out = edgeopt.nsga2(space, lambda k: [-np.log(space.params(k)), space.macs(k) / 1e6], population=20, generations=4, seed=1)
    vals = np.array(out["values"])
    assert len(out["front"]) == len(vals) > 0 and out["evaluations"] >= 20
    for i in range(len(vals)):
        for j in range(len(vals)):
            assert not (np.all(vals[j] <= vals[i]) and np.any(vals[j] < vals[i]))
    with pytest.raises(edgeopt.EdgeoptError, match="population"):
        edgeopt.nsga2(space, lambda k: [0.0, 1.0], population=2)
