"""A NEAT run: ask/tell over a population of genomes, and the one-call ``run``.

::

    pop = NeatPopulation(read_config("config-feedforward"), seed=1)
    result = pop.run(XorFitness(), generations=300)       # or, by hand:
    while not pop.solved:
        batch = pop.ask()                                  # GenomeBatch of the generation
        pop.tell(fitness(batch))                           # fitness (pop,)

A generation, as neat-python's ``Population.run``: evaluate; stop if
``fitness_criterion`` of the fitness reaches ``fitness_threshold`` (unless
``no_fitness_termination``); reproduce; speciate the children. ``tell`` times
the speciate and reproduce phases; ``run`` adds the evaluate phase. Every
random choice comes from the population's one Generator, so the same seed
gives the same bits, and a checkpoint (:mod:`gone.format.neat`) taken
between generations resumes exactly.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from .._base import persistence
from .._base.rng import make_rng
from ..errors import ConfigError, ShapeError
from .compile import compile_population
from .config import NeatConfig
from .convert import to_graph
from .evaluate import GenomeBatch
from .genome import Genome
from .hybrid import learned
from .innovation import Innovations
from .pool import GenePool, new_pool
from .reproduction import CompleteExtinction, reproduce
from .run import run
from .species import SpeciesSet

_CRITERIA = {"max": np.max, "min": np.min, "mean": np.mean}


class NeatPopulation:
    """A NEAT population and its whole run state (genomes, species, innovations, rng)."""

    def __init__(self, config: NeatConfig, seed=None, refine=None):
        if refine is not None and not hasattr(refine, "lamarckian"):
            raise ConfigError(f"refine must be a gone.Lamarckian or gone.Baldwinian, got {refine!r}")
        self.config = config
        self.refine = refine
        self.rng = make_rng(config.seed if seed is None else seed)
        g = config.genome
        self.innovations = Innovations(g.num_outputs + g.num_hidden)
        self.pool = self._fresh(0)
        self.next_key = config.pop_size
        self.species = SpeciesSet(config.compatibility_threshold)
        self.species.speciate(self.pool, 0, config)
        self.generation = 0
        self.best: Genome | None = None
        self.history: list[dict] = []
        self.solved = False
        self.extinctions = 0
        self.evaluations = 0
        self.settings: dict[str, str] = {}
        self._evaluated: GenePool | None = None
        self._told: tuple[GenePool, int] | None = None   # (pool, best row) last told

    def _fresh(self, first_key: int) -> GenePool:
        g = self.config.genome
        return new_pool(np.arange(first_key, first_key + self.config.pop_size), g,
                        self.innovations, self.rng)

    # --- ask / tell ----------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.pool.size

    @property
    def genomes(self) -> dict[int, Genome]:
        """This generation's genomes by key (copies: change the run through :attr:`pool`)."""
        return {g.key: g for g in self.pool.genomes()}

    def members(self) -> list[Genome]:
        """This generation's genomes in key order (copies)."""
        return self.pool.genomes()

    def ask(self) -> GenomeBatch:
        """This generation as a :class:`GenomeBatch` (compiled, ready to run).

        With a Baldwinian ``refine`` every genome of the batch has first learned
        (see :mod:`gone.neat.hybrid`); the population keeps the unlearned genomes.
        """
        g = self.config.genome
        pool = self.pool
        if self.refine is not None and not self.refine.lamarckian:
            pool = learned(pool, np.arange(pool.size), g.num_inputs, g.num_outputs,
                           self.refine, self.rng)
        self._evaluated = pool
        return GenomeBatch(pool, compile_population(pool, g.num_inputs, g.num_outputs))

    def attach_data(self, x, y) -> None:
        """Give a loaded run's hybrid its data back (it is never saved with the run)."""
        if self.refine is None:
            raise ConfigError("this NEAT run has no Lamarckian or Baldwinian hybrid to give data to")
        self.refine = self.refine.with_data(x, y)

    def tell(self, fitness, evaluate_seconds: float = 0.0) -> dict:
        """Record ``fitness (pop,)`` (key order; NaN = failed) and breed the next generation.

        Returns the generation's statistics. When the fitness threshold is reached
        the population is marked :attr:`solved` and not bred further.
        """
        P = self.pool.size
        fitness, failed = _clean(fitness, P)
        # what was evaluated: the genomes after learning, with a Baldwinian hybrid
        evaluated = self._evaluated if self._evaluated is not None else self.pool
        self._evaluated = None
        self.pool.fitness = evaluated.fitness = fitness
        self.evaluations += P
        top = int(np.argmax(fitness))
        self._told = (evaluated, top)
        if self.best is None or fitness[top] > self.best.fitness:
            self.best = evaluated.genome(top)
            key = int(self.pool.keys[top])
            self.best.extra = {"generation": self.generation,
                               "species": next((sid for sid, s in self.species.species.items()
                                                if key in s.members), 0)}
        stats = self._stats(fitness, top)
        criterion = float(_CRITERIA[self.config.fitness_criterion](fitness))
        if not self.config.no_fitness_termination and criterion >= self.config.fitness_threshold:
            self.solved = True
        else:
            t0 = time.perf_counter()
            if self.refine is not None and self.refine.lamarckian:
                self._learn(fitness)
            self._breed()
            t1 = time.perf_counter()
            self.innovations.new_generation()
            self.species.speciate(self.pool, self.generation + 1, self.config)
            stats["reproduce_s"], stats["speciate_s"] = t1 - t0, time.perf_counter() - t1
            self.generation += 1
        stats["evaluate_s"] = float(evaluate_seconds)
        stats["failed"] = failed
        stats["evals_per_s"] = P / evaluate_seconds if evaluate_seconds > 0 else 0.0
        stats["solved"] = self.solved
        self.history.append(stats)
        return stats

    def _learn(self, fitness: np.ndarray) -> None:
        """Lamarckian: the ``top`` best genomes learn and keep what they learned."""
        g = self.config.genome
        rows = np.argsort(-fitness, kind="stable")[:self.refine.top or 1]
        self.pool = learned(self.pool, rows, g.num_inputs, g.num_outputs, self.refine, self.rng)

    def _breed(self) -> None:
        new, self.next_key, _ = reproduce(self.species, self.pool, self.generation, self.config,
                                          self.innovations, self.next_key, self.rng)
        if new is None:
            self.extinctions += 1
            if not self.config.reset_on_extinction:
                raise CompleteExtinction(f"generation {self.generation}: every species stagnated "
                                         "(set reset_on_extinction = True to start over)")
            new = self._fresh(self.next_key)
            self.next_key += self.config.pop_size
        self.pool = new

    def _stats(self, fitness: np.ndarray, top: int) -> dict:
        by_species = {str(sid): len(s.members) for sid, s in sorted(self.species.species.items())}
        mean = fitness.mean()
        spread = fitness - mean
        a, b = self.pool.conn_ptr[top], self.pool.conn_ptr[top + 1]
        return {"generation": self.generation, "best": float(fitness[top]), "mean": float(mean),
                "min": float(fitness.min()),
                # the population standard deviation (np.std's formula; the dot product may
                # round the last bit differently), without np.std's Python layers
                "std": math.sqrt(float(spread @ spread) / len(fitness)),
                "best_ever": float(self.best.fitness), "species": len(by_species),
                "largest_species": max(by_species.values(), default=0),
                "best_nodes": int(self.pool.node_counts[top]),
                "best_connections": int(np.count_nonzero(self.pool.enabled[a:b])),
                "threshold": self.species.threshold, "reproduce_s": 0.0, "speciate_s": 0.0,
                "species_sizes": json.dumps(by_species)}

    # --- results -------------------------------------------------------------------
    @property
    def champion(self) -> Genome | None:
        """The best genome of the generation told last (ties: the lowest key), or None.

        Unlike :attr:`best` (the best ever, replaced only by a strictly fitter
        genome) it changes every generation, so a held-out check can try each
        generation's champion even after some genome reached the maximum fitness.
        """
        return None if self._told is None else self._told[0].genome(self._told[1])

    @property
    def best_fitness(self) -> float:
        return -math.inf if self.best is None else self.best.fitness

    def best_graph(self):
        """The best genome ever as a :class:`~gone.GraphNetwork`."""
        if self.best is None:
            raise ValueError("no generation has been told yet")
        g = self.config.genome
        return to_graph(self.best, g.num_inputs, g.num_outputs)

    def run(self, fitness, generations: int | None = None, **options):
        """Evolve until solved or ``generations``; see :func:`gone.neat.run.run`."""
        return run(self, fitness, generations, **options)

    def save(self, path) -> None:
        """A resumable checkpoint (``.gone``, protobuf): the same as ``gone.save(pop, path)``."""
        persistence.save(self, path)

    def __repr__(self) -> str:
        return (f"NeatPopulation(size={self.size}, generation={self.generation}, "
                f"species={len(self.species.species)}, best={self.best_fitness:g})")


def _clean(fitness, n: int) -> tuple[np.ndarray, int]:
    """``(fitness as float64 (n,), how many failed)``: a failed (non-finite) value ranks
    below every genome that evaluated."""
    fitness = np.asarray(fitness, dtype=np.float64).ravel()
    if fitness.shape != (n,):
        raise ShapeError(f"fitness must have one value per genome ({n},), got {fitness.shape}")
    bad = ~np.isfinite(fitness)
    failed = int(np.count_nonzero(bad))
    if failed:
        floor = fitness[~bad].min() - 1.0 if failed < n else 0.0
        fitness = np.where(bad, floor, fitness)
    return fitness, failed
