import pickle

import numpy as np
import pytest

import edgeopt


def _data(n=80, d=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, d)).astype(np.float64)
    w = np.arange(1.0, d + 1.0)
    return x, x @ w


def test_linear_recovers_weights_and_pickles():
    x, y = _data()
    model = edgeopt.fit_linear(x, y, ridge=0.0)
    assert model.kind == "linear" and model.n_features == 5
    np.testing.assert_allclose(model.weights, np.arange(1.0, 6.0), atol=1e-8)
    pred = model.predict(x)
    assert pred.shape == (80,) and pred.dtype == np.float64
    assert model.predict(x[0]) == pytest.approx(y[0])
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(x), pred)


def test_mlp_kernel_and_gcn_fit_and_rank_well():
    x, y = _data()
    for model in (
        edgeopt.fit_mlp(x, y, hidden=[16], epochs=200, seed=1),
        edgeopt.fit_kernel_ridge(x, y, gamma=0.1, alpha=1e-3),
    ):
        assert edgeopt.spearman(model.predict(x), y) > 0.9
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(x), model.predict(x))
    # Two-node graphs whose target is the op of the second node.
    n = 30
    adj = np.zeros((n, 2, 2))
    adj[:, 0, 1] = 1.0
    feats = np.zeros((n, 2, 3))
    feats[:, 0, 0] = 1.0
    ops = np.arange(n) % 3
    feats[np.arange(n), 1, ops] = 1.0
    gcn = edgeopt.fit_gcn(adj, feats, ops.astype(np.float64), epochs=200)
    flat = edgeopt.flatten_graphs(adj, feats)
    assert flat.shape == (n, gcn.n_features)
    assert edgeopt.spearman(gcn.predict(flat), ops.astype(np.float64)) > 0.9


def test_adaproxy_adapts_a_proxy_to_a_target():
    x, proxy_y = _data(120)
    target = x @ np.array([2.0, 4.0, 14.0, 8.0, 1.0])
    proxy = edgeopt.fit_linear(x, proxy_y)
    before = edgeopt.spearman(proxy.predict(x), target)
    adapted = proxy.adapt(x[:40], target[:40], x[40:60], target[40:60])
    assert adapted.kind == "adaproxy(linear)"
    after = edgeopt.spearman(adapted.predict(x[60:]), target[60:])
    assert after > 0.99 > before
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(adapted)).predict(x), adapted.predict(x))


def test_metrics():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    assert edgeopt.spearman(a, a[::-1]) == pytest.approx(-1.0)
    assert edgeopt.kendall(a, a * 2) == pytest.approx(1.0)
    m = np.column_stack([a, a**2, -a])
    s = edgeopt.srcc_matrix(m)
    np.testing.assert_allclose(s, [[1, 1, -1], [1, 1, -1], [-1, -1, 1]])
    m[0, 0] = np.nan  # missing cells drop out pairwise
    assert edgeopt.srcc_matrix(m).shape == (3, 3)


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: edgeopt.fit_linear(np.full((10, 2), np.nan), np.ones(10)), "features"),
        (lambda: edgeopt.fit_linear(np.ones((10, 2)), np.ones(9)), "targets"),
        (lambda: edgeopt.fit_linear(np.ones((10, 2)), np.ones(10), ridge=-1.0), "ridge"),
        (lambda: edgeopt.fit_mlp(np.ones((10, 2)), np.ones(10), lr=0.0), "lr"),
        (lambda: edgeopt.fit_kernel_ridge(np.ones((10, 2)), np.ones(10), kernel="poly"), "poly"),
        (lambda: edgeopt.fit_linear(*_data()).predict(np.ones((3, 7))), "7"),
        (lambda: edgeopt.spearman(np.ones(3), np.ones(4)), "expected 3 values"),
    ],
)
def test_bad_predictor_input(call, needle):
    with pytest.raises(edgeopt.EdgeoptError, match=needle):
        call()


def test_wrong_dtype_is_a_type_error():
    with pytest.raises(TypeError):
        edgeopt.fit_linear(np.ones((10, 2), dtype=np.int64), np.ones(10))
