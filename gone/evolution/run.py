"""``Population.run``: the ask/evaluate/tell loop with stop conditions and callbacks.

The loop is exactly::

    while no stop condition holds:
        fitness = population.evaluate(fitness_fn, backend)   # ask + evaluate
        stats = population.tell(fitness)
        for callback in callbacks: callback.on_generation(population, stats)

With ``handle_signals=True`` (the ``gone`` command asks for it), Ctrl-C or
SIGTERM finishes the current generation, lets every callback see the end of
the run (a checkpoint is written then) and returns with
``stop_reason == "interrupted"`` (``"terminated"`` for SIGTERM); a second
signal interrupts at once. By
default a library call leaves the process's signal handlers alone.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field

from ..errors import ConfigError
from .backends import get_backend
from .reporters import Checkpointer, ProgressReporter, as_callbacks


@dataclass
class EvolutionResult:
    """What a run produced: the best network ever, why it stopped, every generation's stats."""

    best: object
    best_fitness: float
    generations: int
    stop_reason: str
    history: list = field(repr=False, default_factory=list)
    seconds: float = 0.0


def stagnant_generations(history: list[dict]) -> int:
    """Generations since the best-ever fitness last improved (0 if it just did)."""
    if not history:
        return 0
    best, count = history[-1]["best_ever"], 0
    for stats in reversed(history[:-1]):
        if stats["best_ever"] < best:
            break
        count += 1
    return count


def _check_stops(generations, target, max_time, stagnation) -> None:
    if generations is None and target is None and max_time is None and stagnation is None:
        raise ConfigError("run needs a stop condition: generations, target, max_time or stagnation")
    for name, value in (("generations", generations), ("stagnation", stagnation)):
        if value is not None and (int(value) != value or value < 1):
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    if max_time is not None and not max_time > 0:
        raise ConfigError(f"max_time must be > 0 seconds, got {max_time!r}")


def stop_reason(pop, stats, done: int, generations, target, max_time, stagnation,
                started: float) -> str | None:
    """Which stop condition holds after a generation, if any."""
    if target is not None and stats["best_ever"] >= target:
        return "target"
    if generations is not None and done >= generations:
        return "generations"
    if max_time is not None and time.perf_counter() - started >= max_time:
        return "time"
    if stagnation is not None and stagnant_generations(pop.history) >= stagnation:
        return "stagnation"
    return None


class _Interrupts:
    """Turn the first SIGINT/SIGTERM into a flag checked between generations."""

    def __init__(self, install: bool = True):
        self.caught, self.install = 0, install   # caught: the signal's number, 0 for none
        self._old = {}

    def __enter__(self):
        if self.install and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.caught:  # second signal: stop now
            raise KeyboardInterrupt
        self.caught = signum

    @property
    def reason(self) -> str | None:
        """``"interrupted"`` (Ctrl-C), ``"terminated"`` (SIGTERM) or None."""
        if not self.caught:
            return None
        return "terminated" if self.caught == signal.SIGTERM else "interrupted"

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run(pop, fitness, generations: int | None = None, *, target: float | None = None,
        max_time: float | None = None, stagnation: int | None = None, backend="serial",
        workers: int | None = None, vectorized: bool | None = None, callbacks=(),
        progress: bool = False, checkpoint=None, checkpoint_every: int = 10,
        handle_signals: bool = False) -> EvolutionResult:
    """Evolve ``pop`` until a stop condition holds.

    Args:
        fitness: ``fitness(net[, rng]) -> float``, or a vectorised
            ``fitness(stacked[, rng]) -> (pop,)`` (see ``Population.evaluate``).
        generations: how many generations this call runs at most.
        target: stop once the best-ever fitness reaches it.
        max_time: stop after this many seconds (checked between generations).
        stagnation: stop after this many generations without a new best.
        backend / workers: ``"serial"``, ``"process"`` or ``"ray"`` for per-network fitness.
        callbacks: objects with ``on_run_begin/on_generation/on_run_end`` hooks,
            or functions ``f(pop, stats)`` returning True to stop.
        progress: show a progress bar (terminal) or a log line per generation.
        checkpoint / checkpoint_every: save the run to this file every N
            generations and when it ends.
        handle_signals: turn Ctrl-C / SIGTERM into a clean stop after the
            current generation (callbacks and the checkpoint see the end).
    """
    _check_stops(generations, target, max_time, stagnation)
    cbs = as_callbacks(callbacks)
    if progress:
        cbs.insert(0, ProgressReporter(generations))
    if checkpoint is not None:
        cbs.append(Checkpointer(checkpoint, checkpoint_every))
    started, done, reason = time.perf_counter(), 0, None
    runner = None
    if not (vectorized or getattr(fitness, "vectorized", False)):
        runner = get_backend(backend, workers)
    try:
        with _Interrupts(handle_signals) as interrupts:
            for cb in cbs:
                cb.on_run_begin(pop)
            while reason is None:
                t0 = time.perf_counter()
                values = pop.evaluate(fitness, runner, vectorized)
                stats = pop.tell(values, seconds=time.perf_counter() - t0)
                done += 1
                stopped = [cb.on_generation(pop, stats) for cb in cbs]
                reason = (interrupts.reason if interrupts.caught
                          else "callback" if any(stopped)
                          else stop_reason(pop, stats, done, generations, target, max_time,
                                           stagnation, started))
            result = EvolutionResult(pop.best if len(pop.hall_of_fame) else None,
                                     pop.best_fitness, pop.generation, reason, list(pop.history),
                                     time.perf_counter() - started)
            for cb in cbs:
                cb.on_run_end(pop, result)
    finally:
        if runner is not None and runner is not backend:
            runner.close()
    return result

