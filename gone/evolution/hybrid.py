"""Backprop-evolution hybrids: refine individuals by gradient descent during evolution.

- :class:`Lamarckian`: after each generation is evaluated, its ``top`` best
  individuals take ``steps`` backprop steps on a data set and keep the refined
  weights, so their children inherit what they learned. (With the evolution
  strategy, the mean genome is refined instead.)
- :class:`Baldwinian`: every individual is refined before its fitness is
  measured, but the refined weights are thrown away: learning guides selection
  without being inherited.

A hybrid is settings (saved with the population: kind, steps, optimizer,
batch size, which individuals) plus the user's data arrays ``x``, ``y``
(never saved). A loaded population's hybrid has its settings but no data
until :meth:`Population.attach_data <gone.evolution.Population.attach_data>`
gives it back; running it without is a :class:`~gone.errors.ConfigError`.

Refinement loops over the individuals it refines; each one trains on the
whole mini-batch with matrix products like ``Network.train_step``.
"""

from __future__ import annotations

import numpy as np

from .._base.registry import Registry
from ..errors import ConfigError
from ..nn import optimizers as _optimizers

#: Hybrids by kind, for population files.
HYBRIDS: Registry = Registry("hybrid")


class _Refiner:
    """``steps`` backprop steps on ``(x, y)`` in mini-batches of ``batch_size`` (all by default)."""

    kind = "?"
    lamarckian = False

    def __init__(self, x, y, steps: int = 5, optimizer="adam", batch_size: int | None = None,
                 top: int | None = None):
        if not _whole(steps) or steps < 1:
            raise ConfigError(f"refinement steps must be a positive integer, got {steps!r}")
        if batch_size is not None and (not _whole(batch_size) or batch_size < 1):
            raise ConfigError(f"refinement batch_size must be a positive integer or None, "
                              f"got {batch_size!r}")
        if top is not None and (not _whole(top) or top < 1):
            raise ConfigError(f"top must be a positive integer, got {top!r}")
        opt = _optimizers.get(optimizer)
        # Settings only: every refined individual starts from fresh moments.
        self.optimizer, self.optimizer_params = opt.name, opt.hyperparams()
        self.steps = int(steps)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.top = None if top is None else int(top)
        self.x = self.y = None
        if x is not None or y is not None:
            self._set_data(x, y)

    def _set_data(self, x, y) -> None:
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) == 0:
            raise ConfigError(f"refinement data: {x.shape} inputs and {y.shape} targets "
                              f"(need the same number of rows, at least one)")
        self.x, self.y = x, y

    # --- settings and data ------------------------------------------------------
    def settings(self) -> dict:
        """Everything but the data, as JSON-ready keyword arguments (see :func:`from_settings`)."""
        return {"kind": self.kind, "steps": self.steps, "optimizer": self.optimizer,
                "optimizer_params": dict(self.optimizer_params), "batch_size": self.batch_size,
                "top": self.top}

    @property
    def has_data(self) -> bool:
        return self.x is not None

    def with_data(self, x, y) -> "_Refiner":
        """The same hybrid learning on ``x``, ``y``."""
        twin = from_settings(self.settings())
        twin._set_data(x, y)
        return twin

    def require_data(self) -> None:
        if not self.has_data:
            raise ConfigError(
                f"this population refines by {self.kind} learning ({self.steps} steps), but its "
                f"data was not saved with it: give it back with pop.attach_data(x, y) before "
                f"running (resuming without it would silently be a plain evolution run)")

    # --- learning -------------------------------------------------------------------
    def _optimizer(self) -> _optimizers.Optimizer:
        return _optimizers.from_state(self.optimizer, self.optimizer_params, 0, {})

    def refine(self, template, genome: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The genome ``(n_params,)`` after ``steps`` backprop steps (a new array)."""
        self.require_data()
        net = template.with_genome(genome)
        opt = self._optimizer()  # fresh moments per individual
        n, bs = len(self.x), self.batch_size or len(self.x)
        for _ in range(self.steps):
            idx = rng.choice(n, size=bs, replace=False) if bs < n else slice(None)
            net.train_step(self.x[idx], self.y[idx], opt)
        return net.genome()

    def refine_rows(self, template, genomes: np.ndarray, rows, rng) -> np.ndarray:
        """A copy of ``genomes (pop, n_params)`` with ``rows`` refined."""
        out = genomes.copy()
        for i in rows:
            out[i] = self.refine(template, genomes[i], rng)
        return out

    def __repr__(self) -> str:
        data = f"{len(self.x)} rows" if self.has_data else "no data attached"
        return (f"{type(self).__name__}(steps={self.steps}, optimizer={self.optimizer!r}, "
                f"top={self.top}, {data})")


@HYBRIDS.register("lamarckian")
class Lamarckian(_Refiner):
    """The ``top`` best (default 1) take ``steps`` backprop steps and keep the weights."""

    kind = "lamarckian"
    lamarckian = True

    def __init__(self, x, y, steps: int = 5, optimizer="adam", batch_size=None, top: int = 1):
        super().__init__(x, y, steps, optimizer, batch_size, top)


@HYBRIDS.register("baldwinian")
class Baldwinian(_Refiner):
    """Fitness is measured after ``steps`` backprop steps; the weights are not written back."""

    kind = "baldwinian"


def from_settings(settings: dict) -> _Refiner:
    """A hybrid without data from :meth:`_Refiner.settings`; ConfigError if they are wrong."""
    if not isinstance(settings, dict) or not isinstance(settings.get("kind"), str):
        raise ConfigError(f"hybrid settings must be a JSON object with a kind, got {settings!r:.80}")
    s = dict(settings)
    cls = HYBRIDS.get(s.pop("kind"))
    params = s.pop("optimizer_params", {})
    if not isinstance(params, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in params.values()):
        raise ConfigError(f"hybrid optimizer_params must map names to numbers, got {params!r:.80}")
    try:
        opt = _optimizers.from_state(str(s.pop("optimizer", "adam")), params, 0, {})
        return cls(None, None, optimizer=opt, **s)
    except TypeError as exc:
        raise ConfigError(f"bad hybrid settings: {exc}") from None


def _whole(value) -> bool:
    try:
        return not isinstance(value, bool) and int(value) == value
    except (TypeError, ValueError, OverflowError):
        return False
