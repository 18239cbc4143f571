"""Population files: a whole evolution run in one ``.gone`` file, resumable bit for bit.

A population file is a ``.gone`` network file whose network is the best
individual ever found (so ``gone.load`` and the Go library read it as that
network), plus a ``Population`` message holding everything a run needs to
continue exactly where it stopped: the last generation's genomes and fitness,
the strategy's settings and state (ES mean and optimizer moments), the
random generator's state, the generation and evaluation counters, the hall of
fame and the history. Protobuf only, never pickle; written atomically.
"""

from __future__ import annotations

import json

import numpy as np

from .._base import atomic as _atomic
from . import network as _io
from ..errors import ConfigError, GoneFormatError
from .._base.rng import rng_from_json, state_to_json


def _floats(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def to_message(pop):
    """The protobuf message of ``pop``: its best network with the run attached."""
    best = pop.best if len(pop.hall_of_fame) else pop.template
    msg = _io.to_message(best)
    p = msg.population
    p.size, p.n_params, p.generation = pop.size, pop.template.n_params, pop.generation
    p.evaluated = pop.fitness is not None
    p.genomes.CopyFrom(_io._tensor(pop.genomes))
    if pop.fitness is not None:
        p.fitness.extend(pop.fitness)
    p.extra.update(pop.settings)
    p.strategy = pop.strategy.name
    p.strategy_settings = json.dumps(pop.strategy.settings(), sort_keys=True)
    for name, array in pop.strategy.state().items():
        p.strategy_state[name].CopyFrom(_io._tensor(array))
    if getattr(pop.strategy, "optimizer", None) is not None:
        p.optimizer.CopyFrom(_io._optimizer_state(pop.strategy.optimizer))
    p.rng_state = state_to_json(pop.rng)
    hof = pop.hall_of_fame
    p.hall_of_fame_capacity = hof.capacity
    if len(hof):
        p.hall_of_fame.CopyFrom(_io._tensor(hof.genomes))
        p.hall_of_fame_fitness.extend(hof.fitness)
        p.hall_of_fame_generation.extend(hof.generations)
    if pop.history:
        columns = list(pop.history[0])
        p.history_columns.extend(columns)
        p.history.CopyFrom(_io._tensor(_floats([[row[c] for c in columns] for row in pop.history])))
    p.evaluations = pop.evaluations
    return msg


def save_population(pop, path) -> None:
    """Write ``pop`` to ``path`` atomically (temp file, fsync, rename)."""
    _atomic.write_bytes(path, _io.seal(to_message(pop).SerializeToString()))


def is_population(path) -> bool:
    """True when the ``.gone`` file at ``path`` holds a population."""
    return _io.decode(_io.read_bytes(path), str(path)).HasField("population")


class _PopReader:
    """Validates a Population message against its network; errors name the file and field."""

    def __init__(self, msg, net, source: str):
        self.p, self.net, self.source = msg.population, net, source
        self.r = _io._Reader(source)

    def fail(self, what: str) -> GoneFormatError:
        return GoneFormatError(f"{self.source}: population: {what}")

    def counts(self) -> tuple[int, int]:
        size, n = self.p.size, self.p.n_params
        if n != self.net.n_params:
            raise self.fail(f"n_params is {n} but the network has {self.net.n_params} parameters")
        if not 2 <= size <= 10_000_000 or size * n > (1 << 31):
            raise self.fail(f"size {size} is not a plausible population size")
        if self.p.generation < 0 or self.p.evaluations < 0:
            raise self.fail("negative generation or evaluation count")
        return size, n

    def values(self, data, length: int, what: str) -> np.ndarray:
        """A vector that may hold NaN (a failed evaluation), checked for its length."""
        if len(data) != length:
            raise self.fail(f"{what} has {len(data)} values, expected {length}")
        return _floats(data)

    def json(self, text: str, what: str):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise self.fail(f"{what} is not valid JSON: {exc}") from None

    def history(self) -> list[dict]:
        columns, t = list(self.p.history_columns), self.p.history
        if not columns:
            return []
        from ..evolution.population import STATS

        if columns != list(STATS):
            raise self.fail(f"history columns are {columns}, expected {list(STATS)}")
        rows = t.shape[0] if len(t.shape) == 2 else -1
        if rows < 0 or tuple(t.shape) != (rows, len(columns)) or rows > self.p.generation:
            raise self.fail(f"history has shape {tuple(t.shape)} for {len(columns)} columns")
        table = self.values(t.data, rows * len(columns), "history").reshape(rows, len(columns))
        ints = {"generation", "failed", "evaluations"}
        return [{c: (int(v) if c in ints else float(v)) for c, v in zip(columns, row)} for row in table]


def from_message(msg, source: str = "<message>"):
    """Rebuild the :class:`~gone.evolution.Population` a population message describes."""
    from ..evolution.population import STRATEGIES, Population

    net = _io.from_message(msg, source)
    if not msg.HasField("population"):
        raise GoneFormatError(f"{source}: holds a network, not a population")
    r = _PopReader(msg, net, source)
    size, n = r.counts()
    p = msg.population
    if p.strategy not in STRATEGIES:
        raise r.fail(f"unknown strategy {p.strategy!r}")
    try:
        strategy = STRATEGIES[p.strategy](**r.json(p.strategy_settings, "strategy settings"))
        rng = rng_from_json(p.rng_state)
    except (ConfigError, TypeError) as exc:
        raise r.fail(str(exc)) from None
    r.r.dtype = net.dtype
    pop = Population.__new__(Population)
    pop.template, pop.size, pop.strategy, pop.rng, pop.refine = net, size, strategy, rng, None
    pop.generation, pop.evaluations = int(p.generation), int(p.evaluations)
    pop.genomes = r.r.tensor(p.genomes, (size, n), "genomes").astype(net.dtype)
    pop.fitness = r.values(p.fitness, size, "fitness") if p.evaluated else None
    pop.settings, pop.history, pop._pending = dict(p.extra), r.history(), None
    state = {k: r.r.tensor(t, (n,), f"strategy state {k!r}").astype(net.dtype)
             for k, t in p.strategy_state.items()}
    _restore_strategy(pop, r, state, msg)
    _restore_hall_of_fame(pop, r, n)
    return pop


def _restore_strategy(pop, r: _PopReader, state: dict, msg) -> None:
    if set(state) != set(pop.strategy.state()):
        raise r.fail(f"strategy state has {sorted(state)}, expected {sorted(pop.strategy.state())}")
    if state:
        pop.strategy.set_state(state)
    if msg.population.HasField("optimizer"):
        pop.strategy.optimizer = r.r.optimizer(msg.population.optimizer, [pop.strategy.mean])


def _restore_hall_of_fame(pop, r: _PopReader, n: int) -> None:
    from ..evolution.hall_of_fame import HallOfFame

    p = r.p
    k = len(p.hall_of_fame_fitness)
    if not 1 <= p.hall_of_fame_capacity <= 100_000 or k > p.hall_of_fame_capacity:
        raise r.fail(f"hall of fame holds {k} of capacity {p.hall_of_fame_capacity}")
    pop.hall_of_fame = HallOfFame(p.hall_of_fame_capacity)
    if k:
        genomes = r.r.tensor(p.hall_of_fame, (k, n), "hall of fame").astype(pop.template.dtype)
        fitness = r.values(p.hall_of_fame_fitness, k, "hall of fame fitness")
        gens = r.values(p.hall_of_fame_generation, k, "hall of fame generations")
        if not np.all(np.isfinite(fitness)):
            raise r.fail("hall of fame fitness must be finite")
        pop.hall_of_fame.restore(genomes, fitness, gens.astype(np.int64))


def load_population(path):
    """The :class:`~gone.evolution.Population` saved in the ``.gone`` file at ``path``."""
    data = _io.read_bytes(path)
    return from_message(_io.decode(data, str(path)), str(path))


def describe(msg) -> dict:
    """Facts about a population message for ``gone info``."""
    p = msg.population
    fitness = _floats(p.fitness)
    ok = fitness[np.isfinite(fitness)]
    best = list(p.hall_of_fame_fitness[:1])
    return {
        "size": p.size, "n_params": p.n_params, "generation": p.generation,
        "evaluations": p.evaluations, "strategy": p.strategy or "(none)",
        "strategy_settings": json.loads(p.strategy_settings or "{}"),
        "best_ever": best[0] if best else None,
        "last_generation": ({"best": float(ok.max()), "mean": float(ok.mean()),
                             "failed": int(len(fitness) - ok.size)} if ok.size else None),
        "settings": {k: _json_or_text(v) for k, v in p.extra.items()},
    }



def _json_or_text(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text
