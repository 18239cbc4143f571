"""Population files: a whole evolution run in one ``.gone`` file, resumable bit for bit.

A population file is a ``.gone`` network file whose network is the best
individual ever found (so ``gone.load`` and the Go library read it as that
network), plus a ``Population`` message holding everything
:meth:`Population.parts <gone.evolution.Population.parts>` returns, written
and read by one generic routine whatever the strategy:

- the strategy's name (looked up in ``gone.evolution.strategy.STRATEGIES``)
  and its frozen settings as JSON;
- its state: the fields every state has (the last generation's genomes and
  fitness, the generation count) in their own fields, and the fields the
  strategy adds (the ES mean, optimizer step and moments) in
  ``strategy_state`` by name (``"opt_slots.m"`` for an entry of a dict field);
- the generator's state (JSON), the counters, the hall of fame, the history,
  the free-form settings strings, and a hybrid's settings (``gone.hybrid`` in
  ``extra``; its data arrays are never saved).

Files of the previous layout (the ES optimizer in its own ``optimizer``
field) still load: :func:`_previous_layout` moves it into the state.
Protobuf only, never pickle; written atomically; any damaged file is a
:class:`~gone.errors.GoneFormatError`.
"""

from __future__ import annotations

import json

import numpy as np

from .._base import atomic as _atomic
from .._base import persistence
from .._base.rng import rng_from_json, state_to_json
from ..errors import ConfigError, GoneError, GoneFormatError
from ..evolution import hybrid as _hybrid
from ..evolution import population as _population
from ..evolution.hall_of_fame import HallOfFame
from ..evolution.strategy import STRATEGIES, state_arrays
from . import network as _io

RESERVED = "gone."              # ``extra`` keys gone itself uses
LAYOUT_KEY, LAYOUT = "gone.layout", "2"
HYBRID_KEY = "gone.hybrid"
MAX_STATE_ARRAYS = 64
MAX_TEXT = 1 << 20              # settings JSON, per string


def _floats(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


# --- writing ------------------------------------------------------------------------

def to_message(pop):
    """The protobuf message of ``pop``: its best network with the run attached."""
    parts = pop.parts()
    template, strategy, state = parts["template"], parts["strategy"], parts["state"]
    msg = _io.to_message(pop.best if len(parts["hall_of_fame"]) else template)
    p = msg.population
    p.size, p.n_params, p.generation = len(state.genomes), template.n_params, state.generation
    p.evaluated = state.evaluated
    p.genomes.CopyFrom(_io._tensor(state.genomes))
    p.fitness.extend(state.fitness)
    _write_settings(p, parts["settings"], parts["refine"])
    p.strategy = strategy.name
    p.strategy_settings = json.dumps(strategy.settings(), sort_keys=True)
    for name, array in state_arrays(state).items():
        p.strategy_state[name].CopyFrom(_io._tensor(array))
    p.rng_state = state_to_json(parts["rng"])
    _write_hall_of_fame(p, parts["hall_of_fame"])
    history = parts["history"]
    if history:
        columns = list(history[0])
        p.history_columns.extend(columns)
        p.history.CopyFrom(_io._tensor(_floats([[row[c] for c in columns] for row in history])))
    p.evaluations = parts["evaluations"]
    return msg


def _write_settings(p, settings: dict, refine) -> None:
    taken = [k for k in settings if str(k).startswith(RESERVED)]
    if taken:
        raise ConfigError(f"settings keys starting with {RESERVED!r} are gone's own: {taken}")
    p.extra.update({str(k): str(v) for k, v in settings.items()})
    p.extra[LAYOUT_KEY] = LAYOUT
    if refine is not None:
        p.extra[HYBRID_KEY] = json.dumps(refine.settings(), sort_keys=True)


def _write_hall_of_fame(p, hof) -> None:
    p.hall_of_fame_capacity = hof.capacity
    if len(hof):
        p.hall_of_fame.CopyFrom(_io._tensor(hof.genomes))
        p.hall_of_fame_fitness.extend(hof.fitness)
        p.hall_of_fame_generation.extend(hof.generations)


def save_population(pop, path) -> None:
    """Write ``pop`` to ``path`` atomically (temp file, fsync, rename)."""
    _atomic.write_bytes(path, _io.seal(to_message(pop).SerializeToString()))


persistence.register_writer(_population.Population, save_population)


def is_population(path) -> bool:
    """True when the ``.gone`` file at ``path`` holds a population."""
    return _io.decode(_io.read_bytes(path), str(path)).HasField("population")


# --- reading ------------------------------------------------------------------------

class _PopReader:
    """Validates a Population message against its network; errors name the file and field."""

    def __init__(self, msg, net, source: str):
        self.p, self.net, self.source = msg.population, net, source
        self.r = _io._Reader(source)
        self.r.dtype = net.dtype

    def fail(self, what: str) -> GoneFormatError:
        return GoneFormatError(f"{self.source}: population: {what}")

    def counts(self) -> tuple[int, int]:
        size, n = self.p.size, self.p.n_params
        if n != self.net.n_params:
            raise self.fail(f"n_params is {n} but the network has {self.net.n_params} parameters")
        if not 2 <= size <= 10_000_000 or size * n > (1 << 31):
            raise self.fail(f"size {size} is not a plausible population size")
        if not 0 <= self.p.generation < 2**53 or not 0 <= self.p.evaluations < 2**53:
            raise self.fail("generation or evaluation count out of range")
        return size, n

    def values(self, data, length: int, what: str) -> np.ndarray:
        """A vector that may hold NaN (a failed evaluation), checked for its length."""
        if len(data) != length:
            raise self.fail(f"{what} has {len(data)} values, expected {length}")
        return _floats(data)

    def json(self, text: str, what: str):
        if len(text) > MAX_TEXT:
            raise self.fail(f"{what} is longer than {MAX_TEXT} characters")
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise self.fail(f"{what} is not valid JSON: {str(exc)[:80]}") from None

    def state_arrays(self, n: int) -> dict:
        """The strategy's own state fields: scalars ``()`` and vectors ``(n,)``, by name."""
        tensors = self.p.strategy_state
        if len(tensors) > MAX_STATE_ARRAYS:
            raise self.fail(f"strategy state has {len(tensors)} arrays")
        out = {}
        for name, t in tensors.items():
            shape = tuple(t.shape)
            if shape not in ((), (n,)):
                raise self.fail(f"strategy state {name!r} has shape {shape}, expected () or ({n},)")
            out[name] = _floats(self.r.tensor(t, shape, f"strategy state {name!r}"))
        return out

    def history(self) -> list[dict]:
        columns, t = list(self.p.history_columns), self.p.history
        if not columns:
            return []
        if columns != list(_population.STATS):
            raise self.fail(f"history columns are {columns[:12]}, expected {list(_population.STATS)}")
        rows = t.shape[0] if len(t.shape) == 2 else -1
        if rows < 0 or tuple(t.shape) != (rows, len(columns)) or rows > self.p.generation:
            raise self.fail(f"history has shape {tuple(t.shape)[:4]} for {len(columns)} columns")
        table = self.values(t.data, rows * len(columns), "history").reshape(rows, len(columns))
        ints = {"generation", "failed", "evaluations"}
        if not np.all(np.isfinite(table[:, [columns.index(c) for c in ints]])):
            raise self.fail("history counts must be finite")
        return [{c: (int(v) if c in ints else float(v)) for c, v in zip(columns, row)}
                for row in table]

    def hall_of_fame(self, n: int) -> HallOfFame:
        p = self.p
        k = len(p.hall_of_fame_fitness)
        if not 1 <= p.hall_of_fame_capacity <= 100_000 or k > p.hall_of_fame_capacity:
            raise self.fail(f"hall of fame holds {k} of capacity {p.hall_of_fame_capacity}")
        hof = HallOfFame(p.hall_of_fame_capacity)
        if k:
            genomes = self.r.tensor(p.hall_of_fame, (k, n), "hall of fame").astype(self.net.dtype)
            fitness = self.values(p.hall_of_fame_fitness, k, "hall of fame fitness")
            gens = self.values(p.hall_of_fame_generation, k, "hall of fame generations")
            if not np.all(np.isfinite(fitness)):
                raise self.fail("hall of fame fitness must be finite")
            if not np.all((gens >= 0) & (gens <= p.generation)):
                raise self.fail("hall of fame generations must be in 0..generation")
            hof.restore(genomes, fitness, gens.astype(np.int64))
        return hof


def from_message(msg, source: str = "<message>", data=None):
    """Rebuild the :class:`~gone.evolution.Population` a population message describes.

    ``data=(x, y)`` gives a hybrid population its refinement data back.
    """
    try:
        net = _io.from_message(msg, source)
    except (ValueError, TypeError, OverflowError, KeyError, RecursionError) as exc:
        if isinstance(exc, GoneFormatError):  # GoneFormatError is a ValueError
            raise
        raise GoneFormatError(f"{source}: {type(exc).__name__}: {str(exc)[:120]}") from None
    if not msg.HasField("population"):
        raise GoneFormatError(f"{source}: holds a network, not a population")
    r = _PopReader(msg, net, source)
    try:
        pop = _read(r, msg.population)
        if data is not None:
            pop.attach_data(*data)
        return pop
    except GoneError as exc:
        if isinstance(exc, GoneFormatError):
            raise
        raise r.fail(str(exc)) from None
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, RecursionError) as exc:
        raise r.fail(f"{type(exc).__name__}: {str(exc)[:120]}") from None


def _read(r: _PopReader, p):
    """The population in ``p``, every part checked (ConfigError for a bad value)."""
    size, n = r.counts()
    settings = r.json(p.strategy_settings or "{}", "strategy settings")
    arrays = r.state_arrays(n)
    if p.HasField("optimizer"):
        settings, arrays = _previous_layout(r, p.optimizer, settings, arrays, n)
    strategy = STRATEGIES.get(p.strategy).from_settings(settings)
    genomes = r.r.tensor(p.genomes, (size, n), "genomes").astype(r.net.dtype)
    fitness = r.values(p.fitness, size, "fitness") if p.evaluated else np.empty(0)
    state = strategy.restore(r.net, genomes, fitness, p.generation, arrays)
    extra = dict(p.extra)
    refine = None
    if HYBRID_KEY in extra:
        refine = _hybrid.from_settings(r.json(extra[HYBRID_KEY], "hybrid settings"))
    user = {k: v for k, v in extra.items() if not k.startswith(RESERVED)}
    return _population.Population.from_parts(
        r.net, strategy, state, rng=rng_from_json(p.rng_state), hall_of_fame=r.hall_of_fame(n),
        history=r.history(), evaluations=p.evaluations, settings=user, refine=refine)


def _previous_layout(r: _PopReader, opt, settings, arrays: dict, n: int):
    """Files before strategies were data kept the ES optimizer in its own message:
    its step and moments become state fields, its hyper-parameters settings."""
    if not isinstance(settings, dict):
        raise r.fail("strategy settings must be a JSON object")
    arrays = dict(arrays)
    arrays["opt_step"] = np.float64(opt.step)
    for slot, tensors in opt.slots.items():
        if len(tensors.tensors) != 1:
            raise r.fail(f"optimizer slot {slot!r} has {len(tensors.tensors)} arrays, expected 1")
        arrays[f"opt_slots.{slot}"] = _floats(r.r.tensor(tensors.tensors[0], (n,),
                                                         f"optimizer slot {slot!r}"))
    params = {k: float(v) for k, v in opt.hyperparams.items() if k != "batch_size"}
    return {**settings, "optimizer": opt.name, "optimizer_params": params}, arrays


def load_population(path, data=None):
    """The :class:`~gone.evolution.Population` saved in the ``.gone`` file at ``path``.

    Only :class:`GoneFormatError` for a file that is not one. A hybrid
    population (Lamarckian/Baldwinian) comes back with its settings but not
    its data: pass ``data=(x, y)`` or call ``pop.attach_data(x, y)``.
    """
    data_bytes = _io.read_bytes(path)
    return from_message(_io.decode(data_bytes, str(path)), str(path), data)


def describe(msg) -> dict:
    """Facts about a population message for ``gone info`` (never raises on odd text)."""
    p = msg.population
    fitness = _floats(p.fitness)
    ok = fitness[np.isfinite(fitness)]
    best = list(p.hall_of_fame_fitness[:1])
    extra = dict(p.extra)
    return {
        "size": p.size, "n_params": p.n_params, "generation": p.generation,
        "evaluations": p.evaluations, "strategy": p.strategy or "(none)",
        "strategy_settings": _json_object(p.strategy_settings or "{}"),
        "hybrid": _json_or_text(extra[HYBRID_KEY]) if HYBRID_KEY in extra else None,
        "best_ever": best[0] if best else None,
        "last_generation": ({"best": float(ok.max()), "mean": float(ok.mean()),
                             "failed": int(len(fitness) - ok.size)} if ok.size else None),
        "settings": {k: _json_or_text(v) for k, v in extra.items() if not k.startswith(RESERVED)},
    }


def _json_object(text: str) -> dict:
    value = _json_or_text(text)
    return value if isinstance(value, dict) else {"(not a JSON object)": str(text)[:60]}


def _json_or_text(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
