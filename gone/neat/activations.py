"""neat-python's activation names, as gone activations.

neat-python's ``sigmoid`` is ``1 / (1 + exp(-5 z))`` and its ``tanh`` is
``tanh(2.5 z)``: the scale hides inside the name. Here each NEAT name maps to
a plain gone activation plus an explicit input scale ``s`` (``f(s * z)``), so a
compiled genome's :class:`~gone.GraphNetwork` uses the ordinary ``sigmoid``
with its incoming weights and bias multiplied by ``s``: the same numbers, and
a graph anyone can read, convert and train. Functions gone has no counterpart
for are registered under ``neat_<name>`` (e.g. ``neat_hat``).

``ACTIVATIONS[name] = (gone name, params, scale)``.
"""

from __future__ import annotations

import numpy as np

from ..nn import activations as _act

_LAMBDA, _ALPHA = 1.0507009873554805, 1.6732632423543772


def _extra(name, fn, grad) -> str:
    key = f"neat_{name}"
    if key not in _act.names():
        _act.register(key, _act.Activation(key, fn, grad, {}))
    return key


def _safe_inv(z):
    with np.errstate(divide="ignore"):
        out = np.where(z == 0, 0.0, 1.0 / np.where(z == 0, 1.0, z))
    return out


def _register() -> dict:
    clip = lambda lo, hi: (lambda z: np.clip(z, lo, hi))  # noqa: E731
    table = {
        "sigmoid": ("sigmoid", {}, 5.0),
        "tanh": ("tanh", {}, 2.5),
        "gauss": ("gaussian", {}, float(np.sqrt(5.0))),
        "relu": ("relu", {}, 1.0),
        "elu": ("elu", {}, 1.0),
        "lelu": ("leaky_relu", {"alpha": 0.005}, 1.0),
        "identity": ("identity", {}, 1.0),
    }
    extras = {
        "sin": (lambda z: np.sin(np.clip(5 * z, -60, 60)),
                lambda z, a: 5 * np.cos(5 * z) * (np.abs(5 * z) < 60)),
        "selu": (lambda z: np.where(z > 0, _LAMBDA * z, _LAMBDA * _ALPHA * np.expm1(np.minimum(z, 0))),
                 lambda z, a: np.where(z > 0, _LAMBDA, _LAMBDA * _ALPHA * np.exp(np.minimum(z, 0)))),
        "softplus": (lambda z: 0.2 * np.logaddexp(0, np.clip(5 * z, -60, 60)),
                     lambda z, a: 1 / (1 + np.exp(-np.clip(5 * z, -60, 60)))),
        "clamped": (clip(-1.0, 1.0), lambda z, a: ((z > -1) & (z < 1)).astype(z.dtype)),
        "inv": (_safe_inv, lambda z, a: -a * a),
        "log": (lambda z: np.log(np.maximum(z, 1e-7)), lambda z, a: (z > 1e-7) / np.maximum(z, 1e-7)),
        "exp": (lambda z: np.exp(np.clip(z, -60, 60)), lambda z, a: a * (np.abs(z) < 60)),
        "abs": (np.abs, lambda z, a: np.sign(z)),
        "hat": (lambda z: np.maximum(0.0, 1 - np.abs(z)),
                lambda z, a: -np.sign(z) * (np.abs(z) < 1)),
        "square": (lambda z: z * z, lambda z, a: 2 * z),
        "cube": (lambda z: z * z * z, lambda z, a: 3 * z * z),
    }
    for name, (fn, grad) in extras.items():
        table[name] = (_extra(name, fn, grad), {}, 1.0)
    return table


ACTIVATIONS = _register()


def names() -> list[str]:
    """neat-python's activation names that gone knows."""
    return sorted(ACTIVATIONS)


def gone_activation(name: str) -> _act.Activation:
    """The gone activation behind a NEAT name (apply it to ``scale(name) * z``)."""
    gone_name, params, _ = ACTIVATIONS[name]
    return _act.get(gone_name, **params)


def scale(name: str) -> float:
    """The input scale of a NEAT activation (neat-python's sigmoid: 5)."""
    return ACTIVATIONS[name][2]
