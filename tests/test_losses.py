"""Losses: values against hand formulas, gradient conventions, the registry, dtypes.

Finite-difference gradient checks are in ``test_gradients.py``.
"""

import math
import warnings

import numpy as np
import pytest

import gone
from gone import activations, losses

NAMES = losses.names()


def _probabilities(rng, batch=4, n=3):
    """Rows of a softmax: valid predictions for every built-in loss."""
    return activations.get("softmax")(rng.normal(size=(batch, n)))


def _one_hot(rng, batch=4, n=3):
    return np.eye(n)[rng.integers(0, n, size=batch)]


def test_registry_lists_the_builtins():
    assert NAMES == ["binary_cross_entropy", "cross_entropy", "mse"]


@pytest.mark.parametrize("name", NAMES)
def test_get_by_name_returns_that_loss(name):
    loss = losses.get(name)
    assert isinstance(loss, gone.Loss)
    assert loss.name == name
    assert losses.get(loss) is loss


@pytest.mark.parametrize("alias, name", [
    (None, "mse"), ("MSE", "mse"), ("mean_squared_error", "mse"), ("Mean Squared Error", "mse"),
    ("CE", "cross_entropy"), ("Cross-Entropy", "cross_entropy"), ("crossentropy", "cross_entropy"),
    ("categorical_crossentropy", "cross_entropy"), ("Categorical Cross Entropy", "cross_entropy"),
    ("BCE", "binary_cross_entropy"), ("binary_crossentropy", "binary_cross_entropy"),
    ("Binary-Cross-Entropy", "binary_cross_entropy"),
])
def test_aliases_are_case_insensitive(alias, name):
    assert losses.get(alias).name == name


def test_unknown_loss_raises_config_error_naming_the_known_ones():
    with pytest.raises(gone.ConfigError) as info:
        losses.get("hinge")
    message = str(info.value)
    assert "'hinge'" in message
    for name in NAMES:
        assert name in message
    assert "register_loss" in message
    with pytest.raises(gone.ConfigError):
        gone.Network([2, 1], loss="hinge")


# --- values against hand formulas ------------------------------------------------

def test_mse_value_is_the_go_per_sample_mean_over_outputs_averaged_over_the_batch(rng):
    p = rng.normal(size=(5, 3))
    y = rng.normal(size=(5, 3))
    per_sample = [sum((y[i, j] - p[i, j]) ** 2 for j in range(3)) / 3 for i in range(5)]
    assert losses.get("mse")(p, y) == pytest.approx(sum(per_sample) / 5, rel=1e-13)


def test_mse_by_hand():
    p = np.array([[1.0, 2.0], [0.0, 0.0]])
    y = np.array([[0.0, 0.0], [1.0, 3.0]])
    # sample 1: (1 + 4) / 2 = 2.5; sample 2: (1 + 9) / 2 = 5.0; mean 3.75
    assert losses.get("mse")(p, y) == 3.75


def test_mse_gradient_is_half_the_exact_derivative_as_in_go(rng):
    mse = losses.get("mse")
    assert mse.grad_scale == 0.5
    p = rng.normal(size=(4, 3))
    y = rng.normal(size=(4, 3))
    exact = 2 * (p - y) / p.size  # d/dp of mean_batch(sum_out (p-y)^2 / n_out)
    np.testing.assert_allclose(mse.grad(p, y), 0.5 * exact, rtol=1e-13)
    np.testing.assert_allclose(mse.grad(p, y), (p - y) / 3 / 4, rtol=1e-13)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
def test_other_builtins_have_unit_grad_scale(name):
    assert losses.get(name).grad_scale == 1.0


def test_cross_entropy_value(rng):
    p = _probabilities(rng)
    y = _one_hot(rng)
    expected = -sum(math.log(p[i, j]) for i in range(4) for j in range(3) if y[i, j]) / 4
    assert losses.get("cross_entropy")(p, y) == pytest.approx(expected, rel=1e-13)
    soft = _probabilities(rng)  # soft targets: -sum y log p per sample
    expected = -np.mean(np.sum(soft * np.log(p), axis=1))
    assert losses.get("ce")(p, soft) == pytest.approx(expected, rel=1e-13)


def test_cross_entropy_by_hand():
    p = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    y = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    assert losses.get("cross_entropy")(p, y) == pytest.approx((math.log(2) - math.log(0.8)) / 2)


def test_binary_cross_entropy_value(rng):
    p = rng.uniform(0.05, 0.95, size=(5, 2))
    y = rng.integers(0, 2, size=(5, 2)).astype(float)
    terms = [y[i, j] * math.log(p[i, j]) + (1 - y[i, j]) * math.log(1 - p[i, j])
             for i in range(5) for j in range(2)]
    assert losses.get("bce")(p, y) == pytest.approx(-sum(terms) / 10, rel=1e-13)


def test_binary_cross_entropy_by_hand():
    p = np.array([[0.8], [0.25]])
    y = np.array([[1.0], [0.0]])
    assert losses.get("bce")(p, y) == pytest.approx(-(math.log(0.8) + math.log(0.75)) / 2)


def test_gradients_by_hand(rng):
    p = _probabilities(rng)
    y = _one_hot(rng)
    np.testing.assert_allclose(losses.get("cross_entropy").grad(p, y), -y / p / 4, rtol=1e-13)
    q = rng.uniform(0.05, 0.95, size=(4, 2))
    t = rng.uniform(0, 1, size=(4, 2))
    np.testing.assert_allclose(losses.get("bce").grad(q, t),
                               (-t / q + (1 - t) / (1 - q)) / 8, rtol=1e-12)


def test_perfect_predictions_have_zero_mse_and_zero_gradient(rng):
    y = rng.normal(size=(3, 2))
    mse = losses.get("mse")
    assert mse(y.copy(), y) == 0.0
    np.testing.assert_array_equal(mse.grad(y.copy(), y), 0.0)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
def test_probabilities_of_exactly_0_and_1_give_finite_values_and_gradients(name):
    loss = losses.get(name)
    p = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])  # confidently wrong everywhere
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            value = loss(p, y)
            grad = loss.grad(p, y)
    assert math.isfinite(value) and value > 10  # large, but not inf
    assert np.all(np.isfinite(grad))
    assert loss(y.copy(), y) == pytest.approx(0.0, abs=1e-9)  # right and certain: ~0


# --- fused output gradients -------------------------------------------------------

def test_fused_gradients_are_registered_for_the_matching_output_activation():
    assert set(losses.get("cross_entropy").fused) == {"softmax"}
    assert set(losses.get("binary_cross_entropy").fused) == {"sigmoid"}
    assert losses.get("mse").fused == {}


@pytest.mark.parametrize("targets", ["one_hot", "soft"])
def test_fused_softmax_cross_entropy_equals_the_chain_rule(rng, targets):
    softmax, ce = activations.get("softmax"), losses.get("cross_entropy")
    z = rng.normal(scale=2, size=(5, 4))
    a = softmax(z)
    y = _one_hot(rng, 5, 4) if targets == "one_hot" else _probabilities(rng, 5, 4)
    chain = softmax.backward(z, a, ce.grad(a, y))
    fused = ce.fused["softmax"](a, y)
    np.testing.assert_allclose(fused, chain, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(fused, (a - y) / 5, rtol=1e-13)


def test_fused_sigmoid_bce_equals_the_chain_rule(rng):
    sigmoid, bce = activations.get("sigmoid"), losses.get("binary_cross_entropy")
    z = rng.normal(scale=2, size=(5, 3))
    a = sigmoid(z)
    y = rng.uniform(size=(5, 3))
    chain = sigmoid.backward(z, a, bce.grad(a, y))
    fused = bce.fused["sigmoid"](a, y)
    np.testing.assert_allclose(fused, chain, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(fused, (a - y) / 15, rtol=1e-13)


# --- dtypes ---------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_float32_gradients_stay_float32(name, rng):
    loss = losses.get(name)
    p = _probabilities(rng).astype(np.float32)
    y = _one_hot(rng).astype(np.float32)
    assert loss.grad(p, y).dtype == np.float32
    for fused in loss.fused.values():
        assert fused(p, y).dtype == np.float32
    value = loss(p, y)
    assert isinstance(value, float)
    assert value == pytest.approx(loss(p.astype(np.float64), y.astype(np.float64)), rel=1e-5)


def test_gradient_does_not_modify_its_inputs(rng):
    for name in NAMES:
        p = _probabilities(rng)
        y = _one_hot(rng)
        p0, y0 = p.copy(), y.copy()
        loss = losses.get(name)
        loss.grad(p, y)
        for fused in loss.fused.values():
            fused(p, y)
        np.testing.assert_array_equal(p, p0)
        np.testing.assert_array_equal(y, y0)


# --- custom losses ----------------------------------------------------------------

def _mae():
    return gone.Loss(
        "mae",
        lambda p, y: float(np.mean(np.abs(p - y))),
        lambda p, y: np.sign(p - y) / p.size,
    )


@pytest.fixture
def clean_registry(monkeypatch):
    """Let a test register losses without leaking them into other tests."""
    monkeypatch.setattr(losses.REGISTRY, "_entries", dict(losses.REGISTRY._entries))
    monkeypatch.setattr(losses.REGISTRY, "_aliases", dict(losses.REGISTRY._aliases))


def test_custom_loss_works_without_registering(rng):
    mae = _mae()
    net = gone.Network([2, gone.Dense(3, "tanh"), 2], loss=mae, seed=rng)
    assert net.loss is mae
    x = rng.normal(size=(4, 2))
    y = rng.normal(size=(4, 2))
    value, grads = net.gradients(x, y)
    assert value == pytest.approx(float(np.mean(np.abs(net.predict(x) - y))))
    assert [g.shape for g in grads] == [p.shape for p in net.params]


def test_register_loss_makes_it_available_by_name(clean_registry, rng):
    mae = _mae()
    gone.register_loss(mae, aliases=("Mean-Absolute-Error", "L1"))
    assert "mae" in losses.names()
    for spelling in ("mae", "MAE", "mean absolute error", "mean_absolute_error", "l1"):
        assert losses.get(spelling) is mae
    net = gone.Network([2, 1], loss="L1", seed=rng)
    assert net.loss is mae


def test_registering_an_existing_alias_repoints_only_that_alias(clean_registry):
    gone.register_loss(_mae(), aliases=("ce",))
    assert losses.get("ce").name == "mae"
    assert losses.get("cross_entropy").name == "cross_entropy"
    assert losses.get("categorical_crossentropy").name == "cross_entropy"


def test_register_rejects_anything_but_a_loss(clean_registry):
    with pytest.raises(gone.ConfigError):
        gone.register_loss(lambda p, y: 0.0)
    with pytest.raises(gone.ConfigError):
        gone.register_loss("mae")
