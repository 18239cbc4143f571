"""Finite-difference gradient checks for activations, losses and whole networks.

Use these on your own :class:`~gone.Activation` or :class:`~gone.Loss` before
training with it. Central differences in float64: error O(eps^2).
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def numeric_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f() / d x by central differences, perturbing ``x`` in place (restored after).

    A test utility: one pair of calls per element, so keep ``x`` small. ``x``
    may be any view (a transpose, a strided slice): it is indexed in place,
    never through a flattened copy that ``f`` would not see.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8,
              rel_floor: float = 1e-3) -> float:
    """Largest elementwise ``|a - b| / max(|a| + |b|, floor, rel_floor * max(|a| + |b|))``.

    Central differences are accurate to an absolute ~1e-10 times the function's
    size, not relative to each entry, so an entry far below the largest one
    (near a zero of the derivative, e.g. GELU' at z = -0.75) is measured against
    ``rel_floor`` times the largest entry instead of its own size. A gradient
    wrong by a factor still shows that factor on every entry above the floor.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    size = np.abs(a) + np.abs(b)
    floor = max(floor, rel_floor * float(np.max(size, initial=0.0)))
    return float(np.max(np.abs(a - b) / np.maximum(size, floor), initial=0.0))


def check_activation(act, z: np.ndarray, rng: np.random.Generator) -> float:
    """Relative error of ``act.backward`` against finite differences at ``z (batch, n)``."""
    z = np.array(z, dtype=np.float64)
    g = rng.normal(size=z.shape)
    analytic = act.backward(z, act.fn(z), g)
    numeric = numeric_grad(lambda: float(np.sum(g * act.fn(z))), z)
    return rel_error(analytic, numeric)


def check_loss(loss, y_pred: np.ndarray, y: np.ndarray) -> float:
    """Relative error of ``loss.grad`` against ``grad_scale`` x finite differences."""
    y_pred = np.array(y_pred, dtype=np.float64)
    analytic = loss.grad(y_pred, y)
    numeric = loss.grad_scale * numeric_grad(lambda: loss.fn(y_pred, y), y_pred)
    return rel_error(analytic, numeric)


def check_network(net, x: np.ndarray, y: np.ndarray, dropout_seed: int | None = None) -> float:
    """Relative error of ``net.loss_and_grad`` (backprop) against finite differences of the loss.

    Accounts for the loss's ``grad_scale`` and for L2 decay (the gradient of
    ``l2/2 * ||W||^2``). With ``dropout_seed`` dropout is active and every
    pass draws the same masks (a fresh generator from that seed each time),
    so the loss is a smooth function of the parameters that backprop must match.
    """
    def rng():
        return None if dropout_seed is None else np.random.default_rng(dropout_seed)

    _, grad = net.loss_and_grad(x, y, rng=rng())
    grad = grad.copy()
    scale = net.loss.grad_scale

    def total_loss():
        value = net.loss_and_grad(x, y, rng=rng())[0]
        return value + sum(0.5 * l.l2 * float(np.vdot(l.weight, l.weight)) / scale
                           for l in net.layers if l.l2)

    errors, start = [], 0
    for p in net.params:  # views of net.flat, compared parameter by parameter
        analytic = grad[start:start + p.size].reshape(p.shape)
        errors.append(rel_error(analytic, scale * numeric_grad(total_loss, p)))
        start += p.size
    return max(errors)
