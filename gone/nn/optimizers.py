"""Optimizers: how a gradient becomes a parameter update.

An optimizer updates a list of parameter arrays in place from a same-shaped
list of gradients: ``opt.step(params, grads, lr)``. The gradients may come from
backprop or from an evolution strategy's estimate; the optimizer does not care.
Its ``batch_size`` is the default mini-batch size ``Network.train`` uses
(``None`` = the whole data set per step). ``lr=None`` means "use the
network's ``learning_rate``", as in the Go library.

Update rules (g = gradient, t = step count from 1):

==========  ==================================================================
GD/SGD/MBGD p -= lr g
Momentum    v = mu v + g;           p -= lr v
Nesterov    v = mu v + g;           p -= lr (g + mu v)
RMSprop     s = rho s + (1-rho) g^2; p -= lr g / (sqrt(s) + eps)
Adam        m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
            p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
==========  ==================================================================
"""

from __future__ import annotations

import math

import numpy as np

from .._base.registry import Registry
from ..errors import ConfigError


def _positive(what: str, value):
    """``value`` if it is a finite number > 0, else ConfigError."""
    try:
        ok = math.isfinite(value) and value > 0
    except TypeError:
        ok = False
    if not ok:
        raise ConfigError(f"{what} must be a finite number > 0, got {value!r}")
    return value


def _fraction(what: str, value):
    """``value`` if it is a number in [0, 1), else ConfigError."""
    try:
        ok = 0 <= value < 1
    except TypeError:
        ok = False
    if not ok:
        raise ConfigError(f"{what} must be in [0, 1), got {value!r}")
    return value


class Optimizer:
    """Base class. Subclasses define ``slots`` (state arrays per parameter) and ``_update``."""

    name = "optimizer"
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float | None = None, batch_size: int | None = 32):
        if lr is not None:
            _positive("learning rate", lr)
        if batch_size is not None:
            try:
                ok = int(batch_size) == batch_size and batch_size >= 1
            except (TypeError, ValueError, OverflowError):
                ok = False
            if not ok:
                raise ConfigError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        self.lr = lr
        self.batch_size = None if batch_size is None else int(batch_size)
        self.t = 0
        self.state: dict[str, list[np.ndarray]] = {}

    # --- the update ---------------------------------------------------------
    #: True when the update is exactly ``p -= lr * g``: the caller may then fold
    #: ``lr`` into the backward pass (scaling the small output-layer gradient)
    #: and call :meth:`step_folded`, saving a pass over every parameter.
    folds_lr = False

    def resolve_lr(self, lr: float | None) -> float:
        """The step size to use: this optimizer's own ``lr``, else the one given."""
        lr = self.lr if self.lr is not None else lr
        if lr is None:
            raise ConfigError(f"{self.name}: no learning rate given")
        return _positive(f"{self.name}: learning rate", lr)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray],
             lr: float | None = None) -> None:
        """Update ``params`` in place. ``grads`` may be overwritten (they are scratch)."""
        lr = self.resolve_lr(lr)
        if not self.state and self.slots:
            self.state = {s: [np.zeros_like(p) for p in params] for s in self.slots}
        self.t += 1
        self._update(params, grads, lr)

    def step_folded(self, params: list[np.ndarray], scaled_grads: list[np.ndarray]) -> None:
        """Update from gradients already multiplied by the learning rate (``folds_lr`` only)."""
        raise ConfigError(f"{self.name} cannot take gradients with the learning rate folded in")

    def _update(self, params, grads, lr):
        raise NotImplementedError

    # --- persistence --------------------------------------------------------
    def hyperparams(self) -> dict[str, float]:
        """Numeric settings, for saving. ``lr``/``batch_size`` are absent when None."""
        out = {k: float(v) for k, v in self._extra().items()}
        if self.lr is not None:
            out["lr"] = float(self.lr)
        if self.batch_size is not None:
            out["batch_size"] = float(self.batch_size)
        return out

    def _extra(self) -> dict[str, float]:
        return {}

    def copy(self) -> "Optimizer":
        """An independent copy, state arrays included."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.state = {k: [a.copy() for a in v] for k, v in self.state.items()}
        return twin

    def check_params(self, params: list[np.ndarray]) -> None:
        """Raise ConfigError if existing state does not fit ``params``."""
        for slot, arrays in self.state.items():
            shapes = [a.shape for a in arrays]
            if shapes != [p.shape for p in params]:
                raise ConfigError(
                    f"{self.name} state ({slot}) has shapes {shapes}, which do not match "
                    f"the network's parameters {[p.shape for p in params]}; "
                    "use a fresh optimizer for a different network"
                )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.hyperparams().items())
        return f"{type(self).__name__}({args})"


class GD(Optimizer):
    """Plain gradient descent on the whole data set per step (``batch_size=None``)."""

    name = "gd"

    def __init__(self, lr: float | None = None, batch_size: int | None = None):
        super().__init__(lr, batch_size)

    folds_lr = True

    def _update(self, params, grads, lr):
        for p, g in zip(params, grads):
            # A Python float keeps float32 grads float32; g.dtype.type(lr) would turn
            # an integer gradient's lr into int(lr) = 0 and silently skip the step.
            g *= lr
            p -= g

    def step_folded(self, params, scaled_grads):
        self.t += 1
        for p, g in zip(params, scaled_grads):
            p -= g


class SGD(GD):
    """Stochastic (online) gradient descent: one sample per step, as the Go library's ``SGD()``."""

    name = "sgd"

    def __init__(self, lr: float | None = None, batch_size: int | None = 1):
        super().__init__(lr, batch_size)


class MBGD(GD):
    """Mini-batch gradient descent: ``batch_size`` samples per step."""

    name = "mbgd"

    def __init__(self, batch_size: int = 32, lr: float | None = None):
        super().__init__(lr, batch_size)


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v = mu v + g; p -= lr v``."""

    name = "momentum"
    slots = ("velocity",)

    def __init__(self, lr: float | None = None, momentum: float = 0.9,
                 batch_size: int | None = 32):
        super().__init__(lr, batch_size)
        self.momentum = _fraction("momentum", momentum)

    def _extra(self):
        return {"momentum": self.momentum}

    def _update(self, params, grads, lr):
        for p, g, v in zip(params, grads, self.state["velocity"]):
            v *= self.momentum
            v += g
            p -= lr * v


class Nesterov(Momentum):
    """Nesterov momentum: ``v = mu v + g; p -= lr (g + mu v)``."""

    name = "nesterov"

    def _update(self, params, grads, lr):
        for p, g, v in zip(params, grads, self.state["velocity"]):
            v *= self.momentum
            v += g
            g += self.momentum * v
            g *= lr
            p -= g


class RMSprop(Optimizer):
    """RMSprop (Hinton): ``s = rho s + (1-rho) g^2; p -= lr g / (sqrt(s) + eps)``."""

    name = "rmsprop"
    slots = ("square_avg",)

    def __init__(self, lr: float | None = 0.001, rho: float = 0.9, eps: float = 1e-8,
                 batch_size: int | None = 32):
        super().__init__(lr, batch_size)
        self.rho, self.eps = _fraction("rho", rho), _positive("eps", eps)

    def _extra(self):
        return {"rho": self.rho, "eps": self.eps}

    def _update(self, params, grads, lr):
        for p, g, s in zip(params, grads, self.state["square_avg"]):
            s *= self.rho
            sq = g * g
            sq *= 1 - self.rho
            s += sq
            np.sqrt(s, out=sq)  # sq is scratch from here on: the denominator
            sq += self.eps
            g *= lr
            g /= sq
            p -= g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction."""

    name = "adam"
    slots = ("m", "v")

    def __init__(self, lr: float | None = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, batch_size: int | None = 32):
        super().__init__(lr, batch_size)
        self.beta1, self.beta2 = _fraction("beta1", beta1), _fraction("beta2", beta2)
        self.eps = _positive("eps", eps)

    def _extra(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def _update(self, params, grads, lr):
        b1, b2 = self.beta1, self.beta2
        # math.sqrt, not np.sqrt: a numpy float64 scalar would promote float32 arrays.
        step = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps_hat = self.eps * math.sqrt(1 - b2**self.t)  # eps moved inside the corrected form
        for p, g, m, v in zip(params, grads, self.state["m"], self.state["v"]):
            m *= b1
            v *= b2
            tmp = g * (1 - b1)
            m += tmp
            g *= g  # the gradient is scratch: reuse it for g^2
            g *= 1 - b2
            v += g
            np.sqrt(v, out=tmp)  # tmp: the denominator
            tmp += eps_hat
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp


REGISTRY: Registry[type] = Registry("optimizer")
for _cls in (GD, SGD, MBGD, Momentum, Nesterov, RMSprop, Adam):
    REGISTRY.register(_cls.name, _cls)
_REGISTRY = REGISTRY  # the name before the one Registry class


def names() -> list[str]:
    return REGISTRY.names()


def register(cls: type, aliases: tuple[str, ...] = ()) -> type:
    """Add an :class:`Optimizer` subclass under its ``name`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise ConfigError(f"register expects an Optimizer subclass, got {cls!r}")
    return REGISTRY.register(cls.name, cls, aliases=aliases)


def get(optimizer) -> Optimizer:
    """An optimizer instance from an instance, a class or a (case-insensitive) name."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        return optimizer()
    if not isinstance(optimizer, str):
        raise ConfigError(f"an optimizer is a name, a class or an instance, got {optimizer!r}")
    return REGISTRY.get(optimizer)()


def from_state(name: str, hyperparams: dict, step: int,
               slots: dict[str, list[np.ndarray]]) -> Optimizer:
    """Rebuild a saved optimizer, state included, so training resumes where it stopped."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown optimizer {name!r} in saved state")
    cls = REGISTRY.get(name)
    kwargs = dict(hyperparams)
    kwargs.setdefault("batch_size", None)  # the constructor checks and converts it
    kwargs.setdefault("lr", None)
    if int(step) != step or step < 0:
        raise ConfigError(f"optimizer {name!r}: step must be an integer >= 0, got {step}")
    try:
        opt = cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"optimizer {name!r}: bad saved settings {hyperparams}") from exc
    if not slots and step == 0:
        return opt  # never stepped: its first step creates the (zero) state
    if set(slots) != set(cls.slots):
        raise ConfigError(f"optimizer {name!r}: saved state has slots {sorted(slots)}, "
                          f"expected {sorted(cls.slots)}")
    opt.t = int(step)
    opt.state = {k: [np.array(a) for a in v] for k, v in slots.items()}
    return opt
