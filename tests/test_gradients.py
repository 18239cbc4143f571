"""Analytic gradients against float64 central differences: activations, losses, networks.

Also proves the checker can fail: a wrong derivative, a wrong loss gradient and
a sabotaged layer backward pass all give a large error.
"""

import numpy as np
import pytest

import gone
from gone import activations, gradcheck, losses
from gone.nn.layers.dense import Dense

# Correct gradients score ~1e-7 against float64 central differences (their absolute
# noise is ~1e-10); a gradient off by even 1% scores > 4e-3.
TOL = 1e-5
KINKED = {"relu", "leaky_relu", "binary_step", "elu"}  # derivative jumps at z = 0


def _z(rng, shape=(3, 4), scale=2.0):
    """Random pre-activations of both signs, kept clear of the kink at 0."""
    z = rng.normal(scale=scale, size=shape)
    z[np.abs(z) < 1e-2] = 0.5
    z.flat[0], z.flat[1] = -abs(z.flat[0]) - 0.1, abs(z.flat[1]) + 0.1  # both signs for sure
    return z


# --- activations ---------------------------------------------------------------

PARAMETRISED = [activations.leaky_relu(0.2), activations.elu(0.5), activations.elu(2.0),
                activations.swish(2.5), activations.isru(0.3)]


@pytest.mark.parametrize("act", [activations.get(n) for n in activations.names()] + PARAMETRISED,
                         ids=repr)
@pytest.mark.parametrize("scale", [0.5, 1.5, 3.0])
def test_activation_derivative_matches_finite_differences(act, scale, rng):
    for _ in range(3):
        z = _z(rng, scale=scale)
        assert gradcheck.check_activation(act, z, rng) < TOL


def test_kinked_activations_are_checked_on_both_sides_of_the_kink(rng):
    z = np.array([[-3.0, -0.5, -1e-3, 1e-3, 0.5, 3.0]])
    for name in KINKED:
        assert gradcheck.check_activation(activations.get(name), z, rng) < TOL


def test_softmax_vjp_matches_finite_differences_for_large_rows(rng):
    # saturated rows: most vjp entries are tiny, so the differences' noise shows more
    z = rng.normal(scale=5, size=(2, 7))
    assert gradcheck.check_activation(activations.get("softmax"), z, rng) < 10 * TOL


# --- losses ----------------------------------------------------------------------

def _loss_inputs(name, rng, batch=4, n=3):
    """A prediction inside the loss's domain (probabilities for the cross-entropies)."""
    if name == "mse":
        return rng.normal(size=(batch, n)), rng.normal(size=(batch, n))
    if name == "cross_entropy":
        p = activations.get("softmax")(rng.normal(size=(batch, n)))
        return p, activations.get("softmax")(rng.normal(size=(batch, n)))
    p = rng.uniform(0.05, 0.95, size=(batch, n))
    return p, rng.uniform(size=(batch, n))


@pytest.mark.parametrize("name", losses.names())
def test_loss_gradient_matches_finite_differences(name, rng):
    loss = losses.get(name)
    for batch, n in [(1, 1), (4, 3), (7, 2)]:
        p, y = _loss_inputs(name, rng, batch, n)
        assert gradcheck.check_loss(loss, p, y) < TOL


def test_mse_gradient_is_half_the_finite_difference_derivative(rng):
    mse = losses.get("mse")
    assert mse.grad_scale == 0.5
    p, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    numeric = gradcheck.numeric_grad(lambda: mse(p, y), p)
    np.testing.assert_allclose(mse.grad(p, y), 0.5 * numeric, rtol=1e-7)
    assert gradcheck.rel_error(mse.grad(p, y), numeric) > 0.3  # not the full derivative


@pytest.mark.parametrize("loss_name, act_name", [("cross_entropy", "softmax"),
                                                 ("binary_cross_entropy", "sigmoid")])
def test_fused_gradient_is_the_derivative_of_loss_after_activation(loss_name, act_name, rng):
    loss, act = losses.get(loss_name), activations.get(act_name)
    z = rng.normal(scale=2, size=(4, 3))
    y = (np.eye(3)[rng.integers(0, 3, size=4)] if act_name == "softmax"
         else rng.uniform(size=(4, 3)))
    numeric = gradcheck.numeric_grad(lambda: loss(act(z), y), z)
    fused = loss.fused[act_name](act(z), y)
    chain = act.backward(z, act(z), loss.grad(act(z), y))
    assert gradcheck.rel_error(fused, numeric) < TOL
    assert gradcheck.rel_error(fused, chain) < 1e-9


# --- the checker itself ------------------------------------------------------------

def test_numeric_grad_sees_through_non_contiguous_views():
    base = np.arange(20.0).reshape(4, 5)
    for x in (base.T, base[::2, 1:4], base[:, ::-1]):
        numeric = gradcheck.numeric_grad(lambda: float(np.sum(x**2)), x)
        np.testing.assert_allclose(numeric, 2 * x, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(base, np.arange(20.0).reshape(4, 5))  # restored


def test_rel_error():
    assert gradcheck.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gradcheck.rel_error(np.array([1.0]), np.array([-1.0])) == 1.0
    assert gradcheck.rel_error(np.array([3.0]), np.array([1.0])) == 0.5
    assert gradcheck.rel_error(np.array([1e-12]), np.array([0.0])) < 1e-3  # absolute floor
    # an entry far below the largest is measured against 1e-3 x the largest ...
    big, tiny = np.array([1.0, 1e-8]), np.array([1.0, 2e-8])
    assert gradcheck.rel_error(big, tiny) < 1e-5
    assert gradcheck.rel_error(big, tiny, rel_floor=0) > 0.3
    # ... but an entry above that floor still shows its own relative error
    assert gradcheck.rel_error(np.array([1.0, 0.1]), np.array([1.0, 0.2])) > 0.3


def _wrong_activation(factor):
    sig = activations.get("sigmoid")
    return gone.Activation("bad_sigmoid", sig.fn, lambda z, a: factor * sig.grad(z, a))


@pytest.mark.parametrize("factor, at_least", [(2.0, 0.3), (-1.0, 0.99), (1.01, 4e-3)])
def test_checker_catches_a_wrong_activation_derivative(factor, at_least, rng):
    z = _z(rng)
    assert gradcheck.check_activation(activations.get("sigmoid"), z, rng) < TOL
    assert gradcheck.check_activation(_wrong_activation(factor), z, rng) > at_least


def test_checker_catches_a_wrong_softmax_vjp(rng):
    sm = activations.get("softmax")
    bad = gone.Activation("bad_softmax", sm.fn, None, vjp=lambda z, a, g: a * g)  # diagonal only
    assert gradcheck.check_activation(bad, rng.normal(size=(3, 4)), rng) > 0.1


def test_checker_catches_a_wrong_loss_gradient(rng):
    mse = losses.get("mse")
    p, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    missing_batch_mean = gone.Loss("bad", mse.fn, lambda p, y: (p - y) / p.shape[1],
                                   grad_scale=0.5)
    assert gradcheck.check_loss(missing_batch_mean, p, y) > 0.5
    wrong_sign = gone.Loss("bad", mse.fn, lambda p, y: (y - p) / p.size, grad_scale=0.5)
    assert gradcheck.check_loss(wrong_sign, p, y) > 0.99
    wrong_scale = gone.Loss("bad", mse.fn, mse.grad)  # grad_scale 1 claimed: off by 2
    assert gradcheck.check_loss(wrong_scale, p, y) > 0.3


def test_checker_catches_a_sabotaged_layer_backward(rng, monkeypatch):
    net = gone.Network([3, Dense(4, "tanh"), Dense(3, "sigmoid"), 2], seed=rng)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert gradcheck.check_network(net, x, y) < TOL

    hidden = net.layers[1]
    honest = hidden.backward

    def flipped_input_grad(*args):
        grad_x = honest(*args)
        return -grad_x  # wrong sign for everything below this layer

    monkeypatch.setattr(hidden, "backward", flipped_input_grad)
    assert gradcheck.check_network(net, x, y) > 0.99
    monkeypatch.undo()

    def doubled_weight_grad(grad_a, cache, out, *rest):
        grad_x = honest(grad_a, cache, out, *rest)
        out[0] *= 2
        return grad_x

    monkeypatch.setattr(hidden, "backward", doubled_weight_grad)
    assert gradcheck.check_network(net, x, y) > 0.3
    monkeypatch.undo()
    assert gradcheck.check_network(net, x, y) < TOL


def test_checker_catches_l2_decay_left_out(rng, monkeypatch):
    net = gone.Network([3, Dense(4, "tanh", l2=0.5), 2], seed=rng)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert gradcheck.check_network(net, x, y) < TOL
    layer = net.layers[0]
    honest = layer.backward_z

    def forgets_l2(*args):
        l2, layer.l2 = layer.l2, 0.0
        try:
            return honest(*args)
        finally:
            layer.l2 = l2

    monkeypatch.setattr(layer, "backward_z", forgets_l2)
    assert gradcheck.check_network(net, x, y) > 0.05


# --- whole networks ---------------------------------------------------------------

def _targets(loss, n_out, batch, rng):
    if loss == "cross_entropy":
        return rng.integers(0, n_out, size=batch) if n_out > 1 else np.ones((batch, 1))
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(batch, n_out)).astype(float)
    return rng.normal(size=(batch, n_out))


NETWORKS = {
    "sigmoid-identity-mse": ([3, Dense(4, "sigmoid"), 2], "mse"),
    "xor-go-style": ([2, Dense(4, "sigmoid"), Dense(1, "sigmoid")], "mse"),
    "tanh-nobias-relu-sigmoid-bce": (
        [3, Dense(5, "tanh", bias=False), Dense(4, "relu"), Dense(2, "sigmoid")],
        "binary_cross_entropy"),
    "elu-l2-softmax-ce": ([4, Dense(5, "elu", l2=0.1), Dense(3, "softmax")], "cross_entropy"),
    "leaky-l2-gelu-nobias-mse": (
        [2, Dense(4, "leaky_relu", l2=0.05), Dense(3, "gelu"), Dense(1, "identity", bias=False)],
        "mse"),
    "softmax-mse-unfused": ([3, Dense(4, "arctan"), Dense(3, "softmax")], "mse"),
    "sigmoid-ce-unfused": ([3, Dense(4, "softsign"), Dense(2, "sigmoid")], "cross_entropy"),
    "softmax-bce-unfused": ([3, Dense(4, "isru"), Dense(3, "softmax", l2=0.2)],
                            "binary_cross_entropy"),
    "gaussian-swish-nobias": (
        [2, Dense(3, "gaussian", bias=False), Dense(3, "swish", bias=False), 2], "mse"),
    "three-hidden-float64": (
        [4, Dense(6, "tanh"), Dense(5, "elu", l2=0.01), Dense(5, "swish", bias=False),
         Dense(3, "softmax")], "cross_entropy"),
}


@pytest.mark.parametrize("key", sorted(NETWORKS))
def test_network_backprop_matches_finite_differences(key, rng):
    layers, loss = NETWORKS[key]
    net = gone.Network(layers, loss=loss, dtype="float64", seed=rng)
    assert net.dtype == np.float64
    for batch in (1, 5):
        x = rng.normal(size=(batch, net.n_inputs))
        y = _targets(loss, net.n_outputs, batch, rng)
        assert gradcheck.check_network(net, x, y) < TOL


@pytest.mark.parametrize("loss", losses.names())
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_every_loss_with_bias_and_l2_settings(loss, bias, l2, rng):
    output = {"mse": "identity", "cross_entropy": "softmax",
              "binary_cross_entropy": "sigmoid"}[loss]
    net = gone.Network([3, Dense(4, "tanh", bias=bias, l2=l2), Dense(3, "sigmoid", l2=l2),
                        Dense(3, output, bias=bias)], loss=loss, seed=rng)
    x = rng.normal(size=(6, 3))
    assert gradcheck.check_network(net, x, _targets(loss, 3, 6, rng)) < TOL


def test_network_mse_gradient_is_half_the_exact_one(rng):
    net = gone.Network([2, Dense(3, "tanh"), 2], loss="mse", seed=rng)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    _, analytic = net.gradients(x, y)
    for a, p in zip(analytic, net.params):
        numeric = gradcheck.numeric_grad(lambda: net.loss(net.predict(x), y), p)
        np.testing.assert_allclose(a, 0.5 * numeric, rtol=1e-6, atol=1e-10)


def test_network_gradient_of_a_single_sample(rng):
    net = gone.Network([3, Dense(4, "sigmoid"), 2], seed=rng)
    assert gradcheck.check_network(net, rng.normal(size=3), rng.normal(size=2)) < TOL
