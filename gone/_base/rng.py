"""The one place where seeds become random generators."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

SeedLike = "int | np.random.Generator | np.random.SeedSequence | None"


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
    import json

    def plain(value):
        if isinstance(value, np.ndarray):
            return {"__ndarray__": value.dtype.str, "data": value.tolist()}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value.item() if isinstance(value, np.generic) else value

    return json.dumps(plain(rng.bit_generator.state), sort_keys=True)


def rng_from_json(text: str) -> np.random.Generator:
    """A Generator in the state :func:`state_to_json` wrote (same bit generator, same next draws)."""
    import json

    def typed(value):
        if isinstance(value, dict) and "__ndarray__" in value:
            return np.array(value["data"], dtype=np.dtype(value["__ndarray__"]))
        if isinstance(value, dict):
            return {k: typed(v) for k, v in value.items()}
        return value

    try:
        state = typed(json.loads(text))
        bit_generator = getattr(np.random, state["bit_generator"])()
        bit_generator.state = state
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"not a saved random generator state: {exc}") from None
    return np.random.Generator(bit_generator)
