"""OpenAI-style evolution strategy (Salimans et al. 2017).

The strategy keeps a mean genome ``theta (n_params,)``. Each generation it
asks for ``pop`` candidates ``theta +- sigma * eps`` (antithetic pairs, ``eps``
standard normal ``(pop/2, n_params)``), and from their fitness estimates the
gradient of expected fitness

    g = sum_i (w_i+ - w_i-) eps_i / (pop * sigma)

with centred-rank weights ``w``. The estimate goes to the same optimizer
objects backprop uses (``gone.Adam`` by default), as a gradient to descend:
``-g`` plus an optional L2 ``weight_decay * theta``. So a network can be
trained by backprop, by evolution, or by both, with the same optimizers.

The settings are frozen (the optimizer by name and hyper-parameters); the
state (:class:`ESState`) holds ``theta``, the optimizer's step count and
moments, and between ask and tell the noise ``eps``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ConfigError
from ..nn import optimizers as _optimizers
from . import selection as _sel
from .strategy import State, Strategy, count, derived, register, vector, vectors


@dataclass(frozen=True)
class ESState(State):
    """The ES's state: ``mean (n,)``, the optimizer's ``opt_step`` and ``opt_slots``
    (moment vectors by name), and the pending noise ``eps (pop/2, n)`` between ask and tell."""

    mean: np.ndarray = vector(default=None)
    opt_step: int = count(default=0)
    opt_slots: dict = vectors(default_factory=dict)
    eps: np.ndarray | None = derived(default=None)


@register
@dataclass(frozen=True)
class ES(Strategy):
    """Evolution strategy settings.

    Args:
        sigma: noise standard deviation.
        learning_rate: step size used when the optimizer has no ``lr`` of its own.
        optimizer: a :class:`gone.Optimizer` or its name (default Adam); an
            instance gives its name and hyper-parameters (not its moments).
        weight_decay: L2 coefficient pulling ``theta`` towards 0.
        shaping: ``"centered_ranks"`` (default) or None (raw fitness, normalised).
        optimizer_params: the optimizer's hyper-parameters (filled from an instance).
    """

    sigma: float = 0.1
    learning_rate: float = 0.03
    optimizer: object = "adam"
    weight_decay: float = 0.0
    shaping: str | None = "centered_ranks"
    optimizer_params: dict = field(default_factory=dict)

    name = "es"
    state_class = ESState

    def __post_init__(self):
        for what, value in (("sigma", self.sigma), ("learning_rate", self.learning_rate)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"{what} must be a finite number > 0, got {value!r}")
        if not (isinstance(self.weight_decay, (int, float)) and 0 <= self.weight_decay < math.inf):
            raise ConfigError(f"weight_decay must be a finite number >= 0, got {self.weight_decay!r}")
        _sel.shape(np.zeros(1), self.shaping)
        opt = self.optimizer
        if isinstance(opt, _optimizers.Optimizer) or (
                isinstance(opt, type) and issubclass(opt, _optimizers.Optimizer)):
            opt = _optimizers.get(opt)
            params = {k: v for k, v in opt.hyperparams().items() if k != "batch_size"}
            if isinstance(self.optimizer, type):
                params.pop("lr", None)  # a class: its step size is learning_rate
            object.__setattr__(self, "optimizer", opt.name)
            object.__setattr__(self, "optimizer_params", {**params, **self.optimizer_params})
        elif isinstance(opt, str):
            object.__setattr__(self, "optimizer", _optimizers.get(opt).name)
        else:
            raise ConfigError(f"optimizer must be a gone.Optimizer or its name, got {opt!r}")
        object.__setattr__(self, "sigma", float(self.sigma))
        object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "weight_decay", float(self.weight_decay))
        self._optimizer(0, {})  # validates the name and the hyper-parameters

    def _optimizer(self, step: int, slots: dict) -> _optimizers.Optimizer:
        """A working optimizer in the given state (copies of the moments: the state stays frozen)."""
        if not isinstance(self.optimizer_params, dict) or not all(
                isinstance(v, (int, float)) for v in self.optimizer_params.values()):
            raise ConfigError(f"optimizer_params must map names to numbers, got "
                              f"{self.optimizer_params!r:.80}")
        params = {"lr": None, **self.optimizer_params}
        return _optimizers.from_state(self.optimizer, params, step,
                                      {k: [np.array(v)] for k, v in slots.items()})

    # --- the strategy protocol ---------------------------------------------------
    def init(self, template, size: int, rng: np.random.Generator) -> ESState:
        """Start from the template's weights; the first candidates are drawn by ask."""
        self.check_size(size)
        mean = template.genome()
        return ESState(np.repeat(mean[None, :], size, axis=0), np.empty(0), 0, mean=mean)

    def ask(self, state: ESState, rng: np.random.Generator) -> tuple[np.ndarray, ESState]:
        """Candidates ``(pop, n_params)``: ``theta + sigma eps`` then ``theta - sigma eps``."""
        mean, half = state.mean, len(state.genomes) // 2
        eps = rng.standard_normal((half, mean.size)).astype(mean.dtype, copy=False)
        step = mean.dtype.type(self.sigma) * eps
        return np.concatenate([mean + step, mean - step]), replace(state, eps=eps)

    def tell(self, state: ESState, genomes: np.ndarray, fitness: np.ndarray) -> ESState:
        """Move ``theta`` along the estimated fitness gradient with the optimizer."""
        if state.eps is None:
            raise ConfigError("ES.tell needs the state its ask returned (with the noise eps)")
        grad = self.gradient(_sel.sanitize(fitness), state.eps)
        mean = state.mean.copy()
        if self.weight_decay:
            grad += self.weight_decay * mean
        opt = self._optimizer(state.opt_step, state.opt_slots)
        opt.step([mean], [grad.astype(mean.dtype, copy=False)], self.learning_rate)
        return replace(state, genomes=genomes, fitness=fitness, generation=state.generation + 1,
                       mean=mean, opt_step=opt.t,
                       opt_slots={k: v[0] for k, v in opt.state.items()}, eps=None)

    def check_size(self, size: int) -> None:
        if size < 2 or size % 2:
            raise ConfigError(f"the evolution strategy needs an even population >= 2 "
                              f"(antithetic pairs), got {size}")

    def write_back(self, state: ESState, fitness: np.ndarray, learn, top: int) -> ESState:
        """Lamarckian learning refines the mean genome (the candidates move on anyway)."""
        return replace(state, mean=learn(state.mean[None, :])[0])

    # --- the gradient estimate ---------------------------------------------------
    def gradient(self, fitness: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """The descent direction ``-g`` ``(n_params,)`` from fitness ``(pop,)`` and ``eps (pop/2, n)``."""
        w = self._weights(fitness)
        half = len(eps)
        return -((w[:half] - w[half:]) @ eps) / (2 * half * self.sigma)

    def _weights(self, fitness: np.ndarray) -> np.ndarray:
        if self.shaping in (None, "none"):
            ok = np.isfinite(fitness)
            f = np.where(ok, fitness, fitness[ok].min() if ok.any() else 0.0)
            return (f - f.mean()) / (f.std() + 1e-12)
        return _sel.shape(fitness, self.shaping)
