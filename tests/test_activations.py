"""Activations: values against independent formulas, the name registry, stability, dtypes.

Gradients are checked against finite differences in ``test_gradients.py``.
"""

import math
import warnings

import numpy as np
import pytest

import gone
from gone import activations

NAMES = activations.names()
EXTREMES = np.array([-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4])


def _moderate(rng, shape=(4, 5)):
    return rng.uniform(-6, 6, size=shape)


def test_registry_lists_every_builtin():
    assert NAMES == sorted(NAMES)
    assert set(NAMES) >= {
        "identity", "sigmoid", "relu", "leaky_relu", "elu", "gelu", "swish", "tanh",
        "softsign", "arctan", "binary_step", "isru", "gaussian", "softmax",
    }


@pytest.mark.parametrize("name", NAMES)
def test_get_by_canonical_name_returns_that_activation(name):
    act = activations.get(name)
    assert isinstance(act, gone.Activation)
    assert act.name == name
    assert activations.get(act) is act


@pytest.mark.parametrize("alias, name", [
    ("id", "identity"), ("linear", "identity"), ("Identity", "identity"),
    ("LINEAR", "identity"), ("none", "identity"), (None, "identity"), ("", "identity"),
    ("SoftStep", "sigmoid"), ("Sigmoid", "sigmoid"), ("logistic", "sigmoid"),
    ("Binary", "binary_step"), ("step", "binary_step"), ("Heaviside", "binary_step"),
    ("Binary Step", "binary_step"), ("binary-step", "binary_step"),
    ("BinaryStep", "binary_step"),
    ("LeakyReLU", "leaky_relu"), ("lrelu", "leaky_relu"), ("Leaky-ReLU", "leaky_relu"),
    ("leaky relu", "leaky_relu"),
    ("ReLU", "relu"), ("TANH", "tanh"), ("SiLU", "swish"), ("atan", "arctan"),
    ("ArcTan", "arctan"), ("ELU", "elu"), ("GELU", "gelu"), ("SoftMax", "softmax"),
    ("ISRU", "isru"), ("Gaussian", "gaussian"), ("SoftSign", "softsign"),
])
def test_aliases_are_case_insensitive(alias, name):
    assert activations.get(alias).name == name


def test_names_follow_the_one_registry_rule():
    # gone._base.registry: spaces and dashes read as "_", and underscores may be left out
    assert activations.get("soft max").name == "softmax"
    assert activations.get("Tan-H").name == "tanh"
    assert activations.get("binarystep").name == "binary_step"


@pytest.mark.parametrize("bad", ["sigmoidd", "soft mux", "relu6", "tan hh"])
def test_unknown_name_raises_config_error_naming_the_known_ones(bad):
    with pytest.raises(gone.ConfigError) as info:
        activations.get(bad)
    message = str(info.value)
    assert repr(bad) in message
    for name in NAMES:
        assert name in message


def test_parameters_for_an_activation_without_any_raise_config_error():
    with pytest.raises(gone.ConfigError):
        activations.get("relu", alpha=0.5)
    with pytest.raises(gone.ConfigError):
        activations.get("leaky_relu", beta=0.5)
    with pytest.raises(gone.ConfigError):
        activations.get(activations.get("tanh"), alpha=0.5)


def test_isru_rejects_an_alpha_that_would_take_the_root_of_a_negative():
    with pytest.raises(gone.ConfigError):
        activations.isru(-1.0)
    with pytest.raises(gone.ConfigError):
        activations.get("isru", alpha=float("nan"))


def test_register_custom_activation_with_aliases(monkeypatch):
    monkeypatch.setattr(activations.REGISTRY, "_entries", dict(activations.REGISTRY._entries))
    monkeypatch.setattr(activations.REGISTRY, "_aliases", dict(activations.REGISTRY._aliases))
    cube = gone.Activation("cube", lambda z: z**3, lambda z, a: 3 * z * z)
    gone.register_activation("Cube", cube, aliases=("Third-Power", "x cubed"))
    assert "cube" in activations.names()
    for spelling in ("cube", "CUBE", "third-power", "Third Power", "third_power", "X-Cubed"):
        assert activations.get(spelling) is cube
    scaled = lambda k=1.0: gone.Activation("scaled", lambda z: k * z, lambda z, a: 0 * z + k,
                                           {"k": k})
    gone.register_activation("scaled", scaled)
    assert activations.get("scaled", k=3.0).params == {"k": 3.0}
    np.testing.assert_array_equal(activations.get("scaled", k=3.0)(np.ones(2)), [3.0, 3.0])


# --- values against independent formulas ---------------------------------------

def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


SCALAR_FORMULAS = {
    "identity": lambda x: x,
    "sigmoid": _sig,
    "relu": lambda x: x if x > 0 else 0.0,
    "leaky_relu": lambda x: x if x > 0 else 0.01 * x,
    "elu": lambda x: x if x > 0 else math.exp(x) - 1,
    "gelu": lambda x: 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "swish": lambda x: x * _sig(x),
    "tanh": lambda x: (math.exp(x) - math.exp(-x)) / (math.exp(x) + math.exp(-x)),
    "softsign": lambda x: x / (1 + abs(x)),
    "arctan": math.atan,
    "binary_step": lambda x: 1.0 if x >= 0 else 0.0,
    "isru": lambda x: x / math.sqrt(1 + x * x),
    "gaussian": lambda x: math.exp(-x * x),
}


def test_every_elementwise_activation_has_a_reference_formula():
    neat = {n for n in NAMES if n.startswith("neat_")}  # neat-python's own: tests/test_neat_*.py
    assert set(SCALAR_FORMULAS) == set(NAMES) - {"softmax"} - neat


@pytest.mark.parametrize("name", sorted(SCALAR_FORMULAS))
def test_value_matches_scalar_formula(name, rng):
    z = _moderate(rng)
    z[0, :3] = [0.0, -1e-3, 1e-3]
    expected = np.vectorize(SCALAR_FORMULAS[name])(z)
    got = activations.get(name)(z)
    assert got.shape == z.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_gelu_approximates_the_exact_erf_form(rng):
    z = rng.uniform(-5, 5, size=200)
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in z])
    np.testing.assert_allclose(activations.get("gelu")(z), exact, atol=1e-3)


def test_binary_step_is_one_at_zero_and_zero_below():
    z = np.array([[-1e-300, -0.0, 0.0, 1e-300, -5.0, 5.0]])
    np.testing.assert_array_equal(activations.get("binary")(z), [[0, 1, 1, 1, 0, 1]])


@pytest.mark.parametrize("alpha", [0.0, 0.2, 0.5])
def test_leaky_relu_alpha(alpha):
    act = activations.get("LeakyReLU", alpha=alpha)
    assert act.params == {"alpha": alpha}
    z = np.array([-4.0, -0.5, 0.5, 3.0])
    np.testing.assert_allclose(act(z), [-4 * alpha, -0.5 * alpha, 0.5, 3.0])
    np.testing.assert_allclose(act.grad(z, act(z)), [alpha, alpha, 1.0, 1.0])


def test_leaky_relu_default_alpha_is_001():
    assert activations.get("leaky_relu").params == {"alpha": 0.01}


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_elu_alpha(alpha):
    act = activations.elu(alpha)
    z = np.array([-30.0, -2.0, -0.1, 0.7, 4.0])
    expected = np.where(z > 0, z, alpha * (np.exp(z) - 1))
    np.testing.assert_allclose(act(z), expected, rtol=1e-12)
    np.testing.assert_allclose(act.grad(z, act(z)), np.where(z > 0, 1.0, alpha * np.exp(z)),
                               rtol=1e-12)
    assert act(np.array([-1e4]))[0] == -alpha  # saturates at -alpha


@pytest.mark.parametrize("alpha", [0.25, 1.0, 4.0])
def test_isru_alpha(alpha):
    act = activations.get("isru", alpha=alpha)
    z = np.linspace(-10, 10, 21)
    np.testing.assert_allclose(act(z), z / np.sqrt(1 + alpha * z**2), rtol=1e-12)
    bound = 1 / math.sqrt(alpha)  # isru saturates at +-1/sqrt(alpha)
    assert np.all(np.abs(act(z)) < bound)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_swish_beta(beta):
    act = activations.swish(beta)
    z = np.linspace(-8, 8, 17)
    np.testing.assert_allclose(act(z), z / (1 + np.exp(-beta * z)), rtol=1e-12, atol=1e-300)


def test_gaussian_peaks_at_zero():
    act = activations.get("gaussian")
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(act(z), [math.exp(-4), math.exp(-1), 1.0, math.exp(-1),
                                        math.exp(-4)], rtol=1e-14)


def test_softmax_rows_are_distributions_matching_the_formula(rng):
    z = rng.normal(scale=3, size=(6, 5))
    a = activations.get("softmax")(z)
    e = np.exp(z)
    np.testing.assert_allclose(a, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(a > 0)
    # invariant to a constant shift per row
    np.testing.assert_allclose(activations.get("softmax")(z + rng.normal(size=(6, 1)) * 100),
                               a, rtol=1e-9)


def test_softmax_with_huge_logits_is_finite_and_exact():
    z = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e300, 1e300, 0.0], [800.0, 800.0, 800.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        a = activations.get("softmax")(z)
    assert np.all(np.isfinite(a))
    e1 = math.exp(-1.0)
    np.testing.assert_allclose(a[0], [1 / (1 + e1), e1 / (1 + e1), 0.0], rtol=1e-12)
    np.testing.assert_array_equal(a[1], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(a[2], [1 / 3] * 3, rtol=1e-12)


def test_sigmoid_saturates_exactly_without_overflow():
    act = activations.get("sigmoid")
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        a = act(np.array([-1e4, -800.0, 800.0, 1e4]))
    np.testing.assert_array_equal(a, [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("dtype, zs", [
    (np.float64, [-700.0, -200.0, -40.0, -20.0, -5.0]),
    (np.float32, [-80.0, -40.0, -20.0, -10.0, -5.0]),
])
def test_sigmoid_keeps_relative_precision_in_the_left_tail(dtype, zs):
    # 0.5 (1 + tanh(z/2)) would give exactly 0 here (1 + (-1 + tiny) cancels).
    z = np.array(zs, dtype=dtype)
    expected = np.array([1 / (1 + math.exp(-x)) for x in zs])
    a = activations.get("sigmoid")(z)
    assert np.all(a > 0)
    np.testing.assert_allclose(a, expected, rtol=1e-14 if dtype == np.float64 else 1e-6)
    grad = activations.get("sigmoid").grad(z, a)  # a (1 - a): alive as long as a is
    np.testing.assert_allclose(grad, expected * (1 - expected),
                               rtol=1e-14 if dtype == np.float64 else 1e-6)


def test_identity_returns_a_copy():
    z = np.arange(3.0)
    a = activations.get("identity")(z)
    a[0] = 99
    assert z[0] == 0


def test_backward_multiplies_grad_a_by_the_elementwise_derivative(rng):
    act = activations.get("tanh")
    z = _moderate(rng)
    g = rng.normal(size=z.shape)
    np.testing.assert_allclose(act.backward(z, act(z), g), g / np.cosh(z) ** 2, rtol=1e-10)


def test_softmax_backward_is_the_jacobian_vector_product(rng):
    act = activations.get("softmax")
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    a = act(z)
    for row in range(3):
        s = a[row]
        jacobian = np.diag(s) - np.outer(s, s)
        np.testing.assert_allclose(act.backward(z, a, g)[row], jacobian.T @ g[row], rtol=1e-12)


# --- numerical stability and dtypes -------------------------------------------

ALL_ACTIVATIONS = [activations.get(n) for n in NAMES] + [
    activations.leaky_relu(0.3), activations.elu(2.0), activations.swish(4.0),
    activations.isru(0.1),
]
IDS = [repr(a) for a in ALL_ACTIVATIONS]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("act", ALL_ACTIVATIONS, ids=IDS)
def test_extreme_inputs_give_finite_values_and_derivatives_without_warnings(act, dtype):
    # rows mixing every extreme, and one extreme per row (softmax mixes a row)
    z = np.vstack([EXTREMES, EXTREMES[::-1]]).astype(dtype)
    single = EXTREMES.reshape(-1, 1).astype(dtype)
    for x in (z, single):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            # underflow to 0 is fine (exp(-1e8) = 0); overflow and NaN are not
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                a = act(x)
                grad = act.backward(x, a, np.ones_like(x))
        assert np.all(np.isfinite(a)), a
        assert np.all(np.isfinite(grad)), grad


@pytest.mark.parametrize("name, expected", [
    ("sigmoid", [0, 0, 0, 0.5, 1, 1, 1]),
    ("tanh", [-1, -1, -1, 0, 1, 1, 1]),
    ("relu", [0, 0, 0, 0, 50, 1e3, 1e4]),
    ("gaussian", [0, 0, 0, 1, 0, 0, 0]),
    ("binary_step", [0, 0, 0, 1, 1, 1, 1]),
    ("elu", [-1, -1, math.expm1(-50), 0, 50, 1e3, 1e4]),
    ("swish", [0, 0, -50 * _sig(-50), 0, 50 * _sig(50), 1e3, 1e4]),
    ("gelu", [0, 0, 0, 0, 50, 1e3, 1e4]),
])
def test_extreme_inputs_give_the_limits(name, expected):
    np.testing.assert_allclose(activations.get(name)(EXTREMES), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("act", ALL_ACTIVATIONS, ids=IDS)
def test_float32_in_float32_out(act, rng):
    z = rng.normal(scale=3, size=(4, 5)).astype(np.float32)
    a = act(z)
    assert a.dtype == np.float32
    assert act.backward(z, a, np.ones_like(z)).dtype == np.float32
    if act.grad is not None:
        assert act.grad(z, a).dtype == np.float32
    np.testing.assert_allclose(a, act(z.astype(np.float64)), rtol=1e-5, atol=1e-6)
