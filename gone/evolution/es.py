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
"""

from __future__ import annotations

import numpy as np

from ..nn import optimizers as _optimizers
from ..errors import ConfigError
from . import selection as _sel


class ES:
    """Evolution strategy settings and state (mean genome and optimizer moments).

    Args:
        sigma: noise standard deviation.
        learning_rate: step size used when the optimizer has no ``lr`` of its own.
        optimizer: a :class:`gone.Optimizer` or its name (default Adam).
        weight_decay: L2 coefficient pulling ``theta`` towards 0.
        shaping: ``"centered_ranks"`` (default) or None (raw fitness, normalised).
    """

    name = "es"

    def __init__(self, sigma: float = 0.1, learning_rate: float = 0.03, optimizer="adam",
                 weight_decay: float = 0.0, shaping: str | None = "centered_ranks"):
        if not (np.isfinite(sigma) and sigma > 0):
            raise ConfigError(f"sigma must be a finite number > 0, got {sigma}")
        if not (np.isfinite(learning_rate) and learning_rate > 0):
            raise ConfigError(f"learning_rate must be a finite number > 0, got {learning_rate}")
        if weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {weight_decay}")
        _sel.shape(np.zeros(1), shaping)
        self.sigma, self.learning_rate = float(sigma), float(learning_rate)
        self.weight_decay, self.shaping = float(weight_decay), shaping
        self.optimizer = _optimizers.get(optimizer)
        if not isinstance(optimizer, _optimizers.Optimizer):
            self.optimizer.lr = None  # a name or class: its step size is learning_rate
        self.mean: np.ndarray | None = None
        self._eps: np.ndarray | None = None

    # --- the strategy protocol (see gone.evolution.population) ----------------
    def initial(self, template, size: int, rng: np.random.Generator) -> np.ndarray:
        """Start from the template's weights; the first candidates are drawn by ask."""
        if size < 2 or size % 2:
            raise ConfigError(f"the evolution strategy needs an even population >= 2 "
                              f"(antithetic pairs), got {size}")
        self.mean = template.genome()
        return np.repeat(self.mean[None, :], size, axis=0)

    def ask(self, template, genomes, fitness, rng: np.random.Generator,
            generation: int) -> np.ndarray:
        """Candidates ``(pop, n_params)``: ``theta + sigma eps`` then ``theta - sigma eps``."""
        half = len(genomes) // 2
        self._eps = rng.standard_normal((half, self.mean.size)).astype(self.mean.dtype, copy=False)
        step = self.mean.dtype.type(self.sigma) * self._eps
        return np.concatenate([self.mean + step, self.mean - step])

    def tell(self, genomes: np.ndarray, fitness: np.ndarray, generation: int) -> None:
        """Move ``theta`` along the estimated fitness gradient with the optimizer."""
        if self._eps is None:
            raise ConfigError("ES.tell called without a matching ask")
        grad = self.gradient(_sel.sanitize(fitness), self._eps)
        if self.weight_decay:
            grad += self.weight_decay * self.mean
        self.optimizer.step([self.mean], [grad.astype(self.mean.dtype, copy=False)],
                            self.learning_rate)
        self._eps = None

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

    # --- persistence ------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.mean = np.array(state["mean"])

    def settings(self) -> dict:
        return {"sigma": self.sigma, "learning_rate": self.learning_rate,
                "optimizer": self.optimizer.name, "weight_decay": self.weight_decay,
                "shaping": self.shaping}
