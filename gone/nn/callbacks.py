"""Training callbacks: hooks run by ``Network.train`` around each epoch.

A callback sees a :class:`Run` (network, optimizer, history, epoch) and may
set ``run.stop = True`` to end training after the current epoch. A plain
function ``f(epoch, logs)`` also works as a callback; returning ``True`` stops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..errors import ConfigError


@dataclass
class History:
    """Per-epoch logs: ``history["loss"]``, ``history["val_loss"]``, ``history["accuracy"]``..."""

    logs: dict[str, list[float]] = field(default_factory=dict)
    epochs: int = 0
    stopped_early: bool = False

    def append(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.logs.setdefault(key, []).append(value)
        self.epochs += 1

    def __getitem__(self, key: str) -> list[float]:
        return self.logs[key]

    def __contains__(self, key: str) -> bool:
        return key in self.logs

    @property
    def loss(self) -> list[float]:
        return self.logs.get("loss", [])


@dataclass
class Run:
    """What callbacks see of a training run."""

    network: object
    optimizer: object
    history: History
    epoch: int = 0
    stop: bool = False


class Callback:
    """Base class with no-op hooks; override what you need."""

    def on_train_begin(self, run: Run) -> None: ...
    def on_epoch_begin(self, run: Run) -> None: ...
    def on_epoch_end(self, run: Run, logs: dict) -> None: ...
    def on_train_end(self, run: Run) -> None: ...


class FunctionCallback(Callback):
    """Wraps ``f(epoch, logs) -> bool | None``; a true result stops training."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def on_epoch_end(self, run, logs):
        if self.fn(run.epoch, logs):
            run.stop = True


class EarlyStopping(Callback):
    """Stop when ``monitor`` (default ``val_loss``) has not improved by ``min_delta``
    for ``patience`` epochs; with ``restore_best`` the best epoch's weights come back."""

    def __init__(self, monitor: str = "val_loss", patience: int = 10, min_delta: float = 0.0,
                 restore_best: bool = True):
        if patience < 0:
            raise ConfigError("patience must be >= 0")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best = restore_best
        self.mode = max if "accuracy" in monitor else min

    def on_train_begin(self, run):
        self.best = -math.inf if self.mode is max else math.inf
        self.best_epoch, self.best_genome, self.wait = -1, None, 0

    def _improved(self, value: float) -> bool:
        if self.mode is max:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, run, logs):
        if self.monitor not in logs:
            raise ConfigError(f"EarlyStopping monitors {self.monitor!r} but the logs have "
                              f"{sorted(logs)}; pass validation= to train")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, run.epoch, 0
            if self.restore_best:
                self.best_genome = run.network.genome()
            return
        self.wait += 1
        if self.wait > self.patience:
            run.stop = True
            run.history.stopped_early = True

    def on_train_end(self, run):
        if self.restore_best and self.best_genome is not None:
            run.network.set_genome(self.best_genome)


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate each epoch to ``schedule(epoch, base_lr)``."""

    def __init__(self, schedule: Callable[[int, float], float]):
        self.schedule = schedule

    def on_train_begin(self, run):
        opt = run.optimizer
        self.base_lr = opt.lr if opt.lr is not None else run.network.learning_rate

    def on_epoch_begin(self, run):
        lr = float(self.schedule(run.epoch, self.base_lr))
        if not lr > 0:
            raise ConfigError(f"learning-rate schedule gave {lr} at epoch {run.epoch + 1}")
        run.optimizer.lr = lr


def step_decay(factor: float = 0.5, every: int = 10) -> Callable[[int, float], float]:
    """Schedule: multiply the rate by ``factor`` every ``every`` epochs."""
    return lambda epoch, lr: lr * factor ** (epoch // every)


def exponential_decay(rate: float = 0.96) -> Callable[[int, float], float]:
    """Schedule: ``lr * rate ** epoch``."""
    return lambda epoch, lr: lr * rate**epoch


def as_callbacks(callbacks) -> list[Callback]:
    out = []
    for cb in callbacks or ():
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(cb):
            out.append(FunctionCallback(cb))
        else:
            raise ConfigError(f"a callback must be a gone.Callback or a function, got {cb!r}")
    return out
