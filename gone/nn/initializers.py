"""Weight initialisers: ``(rng, n_out, n_in, dtype) -> (weight, bias)``.

``weight`` has shape ``(n_out, n_in)`` and ``bias`` ``(n_out,)``. Every draw
comes from the Generator passed in.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ConfigError

Init = Callable[[np.random.Generator, int, int, np.dtype], "tuple[np.ndarray, np.ndarray]"]


def uniform(rng, n_out, n_in, dtype):
    """The Go library's default: weights and biases uniform in [-1, 1)."""
    w = rng.uniform(-1.0, 1.0, size=(n_out, n_in)).astype(dtype, copy=False)
    b = rng.uniform(-1.0, 1.0, size=n_out).astype(dtype, copy=False)
    return w, b


def xavier_uniform(rng, n_out, n_in, dtype):
    """Glorot & Bengio (2010): U(-l, l), l = sqrt(6 / (n_in + n_out)); zero biases."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    w = rng.uniform(-limit, limit, size=(n_out, n_in)).astype(dtype, copy=False)
    return w, np.zeros(n_out, dtype)


def xavier_normal(rng, n_out, n_in, dtype):
    """Glorot normal: N(0, 2 / (n_in + n_out)); zero biases."""
    w = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))
    return w.astype(dtype, copy=False), np.zeros(n_out, dtype)


def he_uniform(rng, n_out, n_in, dtype):
    """He et al. (2015) for ReLU: U(-l, l), l = sqrt(6 / n_in); zero biases."""
    limit = np.sqrt(6.0 / n_in)
    w = rng.uniform(-limit, limit, size=(n_out, n_in)).astype(dtype, copy=False)
    return w, np.zeros(n_out, dtype)


def he_normal(rng, n_out, n_in, dtype):
    """He normal: N(0, 2 / n_in); zero biases."""
    w = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
    return w.astype(dtype, copy=False), np.zeros(n_out, dtype)


_INITS: dict[str, Init] = {
    "uniform": uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}
_ALIASES = {
    "go": "uniform",
    "xavier": "xavier_uniform", "glorot": "xavier_uniform",
    "glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal",
    "he": "he_normal", "kaiming": "he_normal",
    "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal",
}


def canonical_name(name: str) -> str:
    key = str(name).strip().lower().replace("-", "_")
    return _ALIASES.get(key, key)


def get(name: str) -> Init:
    """The initialiser called ``name`` (case-insensitive; ``xavier``, ``he``, ``go`` ...)."""
    key = canonical_name(name)
    if key not in _INITS:
        raise ConfigError(f"unknown initialiser {name!r}; known: {', '.join(sorted(_INITS))}")
    return _INITS[key]
