"""Loss functions: a value and its gradient with respect to the network output.

``fn(y_pred, y) -> float`` is the mean over the batch; ``grad(y_pred, y)`` has
the shape of ``y_pred`` ``(batch, n_out)`` and already includes the ``1/batch``
of that mean. ``grad`` equals ``grad_scale`` times the exact derivative of
``fn``: 1 for every built-in loss except MSE (see :func:`mse`).

``fused`` maps an output activation name to a function ``(a, y) -> dL/dz``
that skips the activation's Jacobian: softmax with cross-entropy gives
``(a - y) / batch``, which is exact and cannot overflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._base.registry import Registry
from ..errors import ConfigError

Array = np.ndarray


@dataclass(frozen=True)
class Loss:
    """A named loss. Build your own with ``Loss(name, fn, grad)`` and :func:`register`."""

    name: str
    fn: Callable[[Array, Array], float]
    grad: Callable[[Array, Array], Array]
    grad_scale: float = 1.0
    fused: dict = field(default_factory=dict)
    #: optional ``(y_pred, y) -> (value, grad)`` sharing work between the two
    both: Callable | None = field(default=None, compare=False, repr=False)
    #: True when ``grad`` always returns a new array that callers may overwrite
    #: (all built-ins); custom losses default to False, so gone copies first.
    fresh_grad: bool = False

    def __call__(self, y_pred: Array, y: Array) -> float:
        return self.fn(y_pred, y)

    def value_and_grad(self, y_pred: Array, y: Array) -> tuple[float, Array]:
        """``(fn(y_pred, y), grad(y_pred, y))``, in one pass where the loss allows."""
        if self.both is not None:
            return self.both(y_pred, y)
        return self.fn(y_pred, y), self.grad(y_pred, y)

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


def _eps(a: Array):
    # Smallest probability we take a log of; large enough to be exact in float32.
    return a.dtype.type(1e-12 if a.dtype == np.float64 else 1e-7)


def mse() -> Loss:
    """Mean squared error with the Go library's semantics.

    Value: ``sum((y - y_pred)^2) / n_out`` per sample, averaged over the batch.
    Gradient: ``(y_pred - y) / n_out`` per sample, i.e. half the exact derivative
    (``grad_scale = 0.5``), exactly the step the Go library takes, so learning
    rates carry over from Go unchanged.
    """
    def fn(p, y):
        d = p - y
        return float(np.vdot(d, d)) / d.size

    def grad(p, y):
        d = p - y
        d *= d.dtype.type(1.0 / d.size)
        return d

    def both(p, y):
        d = p - y
        value = float(np.vdot(d, d)) / d.size
        d *= d.dtype.type(1.0 / d.size)
        return value, d

    return Loss("mse", fn, grad, grad_scale=0.5, both=both, fresh_grad=True)


def cross_entropy() -> Loss:
    """Categorical cross-entropy ``-sum(y log y_pred)`` per sample, batch mean.

    Targets are one-hot (or any distribution) rows; with a softmax output layer
    the gradient is the fused ``(y_pred - y) / batch``.
    """
    def fn(p, y):
        return float(-np.vdot(y, np.log(np.maximum(p, _eps(p))))) / len(p)

    def grad(p, y):
        return -y / np.maximum(p, _eps(p)) / len(p)

    def fused_softmax(a, y):
        g = a - y
        g *= g.dtype.type(1.0 / len(a))
        return g

    return Loss("cross_entropy", fn, grad, fused={"softmax": fused_softmax}, fresh_grad=True)


def binary_cross_entropy() -> Loss:
    """Binary cross-entropy per output unit, averaged over units and batch.

    With a sigmoid output layer the gradient is the fused ``(y_pred - y) / (batch n_out)``.
    """
    def clip(p):
        e = _eps(p)
        return np.clip(p, e, 1 - e)

    def fn(p, y):
        q = clip(p)
        return float(-(np.vdot(y, np.log(q)) + np.vdot(1 - y, np.log1p(-q)))) / p.size

    def grad(p, y):
        q = clip(p)
        return (q - y) / (q * (1 - q)) / p.size

    def fused_sigmoid(a, y):
        g = a - y
        g *= g.dtype.type(1.0 / a.size)
        return g

    return Loss("binary_cross_entropy", fn, grad, fused={"sigmoid": fused_sigmoid},
                fresh_grad=True)


REGISTRY: Registry[Callable[[], Loss]] = Registry("loss")
REGISTRY.register("mse", mse, aliases=("mean_squared_error", ""))
REGISTRY.register("cross_entropy", cross_entropy,
                  aliases=("crossentropy", "ce", "categorical_cross_entropy",
                           "categorical_crossentropy"))
REGISTRY.register("binary_cross_entropy", binary_cross_entropy,
                  aliases=("bce", "binary_crossentropy"))


def canonical_name(name: str) -> str:
    """The registry key for ``name``: case-insensitive, ``-``/space as ``_``, aliases resolved."""
    return REGISTRY.key(name)


def names() -> list[str]:
    return REGISTRY.names()


def get(loss: "str | Loss | None") -> Loss:
    """Look up a loss by (case-insensitive) name, or return a Loss as is."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, (str, type(None))):
        raise ConfigError(f"a loss is a name or a gone.Loss, got {loss!r}")
    try:
        return REGISTRY.get("mse" if loss is None else loss)()
    except ConfigError as exc:
        raise ConfigError(f"{exc} (register a custom one with gone.register_loss)") from None


def register(loss: Loss, aliases: tuple[str, ...] = ()) -> None:
    """Register a custom :class:`Loss` so ``.gone`` files naming it can be loaded."""
    if not isinstance(loss, Loss):
        raise ConfigError("register expects a gone.Loss(name, fn, grad)")
    REGISTRY.register(loss.name, lambda: loss, aliases=aliases)
