"""Network construction, predict shapes and values, dtype, initialisers, arrays in/out."""

import numpy as np
import pytest

import gone


def go_forward(weights, biases, acts, x):
    """Reference: the Go library's column-vector forward pass, one sample, pure Python."""
    fns = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "relu": lambda v: max(v, 0.0),
           "identity": lambda v: v}
    a = list(x)
    for w, b, act in zip(weights, biases, acts):
        a = [fns[act](sum(w[r][c] * a[c] for c in range(len(a))) + b[r]) for r in range(len(w))]
    return a


def test_predict_matches_reference_forward_pass(rng):
    net = gone.Network([3, gone.Dense(5, "sigmoid"), gone.Dense(4, "relu"), 2], seed=rng)
    ws, bs, _ = net.to_arrays()
    x = rng.normal(size=(7, 3))
    expected = [go_forward(ws, bs, ["sigmoid", "relu", "identity"], row) for row in x]
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12, atol=1e-14)


def test_one_sample_and_batch_shapes(rng):
    net = gone.Network([3, gone.Dense(4, "tanh"), 2], seed=rng)
    x = rng.normal(size=(5, 3))
    assert net.predict(x[0]).shape == (2,)
    assert net.predict(x).shape == (5, 2)
    np.testing.assert_allclose(net.predict(x)[2], net.predict(x[2]), rtol=1e-14)  # BLAS kernels differ
    assert net(x).shape == (5, 2)


@pytest.mark.parametrize("bad, message", [
    (np.zeros(4), r"expects \(3,\) or \(batch, 3\), got \(4,\)"),
    (np.zeros((2, 4)), r"got \(batch, 4\)"),
    (np.zeros((2, 3, 1)), r"got \(2, 3, 1\)"),
])
def test_wrong_input_shape_names_layer_and_shapes(bad, message):
    net = gone.Network([3, 2], seed=0)
    with pytest.raises(gone.ShapeError, match="layer 0 .*" + message):
        net.predict(bad)


def test_non_numeric_input_is_an_input_error():
    net = gone.Network([2, 1], seed=0)
    with pytest.raises(gone.InputError, match="translate_in"):
        net.predict(["a", "b"])


def test_float32_everywhere(rng):
    net = gone.Network([4, gone.Dense(8, "sigmoid"), gone.Dense(3, "softmax")],
                       loss="cross_entropy", dtype="float32", seed=rng)
    assert all(p.dtype == np.float32 for p in net.params)
    x = rng.normal(size=(6, 4))  # float64 input is cast
    assert net.predict(x).dtype == np.float32
    _, grads = net.gradients(x, rng.integers(0, 3, 6))
    assert all(g.dtype == np.float32 for g in grads)
    net.train(x, rng.integers(0, 3, 6), optimizer=gone.Adam(), epochs=2)
    assert net.flat.dtype == np.float32 and net.optimizer.state["m"][0].dtype == np.float32


def test_bad_dtype_and_layers_are_config_errors():
    with pytest.raises(gone.ConfigError, match="float64 or float32"):
        gone.Network([2, 1], dtype="int8")
    with pytest.raises(gone.ConfigError, match="input size"):
        gone.Network([gone.Dense(2), 1])
    with pytest.raises(gone.ConfigError, match="unknown activation 'nope'"):
        gone.Dense(3, "nope")
    with pytest.raises(gone.ConfigError, match="dropout"):
        gone.Dense(3, dropout=1.5)
    with pytest.raises(gone.ConfigError, match="l2 must be a finite number"):
        gone.Dense(3, l2=float("nan"))
    with pytest.raises(gone.ConfigError, match="leaky_relu alpha must be a finite number"):
        gone.Dense(3, gone.activations.get("leaky_relu", alpha=float("inf")))
    with pytest.raises(gone.ConfigError, match="output layer cannot have dropout"):
        gone.Network([2, gone.Dense(1, dropout=0.5)])


def test_same_seed_same_weights_different_seed_differs():
    make = lambda seed: gone.Network([4, gone.Dense(6, "relu"), 2], seed=seed).genome()
    assert np.array_equal(make(3), make(3))
    assert not np.array_equal(make(3), make(4))


@pytest.mark.parametrize("init, check", [
    ("uniform", lambda w, b, n_in, n_out: w.min() >= -1 and w.max() < 1 and b.min() >= -1
     and b.max() < 1 and np.any(b != 0)),
    ("xavier", lambda w, b, n_in, n_out: np.abs(w).max() <= np.sqrt(6 / (n_in + n_out))
     and np.all(b == 0)),
    ("he_uniform", lambda w, b, n_in, n_out: np.abs(w).max() <= np.sqrt(6 / n_in)
     and np.abs(w).max() > np.sqrt(6 / (n_in + n_out)) and np.all(b == 0)),
    ("he", lambda w, b, n_in, n_out: abs(w.std() - np.sqrt(2 / n_in)) < 0.1 * np.sqrt(2 / n_in)),
])
def test_initialisers(init, check):
    net = gone.Network([200, gone.Dense(100, "relu")], init=init, seed=1)
    w, b = net.layers[0].weight, net.layers[0].bias
    assert check(w, b, 200, 100)


def test_per_layer_init_overrides_network_default():
    net = gone.Network([50, gone.Dense(50, init="uniform"), gone.Dense(5)], init="xavier", seed=0)
    assert np.any(net.layers[0].bias != 0)       # uniform draws biases
    assert np.all(net.layers[1].bias == 0)       # xavier zeroes them


def test_from_arrays_round_trip_and_validation(rng):
    w1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4)
    w2 = rng.normal(size=(2, 4))
    net = gone.Network.from_arrays([w1, w2], [b1, None], ["tanh", "identity"])
    assert net.sizes == [3, 4, 2] and net.layers[1].bias is None
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(net.predict(x), np.tanh(x @ w1.T + b1) @ w2.T)
    ws, bs, _ = net.to_arrays()
    assert np.array_equal(ws[0], w1) and np.array_equal(bs[0], b1) and bs[1] is None
    ws[0][0, 0] = 99.0  # exported arrays are copies
    assert net.layers[0].weight[0, 0] != 99.0
    # column-vector biases (Go's n x 1 matrices) are accepted
    gone.Network.from_arrays([w1], [b1[:, None]])
    with pytest.raises(gone.ShapeError, match="layer 1: weight has shape \\(2, 5\\) but layer 0 has 4"):
        gone.Network.from_arrays([w1, rng.normal(size=(2, 5))])
    with pytest.raises(gone.ShapeError, match="layer 0: bias must have shape \\(4,\\)"):
        gone.Network.from_arrays([w1], [np.zeros(3)])
    with pytest.raises(gone.ShapeError, match="counts must agree"):
        gone.Network.from_arrays([w1, w2], [b1])


def test_weight_assignment_writes_through_to_the_genome(rng):
    net = gone.Network([2, gone.Dense(3), 1], seed=rng)
    net.layers[0].weight = np.ones((3, 2))
    assert np.array_equal(net.genome()[:6], np.ones(6))
    with pytest.raises(gone.ShapeError, match=r"weight must have shape \(3, 2\)"):
        net.layers[0].weight = np.ones((2, 3))


def test_no_bias_layer_has_no_bias_parameters():
    net = gone.Network([3, gone.Dense(4, bias=False), gone.Dense(2, bias=False)], seed=0)
    assert net.n_params == 3 * 4 + 4 * 2
    np.testing.assert_array_equal(net.predict(np.zeros(3)), np.zeros(2))


def test_summary_and_repr_mention_the_architecture():
    net = gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0)
    assert "[2, 4, 1]" in net.summary() and "sigmoid" in repr(net)
