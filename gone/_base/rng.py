"""The one place where seeds become random generators, and generators become text and back."""

from __future__ import annotations

import json

import numpy as np

from ..errors import ConfigError

SeedLike = "int | np.random.Generator | np.random.SeedSequence | None"

#: The bit generators a saved state may name, and nothing else (never a name looked up
#: in numpy from a file: ``"seed"`` would re-seed numpy's global generator).
BIT_GENERATORS = {cls.__name__: cls for cls in (np.random.PCG64, np.random.PCG64DXSM,
                                                 np.random.MT19937, np.random.Philox,
                                                 np.random.SFC64)}
MAX_STATE_TEXT = 64 * 1024  # an MT19937 state, the largest, is about 7 KB of JSON
_MAX_INT_BITS = 256         # the largest integer in any known state is 128 bits


def make_rng(seed=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``.

    A Generator is returned as is (so callers share its stream), an int or a
    SeedSequence seeds a new PCG64 generator, and ``None`` draws fresh OS entropy.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    raise ConfigError(
        f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}"
    )


def state_to_json(rng: np.random.Generator) -> str:
    """The generator's exact state as JSON text (arrays tagged with their dtype)."""

    def plain(value):
        if isinstance(value, np.ndarray):
            return {"__ndarray__": value.dtype.str, "data": value.tolist()}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value.item() if isinstance(value, np.generic) else value

    return json.dumps(plain(rng.bit_generator.state), sort_keys=True)


def rng_from_json(text: str) -> np.random.Generator:
    """A Generator in the state :func:`state_to_json` wrote (same bit generator, same next draws).

    Only the bit generators of :data:`BIT_GENERATORS` are accepted, each with
    exactly its own state layout: the same keys, integers where it has
    integers, arrays of its own dtype and length. Anything else is a
    :class:`ConfigError`; nothing is allocated from sizes the text declares.
    """
    if not isinstance(text, str) or len(text) > MAX_STATE_TEXT:
        raise ConfigError(f"not a saved random generator state: longer than {MAX_STATE_TEXT} "
                          f"characters")
    try:
        state = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"not a saved random generator state: {exc}") from None
    return rng_from_state(state, tagged=True)


def rng_from_state(state, tagged: bool = False) -> np.random.Generator:
    """A Generator from a ``bit_generator.state`` dict (``tagged``: arrays as JSON wrote them)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    cls = BIT_GENERATORS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"not a saved random generator state: bit generator {name!r:.40} is "
                          f"not one of {', '.join(BIT_GENERATORS)}")
    bit_generator = cls(0)
    checked = _match(state, bit_generator.state, "state", tagged)
    try:
        bit_generator.state = checked
    except (ValueError, TypeError, OverflowError, KeyError) as exc:
        raise ConfigError(f"not a saved random generator state: {exc}") from None
    return np.random.Generator(bit_generator)


def _match(value, like, where: str, tagged: bool):
    """``value`` checked against ``like`` (a fresh generator's state): same layout and types."""
    if isinstance(like, dict):
        if not isinstance(value, dict) or set(value) != set(like):
            got = sorted(value)[:8] if isinstance(value, dict) else type(value).__name__
            raise ConfigError(f"not a saved random generator state: {where} has {got}, "
                              f"expected keys {sorted(like)}")
        return {k: _match(value[k], like[k], f"{where}.{k}", tagged) for k in like}
    if isinstance(like, np.ndarray):
        return _array(value, like, where, tagged)
    if isinstance(like, str):
        if value != like:
            raise ConfigError(f"not a saved random generator state: {where} is {value!r:.40}")
        return value
    if type(value) is not int or not 0 <= value < 1 << _MAX_INT_BITS:
        raise ConfigError(f"not a saved random generator state: {where} must be a "
                          f"non-negative integer, got {value!r:.40}")
    return value


def _array(value, like: np.ndarray, where: str, tagged: bool) -> np.ndarray:
    if tagged:
        if not isinstance(value, dict) or set(value) != {"__ndarray__", "data"} \
                or value["__ndarray__"] != like.dtype.str:
            raise ConfigError(f"not a saved random generator state: {where} must be an array "
                              f"of dtype {like.dtype.str}")
        value = value["data"]
    elif isinstance(value, np.ndarray):
        value = value.tolist() if value.dtype == like.dtype and value.shape == like.shape else None
    limit = 1 << (8 * like.dtype.itemsize)
    if not isinstance(value, list) or len(value) != like.size or not all(
            type(v) is int and 0 <= v < limit for v in value):
        raise ConfigError(f"not a saved random generator state: {where} must hold {like.size} "
                          f"integers of dtype {like.dtype.name}")
    return np.array(value, dtype=like.dtype).reshape(like.shape)
