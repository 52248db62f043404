import pickle

import numpy as np
import pytest

import edgeopt


def _contexts(rng, arms=4, d=6):
    return rng.normal(size=(arms, d))


@pytest.mark.parametrize(
    "make",
    [
        lambda d: edgeopt.NeuralUCB(d, width=16, retrain_every=10, retrain_steps=5, seed=3),
        lambda d: edgeopt.NeuralTS(d, width=16, retrain_every=10, retrain_steps=5, seed=3),
        lambda d: edgeopt.NeuralEpsilonGreedy(d, 0.1, width=16, retrain_every=10, retrain_steps=5, seed=3),
        lambda d: edgeopt.NeuralUCB(d, width=8, confidence="full", retrain_every=10, retrain_steps=5),
        lambda d: edgeopt.LinUCB(d, alpha=0.5, seed=3),
        lambda d: edgeopt.RandomPolicy(seed=3),
    ],
)
def test_serving_loop_with_delayed_feedback_and_pickle(make):
    rng = np.random.default_rng(0)
    w = rng.normal(size=6)
    policy = make(6)
    pending = []
    for t in range(60):
        ctx = _contexts(rng)
        ticket, arm = policy.select(ctx)
        assert 0 <= arm < 4
        pending.append((ticket, float(ctx[arm] @ w)))
        if t % 5 == 4:  # rewards arrive in batches, late
            for ticket, reward in pending:
                policy.feedback(ticket, reward)
            pending.clear()
    assert policy.round == 60
    if policy.name != "random":  # the random baseline keeps no tickets
        with pytest.raises(edgeopt.EdgeoptError):
            policy.feedback(10_000, 1.0)
    # Save → load → continue: identical decisions from here on.
    copy = pickle.loads(pickle.dumps(policy))
    assert copy.name == policy.name and copy.round == policy.round
    for _ in range(15):
        ctx = _contexts(rng)
        a, b = policy.select(ctx), copy.select(ctx)
        assert a == b
        policy.feedback(a[0], float(ctx[a[1]] @ w))
        copy.feedback(b[0], float(ctx[b[1]] @ w))


def test_expire_drops_old_tickets():
    policy = edgeopt.LinUCB(3)
    rng = np.random.default_rng(1)
    tickets = [policy.select(_contexts(rng, d=3))[0] for _ in range(5)]
    assert policy.expire(tickets[3]) == 3
    with pytest.raises(edgeopt.EdgeoptError):
        policy.feedback(tickets[0], 1.0)
    policy.feedback(tickets[4], 1.0)


def test_select_details():
    policy = edgeopt.NeuralUCB(2, width=8)
    d = policy.select_with_details(np.eye(2))
    assert set(d) == {"id", "arm", "score", "bonus", "propensity"}


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: edgeopt.NeuralUCB(4).select(np.full((2, 4), np.nan)), "finite"),
        (lambda: edgeopt.NeuralUCB(4).select(np.ones((2, 5))), "5"),
        (lambda: edgeopt.NeuralUCB(4, confidence="huge"), "huge"),
        (lambda: edgeopt.NeuralEpsilonGreedy(4, 2.0), "epsilon"),
        (lambda: edgeopt.LinUCB(4).feedback(0, float("inf")), "reward"),
    ],
)
def test_bad_bandit_input(call, needle):
    with pytest.raises(edgeopt.EdgeoptError, match=needle):
        call()


def test_neural_ucb_beats_random_on_a_classification_bandit():
    rng = np.random.default_rng(2)
    classes, features = 3, 4
    centres = rng.normal(size=(classes, features)) * 3
    labels = rng.integers(0, classes, size=300)
    x = centres[labels] + rng.normal(size=(300, features))
    d = classes * features
    ucb = edgeopt.NeuralUCB(d, width=32, retrain_every=20, retrain_steps=20, seed=1)
    res = edgeopt.simulate_classification(ucb, x, labels, 600, max_delay=10, seed=4)
    rnd = edgeopt.simulate_classification(edgeopt.RandomPolicy(seed=1), x, labels, 600, max_delay=10, seed=4)
    assert res["cumulative_regret"].shape == (600,)
    assert res["regret"] == pytest.approx(res["cumulative_regret"][-1])
    assert res["regret"] < 0.5 * rnd["regret"]
    again = edgeopt.simulate_classification(
        edgeopt.NeuralUCB(d, width=32, retrain_every=20, retrain_steps=20, seed=1), x, labels, 600, max_delay=10, seed=4
    )
    np.testing.assert_array_equal(again["arm"], res["arm"])


def test_synthetic_simulator():
    res = edgeopt.simulate_synthetic(edgeopt.LinUCB(8), "h1", 4, 8, 200, seed=1)
    assert res["reward"].shape == (200,)
    with pytest.raises(edgeopt.EdgeoptError, match="h4"):
        edgeopt.simulate_synthetic(edgeopt.LinUCB(8), "h4", 4, 8, 10)


def test_the_thesis_four_layer_network_serves_and_pickles():
    rng = np.random.default_rng(5)
    policy = edgeopt.NeuralUCB(6, width=16, depth=4, retrain_every=10, retrain_steps=5, seed=2)
    for _ in range(30):
        ctx = _contexts(rng)
        ticket, arm = policy.select(ctx)
        policy.feedback(ticket, float(ctx[arm].sum()))
    copy = pickle.loads(pickle.dumps(policy))
    ctx = _contexts(rng)
    assert copy.select(ctx) == policy.select(ctx)
    with pytest.raises(edgeopt.EdgeoptError, match="depth"):
        edgeopt.NeuralUCB(6, depth=1)


def test_measured_device_world():
    d = edgeopt.devices_context_len()
    run = lambda: edgeopt.simulate_devices(edgeopt.LinUCB(d, seed=1), 300, max_delay=20, seed=3)  # noqa: E731
    first, again = run(), run()
    assert first["reward"].shape == (300,) and first["regret"] >= 0.0
    assert (np.diff(first["cumulative_regret"]) >= -1e-12).all()  # regret against the best arm only grows
    np.testing.assert_array_equal(first["arm"], again["arm"])
    with pytest.raises(edgeopt.EdgeoptError):
        edgeopt.simulate_devices(edgeopt.LinUCB(d + 1), 10)
