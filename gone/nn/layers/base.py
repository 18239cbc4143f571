"""The Layer protocol every layer follows (Dense, Conv2D, MaxPool2D, Flatten and yours).

A layer is a settings object until a :class:`~gone.Network` builds it; then it
knows its shapes and works on batches. What a layer provides:

- ``kind``: the name it is registered and saved under (``"dense"``, ``"scale"``).
- ``build(input_shape) -> output_shape``: per-sample shapes (no batch axis);
  ``(n,)`` for flat data, ``(C, H, W)`` for images. Raise ConfigError on a
  shape the layer cannot take.
- ``param_shapes() -> [shape, ...]`` after ``build``; ``initial_params(rng,
  dtype, default_init)`` gives their starting values (zeros by default).
- ``bind(views)``: adopt the given arrays (views of the network's one flat
  parameter vector) as the parameters; ``params`` returns them.
- ``forward(x, rng) -> (y, cache)``: training pass on ``(batch, *input_shape)``;
  ``rng`` is a Generator when dropout-like noise is wanted, else None.
- ``backward(grad_y, cache, grads, need_input_grad=True, scale=1.0) -> grad_x``:
  write dL/dparam into ``grads`` (arrays shaped like ``params``; assign with
  ``grads[i][...] = ...``) and return dL/dx (or None when ``need_input_grad`` is
  False). ``scale`` is a factor already applied to ``grad_y`` (a folded learning
  rate); only terms not derived from ``grad_y`` (weight decay) need it.
- ``config() -> dict`` and ``from_config(config)``: the settings, so the layer
  can be copied, saved (numbers only, for layers gone does not know) and loaded.

Register a class with :func:`register_layer` so networks that use it can be
saved and loaded by kind::

    @gone.register_layer
    class Scale(gone.Layer):
        kind = "scale"
        ...
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from ..._base.registry import Registry
from ..._base.rng import make_rng
from ...errors import ConfigError
from .. import activations as _act

_IDENTITY = _act.get("identity")

#: Layer classes by kind; the ``.gone`` codec and ``Network`` look kinds up here.
LAYERS: Registry[type] = Registry("layer kind")

# method -> the positional arguments (after self) Network passes it, for the error message
_SIGNATURES = {"build": ("input_shape",), "param_shapes": (), "bind": ("views",),
               "forward": ("x", "rng"),
               "backward": ("grad_y", "cache", "grads", "need_input_grad", "scale"),
               "config": ()}


class Layer:
    """Base class of layers: defaults for everything but ``build``, ``forward`` and ``backward``."""

    kind = ""
    activation = _IDENTITY
    dropout = 0.0
    l2 = 0.0
    use_bias = False
    init = None
    input_shape: tuple | None = None
    output_shape: tuple | None = None

    def build(self, input_shape: tuple) -> tuple:
        raise NotImplementedError

    def param_shapes(self) -> list[tuple[int, ...]]:
        return []

    def initial_params(self, rng: np.random.Generator, dtype, default_init: str) -> list[np.ndarray]:
        """Starting values for ``param_shapes()`` (zeros unless a layer says otherwise)."""
        return [np.zeros(shape, dtype) for shape in self.param_shapes()]

    def bind(self, views: list[np.ndarray]) -> None:
        self._params = list(views)

    @property
    def params(self) -> list[np.ndarray]:
        """The parameter arrays (the live views, not copies), in genome order."""
        return getattr(self, "_params", [])

    @property
    def weight(self) -> np.ndarray | None:
        """All parameters as one ``(1, n)`` row (a copy), None without any.

        For code that walks layers as if they were Dense (weight, then bias);
        :func:`gone.nn.genome.random_genomes` uses the protocol instead.
        """
        params = self.params
        return np.concatenate([np.ravel(p) for p in params])[None, :] if params else None

    bias = None

    def forward(self, x: np.ndarray, rng):
        raise NotImplementedError

    def backward(self, grad_y, cache, grads, need_input_grad: bool = True, scale: float = 1.0):
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Inference pass ``(batch, *input_shape) -> (batch, *output_shape)``."""
        return self.forward(x, None)[0]

    def config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def kind_params(self) -> dict[str, float]:
        """The numeric settings (what ``gone info`` shows and ``.gone`` files keep)."""
        return {k: float(v) for k, v in self.config().items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}

    @property
    def n_in(self) -> int:
        return math.prod(self.input_shape)

    @property
    def units(self) -> int:
        """Outputs per sample, ``prod(output_shape)`` (what ``Network.sizes`` shows)."""
        return math.prod(self.output_shape)

    def copy(self) -> "Layer":
        """An unbound twin with the same settings, shapes and (copied) parameters."""
        twin = type(self).from_config(self.config())
        if self.input_shape is not None:
            build_layer(twin, self.input_shape)
            twin.bind([p.copy() for p in self.params])
        return twin

    def _standalone(self, dtype, rng, default_init) -> None:
        """Own parameter arrays for a layer used outside a network (tests, experiments)."""
        values = self.initial_params(make_rng(rng), np.dtype(dtype), default_init or "xavier")
        self.bind([np.ascontiguousarray(v) for v in values])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def protocol_gaps(cls: type) -> list[str]:
    """What ``cls`` lacks of the Layer protocol (empty when it follows it)."""
    gaps = []
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or not kind:
        gaps.append("kind (a non-empty string)")
    for name, args in _SIGNATURES.items():
        method = getattr(cls, name, None)
        signature = f"{name}({', '.join(args)})"
        if not callable(method) or (issubclass(cls, Layer) and name in ("build", "forward", "backward")
                                    and method is getattr(Layer, name)):
            gaps.append(signature)
            continue
        try:
            inspect.signature(method).bind(None, *args)
        except TypeError:
            gaps.append(f"{signature} (it takes other arguments)")
        except ValueError:  # no signature to inspect (a builtin): trust it
            pass
    if not callable(getattr(cls, "from_config", None)):
        gaps.append("from_config(config)")
    if not hasattr(cls, "params"):
        gaps.append("params")
    return gaps


_CHECKED: set[type] = set()


def check_layer_class(cls: type) -> type:
    """``cls`` if it follows the Layer protocol, else a ConfigError naming what is missing."""
    if cls in _CHECKED:
        return cls
    gaps = protocol_gaps(cls)
    if gaps:
        raise ConfigError(f"layer class {cls.__name__} does not follow the Layer protocol: "
                          f"missing {', '.join(gaps)} (see gone.Layer)")
    _CHECKED.add(cls)
    return cls


def register_layer(cls: type | None = None, *, replace: bool = True):
    """Register a layer class under its ``kind`` (a decorator too); returns the class.

    Networks using the class can then be saved and loaded; its ``config()``
    must hold numbers (and an ``activation``) for the ``.gone`` file.
    """
    if cls is None:
        return lambda c: register_layer(c, replace=replace)
    if not isinstance(cls, type):
        raise ConfigError(f"register_layer expects a layer class, got {cls!r}")
    check_layer_class(cls)
    return LAYERS.register(cls.kind, cls, replace=replace)


def layer_class(kind: str) -> type:
    """The class registered as ``kind``; ConfigError with a suggestion if none is."""
    return LAYERS.get(kind)


def build_layer(layer, input_shape: tuple) -> tuple[int, ...]:
    """``layer.build(input_shape)``, its output checked and both shapes recorded on the layer."""
    out = as_shape(layer.build(tuple(input_shape)), f"{type(layer).__name__}.build")
    layer.input_shape, layer.output_shape = tuple(input_shape), out
    return out


def as_shape(shape, what: str) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints, or a ConfigError naming ``what`` made it."""
    try:
        out = tuple(int(n) for n in ((shape,) if np.ndim(shape) == 0 else shape))
        ok = out and all(n >= 1 and n == m for n, m in zip(out, np.ravel(shape)))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ConfigError(f"{what} must give a shape of positive ints, got {shape!r}")
    return out
