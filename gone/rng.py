"""The one place where seeds become random generators."""

from __future__ import annotations

import numpy as np

from .errors import ConfigError

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
