"""Image layers (Conv2D, MaxPool2D, Flatten): gradients, shapes, files, evolution."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gone
from gone import gradcheck
from gone.evolution.init import random_genomes

TOL = 1e-5


def small_cnn(seed=0, **conv):
    conv = {"padding": "same", "activation": "tanh", **conv}
    return gone.Network([(2, 7, 7), gone.Conv2D(3, 3, **conv), gone.MaxPool2D(2),
                         gone.Conv2D(2, (2, 1), activation="sigmoid"), gone.Flatten(),
                         gone.Dense(4, "softmax")], loss="cross_entropy", seed=seed)


def _input_grad(layer, x, rng):
    """dL/dx of L = sum(g * layer(x)) by backprop and by central differences."""
    g = rng.normal(size=layer.forward(x, None)[0].shape)
    out, cache = layer.forward(x, None)
    grads = [np.empty_like(p) for p in layer.params]
    analytic = layer.backward(g.copy(), cache, grads, True)
    numeric = gradcheck.numeric_grad(lambda: float(np.sum(g * layer.predict(x))), x)
    return gradcheck.rel_error(analytic, numeric), grads, g


@pytest.mark.parametrize("make, shape", [
    (lambda: gone.Conv2D(4, 3, activation="tanh"), (2, 3, 6, 5)),
    (lambda: gone.Conv2D(3, 3, padding="same", activation="sigmoid"), (2, 2, 5, 5)),
    (lambda: gone.Conv2D(2, (3, 2), stride=2, padding=1, activation="tanh"), (3, 2, 7, 6)),
    (lambda: gone.Conv2D(2, 1, bias=False), (2, 3, 4, 4)),
    (lambda: gone.MaxPool2D(2), (2, 3, 6, 6)),
    (lambda: gone.MaxPool2D(2), (2, 1, 5, 7)),          # odd sizes: last row/column dropped
    (lambda: gone.MaxPool2D(3, stride=1), (2, 2, 5, 5)),  # overlapping windows
    (lambda: gone.MaxPool2D(2, stride=3), (1, 2, 8, 8)),
    (lambda: gone.Flatten(), (3, 2, 3, 4)),
])
def test_each_layer_gradient_matches_finite_differences(make, shape, rng):
    layer = make()
    layer.build(shape[1:], np.float64, rng, "xavier")
    x = rng.normal(size=shape)
    err, grads, g = _input_grad(layer, x, rng)
    assert err < TOL
    for p, grad in zip(layer.params, grads):  # parameter gradients too
        numeric = gradcheck.numeric_grad(lambda: float(np.sum(g * layer.predict(x))), p)
        assert gradcheck.rel_error(grad, numeric) < TOL


@pytest.mark.parametrize("conv", [{}, {"stride": 2, "padding": 1}, {"padding": 0}])
def test_small_cnn_gradient_matches_finite_differences(conv, rng):
    net = small_cnn(**conv)
    x, y = rng.normal(size=(3, 2, 7, 7)), rng.integers(0, 4, size=3)
    assert gradcheck.check_network(net, x, y) < TOL


def test_checker_catches_a_sabotaged_col2im(rng, monkeypatch):
    layer = gone.Conv2D(2, 3, padding="same")
    layer.build((1, 5, 5), np.float64, rng, "xavier")
    x = rng.normal(size=(2, 1, 5, 5))
    assert _input_grad(layer, x, rng)[0] < TOL
    honest = layer._col2im
    monkeypatch.setattr(layer, "_col2im", lambda d, b: 2 * honest(d, b))
    assert _input_grad(layer, x, rng)[0] > 0.3


def test_conv_matches_a_direct_convolution(rng):
    layer = gone.Conv2D(3, (2, 3), stride=2, padding=1)
    layer.build((2, 5, 6), np.float64, rng, "xavier")
    x = rng.normal(size=(2, 2, 5, 6))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    w = layer.weight.reshape(3, 2, 2, 3)
    _, ho, wo = layer.output_shape
    want = np.empty((2, 3, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 3]
            want[:, :, i, j] = np.einsum("bchw,fchw->bf", patch, w) + layer.bias
    np.testing.assert_allclose(layer.predict(x), want, atol=1e-12)


def test_shapes_and_input_forms(rng):
    net = small_cnn()
    assert net.input_shape == (2, 7, 7) and net.n_inputs == 98
    assert [l.output_shape for l in net.layers[:-1]] == [(3, 7, 7), (3, 3, 3), (2, 2, 3), (12,)]
    x = rng.normal(size=(5, 2, 7, 7))
    batch = net.predict(x)
    assert batch.shape == (5, 4)
    np.testing.assert_allclose(net.predict(x[0]), batch[0], rtol=1e-12)     # one image
    np.testing.assert_array_equal(net.predict(x.reshape(5, -1)), batch)     # flat rows
    with pytest.raises(gone.ShapeError, match=r"expects \(2, 7, 7\)"):
        net.predict(rng.normal(size=(5, 1, 7, 7)))


@pytest.mark.parametrize("layers, match", [
    ([(1, 4, 4), gone.Conv2D(2, 3), gone.Dense(3)], "Flatten"),
    ([(1, 4, 4), gone.Conv2D(2, 3)], "output layer must give flat output"),
    ([16, gone.Conv2D(2, 3), gone.Flatten(), gone.Dense(2)], r"image input \(C, H, W\)"),
    ([(1, 4, 4), gone.Conv2D(2, 5), gone.Flatten(), gone.Dense(2)], "larger than"),
    ([(1, 4), gone.Flatten(), gone.Dense(2)], "three positive ints"),
])
def test_bad_architectures_raise_config_errors(layers, match):
    with pytest.raises(gone.ConfigError, match=match):
        gone.Network(layers)


def test_bad_layer_settings():
    for make in (lambda: gone.Conv2D(0, 3), lambda: gone.Conv2D(2, 2, padding="same"),
                 lambda: gone.Conv2D(2, 3, padding=-1), lambda: gone.MaxPool2D(0)):
        with pytest.raises(gone.ConfigError):
            make()


def test_dense_networks_have_no_input_shape():
    net = gone.Network([3, gone.Dense(2)])
    assert net.input_shape is None and net.architecture() == (((2, 3), (2,)),)


@pytest.mark.parametrize("opt", ["sgd", "mbgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_every_optimizer_trains_a_cnn(opt, rng):
    net = small_cnn()
    x, y = rng.normal(size=(8, 2, 7, 7)), rng.integers(0, 4, size=8)
    before = net.evaluate(x, y)["loss"]
    net.train(x, y, optimizer=opt, epochs=30, batch_size=8)
    assert net.evaluate(x, y)["loss"] < before


def test_save_load_round_trip(tmp_path, rng):
    net = small_cnn(stride=2, padding=1)
    net.train(rng.normal(size=(6, 2, 7, 7)), rng.integers(0, 4, size=6), optimizer="adam",
              epochs=2, batch_size=3)
    net.save(tmp_path / "cnn.gone")
    back = gone.load(tmp_path / "cnn.gone")
    x = rng.normal(size=(4, 2, 7, 7))
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    assert back.input_shape == net.input_shape and back.architecture() == net.architecture()
    assert back.optimizer.t == net.optimizer.t
    assert not gone.format.network.go_compatible(net)


def test_loading_checks_image_shapes(tmp_path):
    msg = gone.format.network.to_message(small_cnn())
    msg.Layers[2].output_shape[:] = [3, 2, 2]
    with pytest.raises(gone.GoneFormatError, match="output_shape"):
        gone.format.network.from_message(msg)
    msg = gone.format.network.to_message(small_cnn())
    msg.Layers[1].kind_params["filters"] = 5
    with pytest.raises(gone.GoneFormatError, match="layer 1"):
        gone.format.network.from_message(msg)
    msg = gone.format.network.to_message(small_cnn())
    del msg.input_shape[:]
    msg.input_shape.extend([2, 6])
    with pytest.raises(gone.GoneFormatError, match="input_shape"):
        gone.format.network.from_message(msg)
    msg = gone.format.network.to_message(small_cnn())
    msg.Layers[1].kind_params["stride"] = float("nan")
    with pytest.raises(gone.GoneFormatError, match="not a finite number"):
        gone.format.network.from_message(msg)


# --- evolution -------------------------------------------------------------------

def test_genome_layer_bounds_skip_parameterless_layers():
    net = small_cnn()
    bounds = gone.nn.genome.layer_bounds(net)
    assert len(bounds) == 3 and bounds[-1][1] == net.n_params


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutation_at_rate_zero_is_identity_on_a_cnn(seed):
    net = small_cnn(seed % 7)
    before = net.genome()
    net.mutate(gone.GaussianMutation(rate=0.0, std=5.0), np.random.default_rng(seed))
    np.testing.assert_array_equal(net.genome(), before)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), method=st.sampled_from(["layer", "uniform"]))
def test_crossover_genes_come_from_a_parent_on_a_cnn(seed, method):
    a, b = small_cnn(1), small_cnn(2)
    child = a.crossover(b, np.random.default_rng(seed), method=method)
    g, ga, gb = child.genome(), a.genome(), b.genome()
    assert np.all((g == ga) | (g == gb))
    x = np.random.default_rng(seed).normal(size=(2, 2, 7, 7))
    assert child.predict(x).shape == (2, 4)


def test_crossover_needs_the_same_image_architecture():
    other = gone.Network([(2, 7, 7), gone.Conv2D(3, 3, padding="same", activation="tanh"),
                          gone.MaxPool2D(2, stride=1), gone.Conv2D(2, (2, 1)), gone.Flatten(),
                          gone.Dense(4, "softmax")], loss="cross_entropy")
    with pytest.raises(gone.ShapeError):
        small_cnn().crossover(other, 0)


def test_random_genomes_and_stacked_networks(rng):
    net = small_cnn()
    genomes = random_genomes(net, 3, rng)
    assert genomes.shape == (3, net.n_params) and np.all(np.isfinite(genomes))
    # image layers run network by network inside StackedNetworks (the Layer protocol)
    x = rng.normal(size=(2,) + net.input_shape)
    expected = np.stack([net.with_genome(g).predict(x) for g in genomes])
    np.testing.assert_allclose(gone.StackedNetworks(net, genomes).predict(x), expected,
                               rtol=1e-12, atol=1e-12)


def test_maxpool_ties_share_the_gradient():
    pool = gone.MaxPool2D(2)
    pool.build((1, 2, 4), np.float64, None, "xavier")
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 0.0, 0.0]]]])
    out, cache = pool.forward(x, None)
    np.testing.assert_array_equal(out, [[[[1.0, 2.0]]]])
    dx = pool.backward(np.array([[[[3.0, 5.0]]]]), cache, [])
    np.testing.assert_allclose(dx, [[[[1.0, 1.0, 0.0, 5.0], [1.0, 0.0, 0.0, 0.0]]]])


def test_float32_cnn_stays_float32(rng):
    net = gone.Network([(1, 6, 6), gone.Conv2D(2, 3, padding="same", activation="relu"),
                        gone.MaxPool2D(2), gone.Flatten(), gone.Dense(3, "softmax")],
                       loss="cross_entropy", dtype="float32", seed=0)
    x = rng.normal(size=(4, 1, 6, 6)).astype(np.float32)
    assert net.predict(x).dtype == np.float32
    _, grads = net.gradients(x, np.array([0, 1, 2, 0]))
    assert all(g.dtype == np.float32 for g in grads)
