"""Dropout: its gradient against finite differences with the masks held fixed, its
expectation, and the epoch loss when the last mini-batch is shorter than the others."""

import numpy as np
import pytest

import gone
from gone import activations, gradcheck
from gone.nn.layers.dense import Dense

TOL = 1e-5
# Activations whose derivative is zero almost everywhere: nothing for a gradient check to see.
FLAT = {"binary_step"}


# gone's own activations (neat-python's, registered as neat_*, are checked in tests/test_neat_*).
OWN = [n for n in activations.names() if not n.startswith("neat_")]


@pytest.mark.parametrize("name", [n for n in OWN if n not in FLAT])
def test_dropout_on_every_hidden_activation_matches_finite_differences(name, rng):
    net = gone.Network([3, Dense(6, name, dropout=0.3), Dense(5, name, dropout=0.5),
                        Dense(3, "softmax")], loss="cross_entropy", seed=rng)
    x = rng.normal(size=(7, 3))
    y = rng.integers(0, 3, size=7)
    # The same seed gives the same masks on every pass, so the loss is a smooth
    # function of the weights; a mask that really drops units is part of the check.
    drop = net.loss_and_grad(x, y, rng=np.random.default_rng(4))[0]
    assert drop != net.loss_and_grad(x, y)[0]
    assert gradcheck.check_network(net, x, y, dropout_seed=4) < TOL


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gaussian"])
def test_dropout_gradient_check_fails_when_the_masked_output_feeds_the_derivative(name, rng,
                                                                                   monkeypatch):
    """The bug the issue found: the activation's derivative taken from ``a * mask``."""
    def wrong_backward(self, grad_a, cache, out, need_input_grad=True, scale=1.0):
        x, z, a, mask = cache
        if mask is not None:
            grad_a *= mask
            a = a * mask
        grad_z = self.activation.backward(z, a, grad_a, overwrite=True)
        return self.backward_z(grad_z, cache, out, need_input_grad, scale)

    net = gone.Network([3, Dense(6, name, dropout=0.5), Dense(2, "identity")], seed=rng)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert gradcheck.check_network(net, x, y, dropout_seed=1) < TOL
    monkeypatch.setattr(Dense, "backward", wrong_backward)
    assert gradcheck.check_network(net, x, y, dropout_seed=1) > 1e-2


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_training_mode_mean_activation_equals_inference_activation(rate, rng):
    net = gone.Network([4, Dense(30, "sigmoid", dropout=rate), 1], seed=rng)
    layer, n = net.layers[0], 20_000
    x = np.repeat(rng.normal(size=(1, 4)), n, axis=0)
    a = layer.predict(x[:1])[0]
    mean = layer.forward(x, rng)[0].mean(axis=0)
    # each training output is a/keep with probability keep, else 0: variance a^2 (1-keep)/keep
    keep = 1 - rate
    sigma = a * np.sqrt((1 - keep) / keep / n)
    assert np.all(np.abs(mean - a) < 5 * sigma)
    # and the test would see a missing 1/keep rescale (mean keep*a instead of a)
    assert np.any(np.abs(keep * a - a) > 5 * sigma)


def test_epoch_loss_weights_a_short_last_batch_by_its_size():
    """10 samples in batches of 4, 4 and 2 on a 1-1 linear network, computed by hand."""
    x = np.array([[-1.0], [0.5], [2.0], [1.5], [-0.5], [0.0], [1.0], [-2.0], [3.0], [0.25]])
    y = 0.7 * x[:, 0] - 0.3 + np.array([0.1, -0.2, 0.05, 0.0, 0.3, -0.1, 0.2, 0.0, -0.3, 0.1])
    net = gone.Network([1, 1], seed=0)
    w, b = float(net.layers[0].weight[0, 0]), float(net.layers[0].bias[0])
    lr, losses = 0.1, []
    for start in (0, 4, 8):
        xb, yb = x[start:start + 4, 0], y[start:start + 4]
        e = w * xb + b - yb
        losses.append((float(np.mean(e ** 2)), len(xb)))
        # gone's MSE steps with half the exact derivative (the Go library's step)
        w, b = w - lr * float(np.mean(e * xb)), b - lr * float(np.mean(e))
    history = net.train(x, y, optimizer=gone.SGD(lr=lr), batch_size=4, shuffle=False)
    by_size = sum(loss * size for loss, size in losses) / 10
    by_batch = sum(loss for loss, _ in losses) / 3
    assert history.loss[0] == pytest.approx(by_size, rel=1e-12)
    assert abs(by_size - by_batch) > 1e-3  # the two rules really differ here
    assert net.layers[0].weight[0, 0] == pytest.approx(w, rel=1e-12)
    assert net.layers[0].bias[0] == pytest.approx(b, rel=1e-12)
