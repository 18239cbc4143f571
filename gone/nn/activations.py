"""Activation functions, each a value and a derivative, registered by name.

Every activation maps a pre-activation ``z`` of any shape to ``a = f(z)`` of the
same shape and dtype. Its derivative ``grad(z, a)`` is ``da/dz`` elementwise;
taking ``a`` as well lets the cheap forms (sigmoid' = a(1-a)) reuse the forward
result, as the Go library does. Softmax is not elementwise: it supplies a
vector-Jacobian product instead (``vjp(z, a, g)`` = g^T J over the last axis).

All forms are numerically stable: no overflow warnings for |z| up to 1e4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._base.registry import Registry
from ..errors import ConfigError

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """A named activation: ``fn(z) -> a``, ``grad(z, a) -> da/dz``.

    ``params`` holds the numeric settings (e.g. leaky ReLU's ``alpha``) so the
    activation can be saved and rebuilt by name. ``vjp`` replaces the
    elementwise rule for activations that mix units (softmax). ``scale_inplace``
    is an optional fast path ``(z, a, g) -> g`` that multiplies ``g`` by
    ``da/dz`` in place, used when ``g`` is scratch.
    """

    name: str
    fn: Callable[[Array], Array]
    grad: Callable[[Array, Array], Array] | None
    params: dict = field(default_factory=dict)
    vjp: Callable[[Array, Array, Array], Array] | None = None
    scale_inplace: Callable[[Array, Array, Array], Array] | None = field(
        default=None, compare=False, repr=False)

    def __call__(self, z: Array) -> Array:
        return self.fn(z)

    def backward(self, z: Array, a: Array, grad_a: Array, overwrite: bool = False) -> Array:
        """Gradient w.r.t. ``z`` given the gradient w.r.t. ``a``; all shapes equal.

        With ``overwrite=True`` the caller gives up ``grad_a`` (it is scratch)
        and the result may be computed in it, saving temporaries.
        """
        if self.vjp is not None:
            return self.vjp(z, a, grad_a)
        if overwrite and self.scale_inplace is not None:
            return self.scale_inplace(z, a, grad_a)
        return grad_a * self.grad(z, a)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Activation({self.name!r}{args})"


def _const(z: Array, value: float):
    """``value`` as a scalar of ``z``'s dtype, so float32 stays float32."""
    return z.dtype.type(value)


# --- the functions -------------------------------------------------------

def _sigmoid(z):
    # 1/(1+exp(-z)) keeps full relative precision in both tails (the tanh form
    # cancels to 0 from z = -38). For z < -709 exp overflows to inf and the
    # result is exactly 0, the true limit, so that overflow is expected, not
    # reported. In place: four passes over one new array.
    with np.errstate(over="ignore"):
        t = np.negative(z)
        np.exp(t, out=t)
    t += 1
    np.reciprocal(t, out=t)
    return t


def _sigmoid_grad(z, a):
    return a * (1 - a)


def _relu(z):
    return np.maximum(z, _const(z, 0))


def _relu_grad(z, a):
    return (z > 0).astype(z.dtype)


def _tanh_grad(z, a):
    return 1 - a * a


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax_vjp(z, a, g):
    return a * (g - (g * a).sum(axis=-1, keepdims=True))


# A Python float, not np.float64: under NumPy 2 promotion rules a float64
# scalar would turn a float32 array into float64.
_GELU_C = float(np.sqrt(2.0 / np.pi))


def _gelu(z):
    # tanh approximation (Hendrycks & Gimpel); numpy has no erf.
    return 0.5 * z * (1 + np.tanh(_GELU_C * (z + 0.044715 * z**3)))


def _gelu_grad(z, a):
    t = np.tanh(_GELU_C * (z + 0.044715 * z**3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _GELU_C * (1 + 3 * 0.044715 * z * z)


def _finite(name: str, **params) -> None:
    for key, value in params.items():
        if not (isinstance(value, (int, float, np.number)) and np.isfinite(value)):
            raise ConfigError(f"{name} {key} must be a finite number, got {value!r}")


def leaky_relu(alpha: float = 0.01) -> Activation:
    """``z`` for z > 0, else ``alpha * z``."""
    _finite("leaky_relu", alpha=alpha)
    return Activation(
        "leaky_relu",
        lambda z: np.where(z > 0, z, _const(z, alpha) * z),
        lambda z, a: np.where(z > 0, _const(z, 1), _const(z, alpha)),
        {"alpha": float(alpha)},
    )


def elu(alpha: float = 1.0) -> Activation:
    """``z`` for z > 0, else ``alpha * (exp(z) - 1)``."""
    _finite("elu", alpha=alpha)
    def fn(z):
        return np.where(z > 0, z, _const(z, alpha) * np.expm1(np.minimum(z, 0)))

    def grad(z, a):
        # alpha * exp(z) directly: ``a + alpha`` cancels to 0 for z << 0.
        return np.where(z > 0, _const(z, 1), _const(z, alpha) * np.exp(np.minimum(z, 0)))

    return Activation("elu", fn, grad, {"alpha": float(alpha)})


def swish(beta: float = 1.0) -> Activation:
    """``z * sigmoid(beta * z)`` (SiLU when beta = 1)."""
    _finite("swish", beta=beta)
    def grad(z, a):
        s = _sigmoid(_const(z, beta) * z)
        return s + beta * z * s * (1 - s)

    return Activation("swish", lambda z: z * _sigmoid(_const(z, beta) * z), grad,
                      {"beta": float(beta)})


def isru(alpha: float = 1.0) -> Activation:
    """Inverse square root unit ``z / sqrt(1 + alpha z^2)``; ``alpha >= 0``."""
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ConfigError(f"isru alpha must be a finite number >= 0, got {alpha}")
    return Activation(
        "isru",
        lambda z: z / np.sqrt(1 + _const(z, alpha) * z * z),
        lambda z, a: (1 / np.sqrt(1 + _const(z, alpha) * z * z)) ** 3,
        {"alpha": float(alpha)},
    )


def _simple(name, fn, grad, vjp=None, scale_inplace=None):
    return lambda: Activation(name, fn, grad, {}, vjp, scale_inplace)


# In-place derivative products for the common activations: g *= da/dz.
def _identity_scale(z, a, g):
    return g


def _sigmoid_scale(z, a, g):
    t = np.subtract(1, a)
    t *= a
    g *= t
    return g


def _relu_scale(z, a, g):
    np.multiply(g, z > 0, out=g)
    return g


def _tanh_scale(z, a, g):
    t = np.multiply(a, a)
    np.subtract(1, t, out=t)
    g *= t
    return g


_BUILTINS: dict[str, Callable[..., Activation]] = {
    "identity": _simple("identity", lambda z: z.copy(), lambda z, a: np.ones_like(z),
                        scale_inplace=_identity_scale),
    "sigmoid": _simple("sigmoid", _sigmoid, _sigmoid_grad, scale_inplace=_sigmoid_scale),
    "relu": _simple("relu", _relu, _relu_grad, scale_inplace=_relu_scale),
    "leaky_relu": leaky_relu,
    "elu": elu,
    "gelu": _simple("gelu", _gelu, _gelu_grad),
    "swish": swish,
    "tanh": _simple("tanh", np.tanh, _tanh_grad, scale_inplace=_tanh_scale),
    "softsign": _simple("softsign", lambda z: z / (1 + np.abs(z)),
                        lambda z, a: 1 / (1 + np.abs(z)) ** 2),
    "arctan": _simple("arctan", np.arctan, lambda z, a: 1 / (1 + z * z)),
    "binary_step": _simple("binary_step", lambda z: (z >= 0).astype(z.dtype),
                           lambda z, a: np.zeros_like(z)),
    "isru": isru,
    "gaussian": _simple("gaussian", lambda z: np.exp(-(z * z)), lambda z, a: -2 * z * a),
    "softmax": _simple("softmax", _softmax, None, _softmax_vjp),
}

_ALIASES = {
    "id": "identity", "linear": "identity", "none": "identity", "": "identity",
    "softstep": "sigmoid", "logistic": "sigmoid",
    "leakyrelu": "leaky_relu", "lrelu": "leaky_relu",
    "silu": "swish",
    "atan": "arctan",
    "binary": "binary_step", "step": "binary_step", "heaviside": "binary_step",
    "binarystep": "binary_step",
}



# One registry of factories (keyword parameters -> Activation); see gone._base.registry.
REGISTRY: Registry[Callable[..., Activation]] = Registry("activation")
_BY_TARGET: dict[str, list[str]] = {}
for _alias, _target in _ALIASES.items():
    _BY_TARGET.setdefault(_target, []).append(_alias)
for _name, _factory in _BUILTINS.items():
    REGISTRY.register(_name, _factory, aliases=_BY_TARGET.get(_name, ()))


def canonical_name(name: str) -> str:
    """The registry key for ``name``: case-insensitive, ``-``/space as ``_``, aliases resolved."""
    return REGISTRY.key(name)


def names() -> list[str]:
    """Canonical names of every registered activation."""
    return REGISTRY.names()


def get(activation: "str | Activation | None", **params) -> Activation:
    """Look up an activation by name (with ``params``), or return an Activation as is."""
    if isinstance(activation, Activation):
        if params:
            raise ConfigError("parameters can only be given with an activation name")
        return activation
    if activation is None:
        activation = "identity"
    factory = REGISTRY.get(activation)
    key = REGISTRY.key(activation)
    try:
        return factory(**params)
    except TypeError as exc:
        raise ConfigError(f"activation {key!r} does not take parameters {params}") from exc


def register(name: str, factory: "Callable[..., Activation] | Activation",
             aliases: tuple[str, ...] = ()) -> None:
    """Add a custom activation so networks, ``.gone`` files and the CLI find it by name.

    ``factory`` is an :class:`Activation` or a function of keyword parameters
    returning one.
    """
    if isinstance(factory, Activation):
        fixed = factory
        factory = lambda: fixed  # noqa: E731
    REGISTRY.register(name, factory, aliases=aliases)
