"""Strategies as data: frozen settings plus pure functions over a frozen state record.

A strategy (:class:`~gone.evolution.GA`, :class:`~gone.evolution.ES`, or
one registered by a user) is a frozen dataclass of settings with three pure
functions, the shape of evosax's ``algorithms/base.py``::

    state = strategy.init(template, size, rng)         # State
    genomes, state = strategy.ask(state, rng)          # (pop, n_params), State
    state = strategy.tell(state, genomes, fitness)     # State

A state is a frozen dataclass of arrays and numbers. Every state has the
fields of :class:`State` (the last generation told, its fitness and the
generation count); a strategy's own state adds fields, each marked with
how it is saved (see :func:`saved_fields`). A population file holds the
settings (JSON), the state's saved fields (arrays) and nothing else of the
strategy, so a resumed run continues exactly, by construction.

Strategies are found by name in :data:`STRATEGIES` (``"ga"``, ``"es"``);
``@register`` adds one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._base.registry import Registry, lookup
from ..errors import ConfigError

#: Every strategy by name: ``STRATEGIES["ga"]`` is the GA class.
STRATEGIES: Registry = Registry("strategy")

# How a state field is saved (``field(metadata={"kind": ...})``):
#   "vector"  (n_params,) in the network's dtype
#   "vectors" a dict of (n_params,) vectors in the network's dtype (e.g. optimizer moments)
#   "count"   an integer >= 0
#   "derived" not saved: rebuilt from the template by ``Strategy.derived``
KINDS = ("vector", "vectors", "count", "derived")
MAX_VECTORS = 16  # an optimizer has at most a few moment vectors


def vector(**kw):
    return field(metadata={"kind": "vector"}, **kw)


def vectors(**kw):
    return field(metadata={"kind": "vectors"}, **kw)


def count(**kw):
    return field(metadata={"kind": "count"}, **kw)


def derived(**kw):
    return field(metadata={"kind": "derived"}, **kw)


@dataclass(frozen=True)
class State:
    """What every strategy's state holds.

    Attributes:
        genomes: the last generation told ``(pop, n_params)`` (the initial
            individuals before the first tell).
        fitness: their fitness ``(pop,)`` float64, NaN for a failed
            evaluation; shape ``(0,)`` before the first tell.
        generation: the number of generations told.
    """

    genomes: np.ndarray
    fitness: np.ndarray
    generation: int

    @property
    def evaluated(self) -> bool:
        return self.fitness.size > 0


def saved_fields(state_class) -> list[tuple[str, str]]:
    """``(name, kind)`` of the fields a state class adds to :class:`State` and saves."""
    base = {f.name for f in dataclasses.fields(State)}
    out = []
    for f in dataclasses.fields(state_class):
        kind = f.metadata.get("kind")
        if f.name in base or kind == "derived":
            continue
        if kind not in KINDS:
            raise ConfigError(f"{state_class.__name__}.{f.name}: a state field needs a kind "
                              f"({', '.join(KINDS)})")
        out.append((f.name, kind))
    return out


def state_arrays(state: State) -> dict[str, np.ndarray]:
    """The saved fields a strategy adds, as named arrays (``"slots.m"`` for a dict entry)."""
    out = {}
    for name, kind in saved_fields(type(state)):
        value = getattr(state, name)
        if kind == "vectors":
            out.update({f"{name}.{key}": np.asarray(v) for key, v in value.items()})
        else:
            out[name] = np.asarray(value)
    return out


def arrays_to_fields(state_class, arrays: dict, n: int, dtype) -> dict:
    """The inverse of :func:`state_arrays`, each array checked; ConfigError names what is wrong."""
    values, used = {}, set()
    for name, kind in saved_fields(state_class):
        if kind == "vectors":
            keys = [k for k in arrays if k.startswith(name + ".")]
            if len(keys) > MAX_VECTORS:
                raise ConfigError(f"state field {name!r} has {len(keys)} vectors")
            values[name] = {k[len(name) + 1:]: _vector(arrays[k], n, dtype, k) for k in keys}
            used.update(keys)
        elif name not in arrays:
            raise ConfigError(f"state field {name!r} is missing")
        elif kind == "vector":
            values[name] = _vector(arrays[name], n, dtype, name)
        else:
            values[name] = _count(arrays[name], name)
        used.add(name)
    unknown = sorted(set(arrays) - used)
    if unknown:
        raise ConfigError(f"unknown state fields {unknown}")
    return values


def _vector(a, n: int, dtype, what: str) -> np.ndarray:
    a = np.asarray(a)
    if a.shape != (n,):
        raise ConfigError(f"state field {what!r} has shape {a.shape}, expected ({n},)")
    return a.astype(dtype)


def _count(a, what: str) -> int:
    a = np.asarray(a, dtype=np.float64)
    if a.shape != () or not (0 <= a <= 2**53) or int(a) != a:
        raise ConfigError(f"state field {what!r} must be a whole number >= 0, got {a!r:.40}")
    return int(a)


class Strategy:
    """Base of every strategy: settings are the dataclass fields, state a :class:`State`.

    Subclasses are frozen dataclasses that set ``name`` and ``state_class``
    and define ``init``, ``ask``, ``tell`` and (for Lamarckian hybrids)
    ``write_back``.
    """

    name: ClassVar[str] = "?"
    state_class: ClassVar[type] = State

    def init(self, template, size: int, rng: np.random.Generator) -> State:
        raise NotImplementedError

    def ask(self, state: State, rng: np.random.Generator) -> tuple[np.ndarray, State]:
        raise NotImplementedError

    def tell(self, state: State, genomes: np.ndarray, fitness: np.ndarray) -> State:
        raise NotImplementedError

    def write_back(self, state: State, fitness: np.ndarray, learn, top: int) -> State:
        """Lamarckian learning: ``learn(rows (k, n)) -> (k, n)`` on what the strategy breeds from."""
        raise ConfigError(f"the {self.name} strategy does not support Lamarckian learning")

    def derived(self, template, size: int) -> dict:
        """Values of the state's ``derived`` fields (not saved: rebuilt from the template)."""
        return {}

    def check_size(self, size: int) -> None:
        """ConfigError if these settings cannot evolve ``size`` individuals."""

    # --- persistence ------------------------------------------------------------
    def settings(self) -> dict:
        """The settings as JSON-ready keyword arguments of the constructor."""
        return dataclasses.asdict(self)

    @classmethod
    def from_settings(cls, settings: dict):
        """The strategy with ``settings``; ConfigError for unknown names or bad values."""
        if not isinstance(settings, dict):
            raise ConfigError(f"{cls.name} settings must be a JSON object, got {settings!r:.60}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ConfigError(f"unknown {cls.name} settings {unknown}")
        try:
            return cls(**settings)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ConfigError(f"bad {cls.name} settings: {exc}") from None

    def restore(self, template, genomes: np.ndarray, fitness: np.ndarray, generation: int,
                arrays: dict) -> State:
        """A state from its parts as saved (see :func:`state_arrays`); ConfigError if they do not fit."""
        self.check_size(len(genomes))
        fields = arrays_to_fields(self.state_class, arrays, template.n_params, template.dtype)
        fields.update(self.derived(template, len(genomes)))
        return self.state_class(genomes=genomes, fitness=fitness, generation=int(generation),
                                **fields)


def register(cls):
    """Class decorator: make a strategy findable by its ``name``."""
    STRATEGIES.register(cls.name, cls)
    return cls


def get_strategy(spec) -> Strategy:
    """A strategy from an instance, a registered name (``"ga"``, ``"es"``) or None (GA)."""
    if spec is None:
        spec = "ga"
    return lookup(STRATEGIES, spec, Strategy, make=lambda cls: cls())
