"""``NeatPopulation.run``: evaluate, tell, callbacks, until solved or another stop.

The loop is::

    while no stop condition holds:
        batch = pop.ask()
        fitness = fitness_fn(batch[, rng])      # vectorised: (pop,) at once
        stats = pop.tell(fitness)               # reproduce + speciate
        for callback in callbacks: callback.on_generation(pop, stats)

A fitness without ``vectorized = True`` is called once per genome on a
:class:`~gone.neat.backend.NeatNetwork` through gone's serial, process or
Ray backend (each genome its own seeded Generator, so every backend gives
the same bits). Callbacks, checkpoints and Ctrl-C behave as in
:func:`gone.evolution.run`.
"""

from __future__ import annotations

import time

from ..evolution import run as _evo_run
from ..evolution.backends import get_backend
from ..evolution.fitness import takes_rng
from ..evolution.reporters import Checkpointer, ProgressReporter, as_callbacks
from ..evolution.run import EvolutionResult
from .backend import NeatTemplate


def _evaluator(pop, fitness, backend, workers, vectorized):
    """``evaluate(batch) -> (pop,)`` and the backend to close afterwards (or None)."""
    if vectorized or getattr(fitness, "vectorized", False):
        with_rng = takes_rng(fitness)
        return (lambda batch: fitness(batch, pop.rng) if with_rng else fitness(batch)), None

    runner = get_backend(backend, workers)
    template = NeatTemplate.of(pop.config)

    def evaluate(batch):
        seed = int(pop.rng.integers(0, 2**63 - 1))
        return runner.map(fitness, template, template.encode(batch.pool), seed=seed)
    return evaluate, (runner if runner is not backend else None)


def run(pop, fitness, generations: int | None = None, *, max_time: float | None = None,
        stagnation: int | None = None, target: float | None = None, backend="serial",
        workers: int | None = None, vectorized: bool | None = None, callbacks=(),
        progress: bool = False, checkpoint=None, checkpoint_every: int = 10) -> EvolutionResult:
    """Evolve ``pop`` until solved (the config's fitness threshold) or a stop condition holds.

    ``target`` (optional) stops once the best-ever fitness reaches it, besides
    the config's threshold. Returns an EvolutionResult whose ``best`` is the
    champion :class:`~gone.neat.Genome`.
    """
    if pop.solved:
        return _result(pop, "target", 0.0)
    if pop.config.no_fitness_termination:
        _evo_run._check_stops(generations, target, max_time, stagnation)
    else:  # the config's threshold is a stop condition; check the others' values
        _evo_run._check_stops(generations, 0.0, max_time, stagnation)
    cbs = as_callbacks(callbacks)
    if progress:
        cbs.insert(0, ProgressReporter(generations))
    if checkpoint is not None:
        cbs.append(Checkpointer(checkpoint, checkpoint_every))
    evaluate, owned = _evaluator(pop, fitness, backend, workers, vectorized)
    started, done, reason = time.perf_counter(), 0, None
    try:
        with _evo_run._Interrupts() as interrupts:
            for cb in cbs:
                cb.on_run_begin(pop)
            while reason is None:
                t0 = time.perf_counter()
                values = evaluate(pop.ask())
                stats = pop.tell(values, evaluate_seconds=time.perf_counter() - t0)
                done += 1
                stopped = [cb.on_generation(pop, stats) for cb in cbs]
                reason = (interrupts.reason if interrupts.caught else "target" if pop.solved
                          else "callback" if any(stopped)
                          else _evo_run.stop_reason(pop, stats, done, generations, target,
                                                    max_time, stagnation, started))
            result = _result(pop, reason, time.perf_counter() - started)
            for cb in cbs:
                cb.on_run_end(pop, result)
    finally:
        if owned is not None:
            owned.close()
    return result


def _result(pop, reason: str, seconds: float) -> EvolutionResult:
    return EvolutionResult(pop.best, pop.best_fitness, pop.generation, reason,
                           list(pop.history), seconds)
