"""Checking a graph config (the JSON file's shape) and turning it into flat arrays.

Everything here costs time proportional to the config's size (names are
looked up in dicts and sets, never in lists), and every mistake is a
:class:`~gone.errors.GraphError` naming the neuron and the field: no
``TypeError``, ``OverflowError`` or ``ValueError`` escapes, whatever the
values (a config may come from a stranger's file).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from ..errors import ConfigError, GraphError
from ..nn import activations as _act

TOP_KEYS = ("inputs", "outputs", "neurons")
NEURON_KEYS = ("bias", "activation", "activation_params", "synapses")
_NEURON_KEYSET = frozenset(NEURON_KEYS)

#: Above this many candidates "did you mean" is skipped: difflib compares each one.
_SUGGEST_LIMIT = 2000


class _Object(dict):
    """A JSON object that remembers keys given more than once (json keeps the last)."""

    duplicates: tuple = ()


def json_object(pairs) -> dict:
    """``object_pairs_hook`` for :func:`json.loads` that records duplicate keys."""
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: only then the slower subclass that carries them
        out, seen = _Object(pairs), set()
        out.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return out


def suggest(name, choices) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    choices = [str(c) for c in choices]
    if len(choices) > _SUGGEST_LIMIT:
        return ""
    close = difflib.get_close_matches(str(name), choices, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a huge value makes a short message."""
    text = repr(value) if not isinstance(value, (list, dict)) or len(value) < 20 \
        else f"<{type(value).__name__} of {len(value)}>"
    return text if len(text) <= limit else text[:limit] + "..."


def number(value, where: str) -> float:
    """``value`` as a finite float, or GraphError (a bool or a huge int is not a weight)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise GraphError(f"{where} must be a number, got {_short(value)}")
    try:
        out = float(value)
    except (OverflowError, ValueError, TypeError):
        out = math.inf
    if not math.isfinite(out):
        raise GraphError(f"{where} must be a finite number, got {_short(value)}")
    return out


def name_list(value, field: str) -> list[str]:
    """A non-empty list of distinct non-empty names."""
    if not isinstance(value, (list, tuple)):
        raise GraphError(f"{field} must be a list of names, got {_short(value)}")
    seen: set = set()
    for name in value:
        if not isinstance(name, str) or not name:
            raise GraphError(f"{field}: every name must be a non-empty string, got {_short(name)}")
        if name in seen:
            raise GraphError(f"{field}: duplicate name {name!r}")
        seen.add(name)
    if not value:
        raise GraphError(f"{field} must name at least one neuron")
    return list(value)


def check_keys(obj, allowed, where: str) -> None:
    """GraphError unless ``obj`` is a dict whose keys are all in ``allowed``."""
    if not isinstance(obj, dict):
        raise GraphError(f"{where} must be an object, got {_short(obj)}")
    for key in obj:
        if key not in allowed:
            raise GraphError(f"{where}: unknown field {_short(key)}{suggest(key, allowed)} "
                             f"(fields: {', '.join(map(str, allowed))})")


def activation(spec, params, where: str) -> _act.Activation:
    """The :class:`Activation` a neuron's ``activation``/``activation_params`` name."""
    if isinstance(spec, _act.Activation):
        act = spec
    elif not isinstance(spec, str):
        raise GraphError(f"{where}: activation must be a name, got {_short(spec)}")
    else:
        if not isinstance(params, dict):
            raise GraphError(f"{where}: activation_params must be an object, got {_short(params)}")
        params = {str(k): number(v, f"{where}: activation_params.{k}") for k, v in params.items()}
        try:
            act = _act.get(spec, **params)
        except (ConfigError, TypeError, ValueError, OverflowError) as exc:
            known = _act.names()
            if _act.canonical_name(spec) in known:  # a known name with bad parameters
                raise GraphError(f"{where}: activation: {exc}") from None
            hint = suggest(_act.canonical_name(spec), known + ["softstep", "linear", "binary"])
            raise GraphError(f"{where}: activation: unknown activation {_short(spec)}{hint} "
                             f"(known: {', '.join(known)})") from None
    if act.grad is None:
        raise GraphError(f"{where}: activation {act.name!r} mixes neurons and cannot be "
                         "used by a single neuron")
    return act


@dataclass
class Parsed:
    """A checked config as flat data; synapse ``t`` belongs to neuron ``dst[t]``."""

    inputs: tuple
    outputs: tuple
    names: tuple
    acts: list            # Activation per neuron
    act_names: list       # the name as written, per neuron
    sources: list         # source names per neuron, in definition order
    src: np.ndarray       # (s,) node column of each synapse's source (inputs first)
    counts: np.ndarray    # (n,) synapses per neuron
    params: np.ndarray    # (n + s,) bias then weights, neuron by neuron


def parse(config) -> Parsed:
    """Check ``config`` ``{"inputs", "outputs", "neurons"}`` and flatten it."""
    check_keys(config, TOP_KEYS, "the graph config")
    for key in TOP_KEYS:
        if key not in config:
            raise GraphError(f"the graph config has no {key!r}")
    inputs = name_list(config["inputs"], "inputs")
    neurons = config["neurons"]
    if not isinstance(neurons, dict) or not neurons:
        raise GraphError("neurons must be a non-empty object of name: neuron, "
                         f"got {_short(neurons)}")
    col = _columns(inputs, neurons)
    names = list(neurons)
    outputs = name_list(config["outputs"], "outputs")
    for name in outputs:
        if name not in neurons:
            where = " (an input cannot be an output)" if name in inputs else ""
            raise GraphError(f"outputs: {name!r} is not a neuron{where}{suggest(name, names)}")
    return _flatten(inputs, outputs, neurons, col)


def _columns(inputs: list, neurons: dict) -> dict:
    """``{name: column}`` of the node matrix: inputs, then neurons in definition order."""
    for name in getattr(neurons, "duplicates", ()):
        raise GraphError(f"neurons: duplicate neuron name {name!r}")
    col = {name: i for i, name in enumerate(inputs)}
    for name in neurons:
        if not isinstance(name, str) or not name:
            raise GraphError(f"neurons: every name must be a non-empty string, got {_short(name)}")
        if name in col:
            raise GraphError(f"neuron {name!r}: duplicate name, {name!r} is also an input")
        col[name] = len(col)
    return col


def _flatten(inputs: list, outputs: list, neurons: dict, col: dict) -> Parsed:
    """Check every neuron and lay the graph out as flat arrays, one pass."""
    names = list(neurons)
    acts, act_names, sources, flat, src = [], [], [], [], []
    cache: dict = {}
    for name in names:
        spec, where = neurons[name], f"neuron {name!r}"
        if not isinstance(spec, dict) or not spec.keys() <= _NEURON_KEYSET:
            check_keys(spec, NEURON_KEYS, where)
        act_spec = spec.get("activation", "identity")
        acts.append(_cached_activation(cache, act_spec, spec.get("activation_params", {}), where))
        act_names.append(act_spec.name if isinstance(act_spec, _act.Activation) else act_spec)
        synapses = spec.get("synapses", {})
        if not isinstance(synapses, dict):
            raise GraphError(f"{where}: synapses must be an object, got {_short(synapses)}")
        for source in getattr(synapses, "duplicates", ()):
            raise GraphError(f"{where}: synapses: duplicate source {source!r}")
        cols = list(map(col.get, synapses))
        if None in cols:
            source = list(synapses)[cols.index(None)]
            raise GraphError(f"{where}: synapses: unknown source {_short(source)}"
                             f"{suggest(source, col)}")
        src.extend(cols)
        flat.append(spec.get("bias", 0.0))
        flat.extend(synapses.values())
        sources.append(list(synapses))
    counts = np.array([len(s) for s in sources], dtype=np.intp)
    return Parsed(tuple(inputs), tuple(outputs), tuple(names), acts, act_names, sources,
                  np.array(src, dtype=np.intp), counts, _numbers(flat, neurons, names))


def _numbers(flat: list, neurons: dict, names: list) -> np.ndarray:
    """The biases and weights ``flat`` as floats; GraphError naming the first bad one.

    The common case (plain floats and ints, all finite) is checked in bulk; only
    otherwise are the values walked one by one with their neuron and source.
    """
    if set(map(type, flat)) <= {float, int}:
        try:
            params = np.array(flat, dtype=np.float64)
        except OverflowError:  # an int beyond float range
            params = None
        if params is not None and np.isfinite(params).all():
            return params
    out = []
    for name in names:
        spec, where = neurons[name], f"neuron {name!r}"
        out.append(number(spec.get("bias", 0.0), f"{where}: bias"))
        out.extend(number(w, f"{where}: synapses.{s}")
                   for s, w in spec.get("synapses", {}).items())
    return np.array(out, dtype=np.float64)


def _cached_activation(cache: dict, spec, params, where: str) -> _act.Activation:
    """:func:`activation`, looked up once per distinct (name, parameters) in a graph."""
    if not isinstance(spec, str) or not isinstance(params, dict):
        return activation(spec, params, where)
    try:
        key = (spec, tuple(sorted(params.items())))
        hash(key)
    except TypeError:  # unhashable or unorderable parameter values: no caching
        return activation(spec, params, where)
    if key not in cache:
        cache[key] = activation(spec, params, where)
    return cache[key]
