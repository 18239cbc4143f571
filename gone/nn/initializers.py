"""Weight initialisers: ``(rng, n_out, n_in, dtype) -> (weight, bias)``.

``weight`` has shape ``(n_out, n_in)`` and ``bias`` ``(n_out,)``. Every draw
comes from the Generator passed in.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._base.registry import Registry
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


def zeros(rng, n_out, n_in, dtype):
    """All zeros (draws nothing): for networks whose parameters are about to be overwritten."""
    return np.zeros((n_out, n_in), dtype), np.zeros(n_out, dtype)


REGISTRY: Registry[Init] = Registry("initialiser")
REGISTRY.register("zeros", zeros)
REGISTRY.register("uniform", uniform, aliases=("go",))
REGISTRY.register("xavier_uniform", xavier_uniform, aliases=("xavier", "glorot", "glorot_uniform"))
REGISTRY.register("xavier_normal", xavier_normal, aliases=("glorot_normal",))
REGISTRY.register("he_uniform", he_uniform, aliases=("kaiming_uniform",))
REGISTRY.register("he_normal", he_normal, aliases=("he", "kaiming", "kaiming_normal"))


def canonical_name(name: str) -> str:
    return REGISTRY.key(name)


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> Init:
    """The initialiser called ``name`` (case-insensitive; ``xavier``, ``he``, ``go`` ...)."""
    if not isinstance(name, str):
        raise ConfigError(f"an initialiser is a name, got {name!r}")
    return REGISTRY.get(name)


def register(name: str, init: Init, aliases: tuple[str, ...] = ()) -> Init:
    """Add an initialiser ``init(rng, n_out, n_in, dtype) -> (weight, bias)`` by name."""
    return REGISTRY.register(name, init, aliases=aliases)
