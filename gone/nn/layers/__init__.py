"""Layers: the Layer protocol (:mod:`.base`), Dense, and the image layers."""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from .base import LAYERS, Layer, build_layer, check_layer_class, register_layer
from .conv import Conv2D
from .dense import Dense
from .pool import Flatten, MaxPool2D

__all__ = ["LAYERS", "Conv2D", "Dense", "Flatten", "Layer", "MaxPool2D", "build_layer",
           "check_layer_class", "from_spec", "register_layer"]


def from_spec(spec, index: int):
    """A fresh, unbuilt layer from a constructor entry: an int is ``Dense(n)``; a layer
    object is copied through its config (so its class, a subclass of Dense too, is kept)."""
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        return Dense(spec)
    if isinstance(spec, type):
        raise ConfigError(f"layer {index}: got the class {spec.__name__}; pass an instance, "
                          f"e.g. {spec.__name__}(...)")
    if not isinstance(spec, Layer) and not hasattr(spec, "forward"):
        raise ConfigError(f"layer {index} must be an int (units of a Dense layer) or a layer "
                          f"such as gone.Dense(...), got {spec!r}")
    check_layer_class(type(spec))
    try:
        return type(spec).from_config(spec.config())
    except TypeError as exc:
        raise ConfigError(f"layer {index}: {type(spec).__name__}.from_config(config()) "
                          f"failed: {exc}") from None


def _build(layer, shape: tuple, index: int, previous: str) -> tuple:
    """Build ``layer`` on ``shape``; its output shape, or a ConfigError naming the layer."""
    try:
        return build_layer(layer, shape)
    except ConfigError as exc:
        raise ConfigError(f"layer {index} ({layer!r}) after {previous} with output shape "
                          f"{shape}: {exc}") from None
