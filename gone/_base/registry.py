"""One registry class for every named component: activations, losses, initialisers,
optimisers, selections, strategies, layer kinds, evolution tasks.

A name is looked up case-insensitively, with ``-`` and spaces read as ``_``
(``"Leaky-ReLU"`` finds ``leaky_relu``), and so does the name without its
underscores (``"leakyrelu"``). An unknown name is a :class:`~gone.errors.ConfigError`
that lists what is known and suggests the closest name.

    >>> r = Registry("colour")
    >>> r.register("dark_red", "#800000", aliases=("maroon",))
    '#800000'
    >>> r["Dark-Red"], r["maroon"]
    ('#800000', '#800000')
    >>> r["dark_rde"]
    Traceback (most recent call last):
    ...
    gone.errors.ConfigError: unknown colour 'dark_rde'; did you mean 'dark_red'? (known: dark_red)
"""

from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

from ..errors import ConfigError

T = TypeVar("T")


def suggest(name: str, choices) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``name``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def normalise(name: str) -> str:
    """``name`` stripped and lower-cased, with ``-`` and spaces as ``_``."""
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


class Registry(Generic[T]):
    """Named entries of one kind (``kind`` is used in error messages, e.g. ``"activation"``)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def key(self, name: str) -> str:
        """The canonical name ``name`` refers to, or its normalised form if unknown."""
        key = normalise(name)
        if key in self._entries:
            return key
        squeezed = key.replace("_", "")
        for canonical in self._entries:  # "leakyrelu" finds "leaky_relu"
            if canonical.replace("_", "") == squeezed:
                return canonical
        return self._aliases.get(key, self._aliases.get(squeezed, key))

    def register(self, name: str, entry: T | None = None, *, aliases=(), replace: bool = True):
        """Add ``entry`` under ``name`` (and ``aliases``); returns it.

        Without ``entry`` this is a decorator: ``@registry.register("name")``.
        ``replace=False`` refuses a name that is already taken.
        """
        if entry is None:
            return lambda obj: self.register(name, obj, aliases=aliases, replace=replace)
        key = normalise(name)
        if not key:
            raise ConfigError(f"a {self.kind} needs a name")
        if not replace and key in self._entries:
            raise ConfigError(f"{self.kind} {key!r} is already registered")
        self._entries[key] = entry
        for alias in aliases:
            self._aliases[normalise(alias)] = key
        return entry

    def get(self, name: str) -> T:
        """The entry called ``name``; :class:`ConfigError` with a suggestion if there is none."""
        key = self.key(name)
        if key in self._entries:
            return self._entries[key]
        close = difflib.get_close_matches(key, [*self._entries, *self._aliases], n=1)
        hint = f"; did you mean {self.key(close[0])!r}?" if close else ""
        raise ConfigError(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names())})")

    __getitem__ = get

    def names(self) -> list[str]:
        """Canonical names, sorted."""
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._entries.items())

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and self.key(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


def lookup(registry: Registry, spec, instance_of: type | tuple, make: Callable | None = None):
    """``spec`` as is if it is already an ``instance_of``, else the registry's entry by name.

    ``make`` turns the entry into the object (e.g. calls a class); by default the
    entry itself is returned.
    """
    if isinstance(spec, instance_of):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(f"a {registry.kind} is a name or a {_names(instance_of)}, got {spec!r}")
    entry = registry.get(spec)
    return make(entry) if make else entry


def _names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(t.__name__ for t in types)
