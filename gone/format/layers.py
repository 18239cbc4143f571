"""How each layer kind is written in a ``.gone`` file: ONE table of kinds, used by
:mod:`gone.format.network` for every network.

Every layer is a ``Layer`` message with ``Nodes`` = the product of its per-sample
output shape, its ``kind`` and its parameters in ``Weights[i]``/``Biases[i]``:

- ``dense`` (also ``""``, the Go library's files): the Go fields. ``Weights[i]`` is
  ``(units, n_in)``, ``Biases[i]`` is ``(units, 1)`` (zeros without bias);
  activation in ``Activator``/``activator_params``; ``no_bias``, ``dropout``, ``l2``.
- ``conv2d``: settings in ``kind_params`` (filters, kernel_h, kernel_w, stride,
  padding with -1 for "same"), the weight ``(filters, C*kh*kw)`` and bias as a dense's.
- ``maxpool2d`` (pool, stride) and ``flatten``: no parameters (empty matrices).
- any other registered kind (a user's layer): its numeric ``config()`` in
  ``kind_params`` (an ``activation`` setting in ``Activator``), every parameter
  concatenated in genome order in ``Weights[i]`` as one ``1 x n`` row, ``Biases[i]`` empty.

Layers other than dense also store their ``output_shape``; a network with image
input stores ``input_shape``. The Go library runs only all-dense files
(``network.go_compatible``).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ..errors import ConfigError
from ..nn import activations as _act
from ..nn.layers.base import LAYERS
from ..nn.layers.conv import Conv2D
from ..nn.layers.dense import Dense
from ..nn.layers.pool import Flatten, MaxPool2D

MAX_DIM = 1 << 24
GO_ACTIVATIONS = {"identity": "id", "sigmoid": "sigmoid", "relu": "relu"}  # gone name -> Go's


# --- writing -------------------------------------------------------------

def _numbers(config: dict, where: str) -> dict[str, float]:
    """A user layer's config as ``kind_params``; anything but numbers is refused."""
    out = {}
    for key, value in config.items():
        if key == "activation" or value is None:
            continue
        if not isinstance(value, (Real, np.bool_)) or not math.isfinite(float(value)):
            raise ConfigError(f"{where}: setting {key}={value!r} cannot be saved; a layer's "
                              "config() may hold only finite numbers, booleans, None and "
                              "an activation")
        out[key] = float(value)
    return out


def _dense_write(layer, msg, where: str) -> None:
    """Dense settings live in the Go fields and their neighbours."""


def _kind_params_write(layer, msg, where: str) -> None:
    for key, value in layer.kind_params().items():
        msg.kind_params[key] = float(value)


def _generic_write(layer, msg, where: str) -> None:
    for key, value in _numbers(layer.config(), where).items():
        msg.kind_params[key] = value


def _activation_fields(layer, msg) -> None:
    act = getattr(layer, "activation", None)
    if act is None:
        return
    msg.Activator = GO_ACTIVATIONS.get(act.name, act.name)
    for key, value in act.params.items():
        msg.activator_params[key] = value


def layer_message(layer, pb, where: str):
    """The ``Layer`` message of a built layer."""
    codec = codec_for(layer.kind)
    if layer.kind not in LAYERS:
        raise ConfigError(f"{where}: layer kind {layer.kind!r} is not registered; "
                          f"register {type(layer).__name__} with gone.register_layer to save it")
    if LAYERS.get(layer.kind) is not type(layer):
        raise ConfigError(f"{where}: {type(layer).__name__} is not the class registered as "
                          f"kind {layer.kind!r}; give it its own kind and gone.register_layer it")
    msg = pb.Layer(Nodes=math.prod(layer.output_shape), kind=layer.kind,
                   no_bias=not getattr(layer, "use_bias", False),
                   dropout=getattr(layer, "dropout", 0.0), l2=getattr(layer, "l2", 0.0))
    if codec is not _GENERIC or "activation" in layer.config():
        _activation_fields(layer, msg)
    codec.write(layer, msg, where)
    if layer.kind != "dense":
        msg.output_shape.extend(layer.output_shape)
    return msg


def matrices(layer, pb) -> tuple:
    """``(Weights, Biases)`` matrices of a layer (see the module docstring)."""
    params = layer.params
    if not params:
        return pb.Matrix(), pb.Matrix()
    if codec_for(layer.kind) is _GENERIC:
        flat = np.concatenate([np.ravel(p) for p in params]).astype(np.float64)
        return pb.Matrix(Rows=1, Columns=flat.size, Data=flat), pb.Matrix()
    w = params[0]
    b = params[1] if len(params) > 1 else np.zeros(w.shape[0])
    return (pb.Matrix(Rows=w.shape[0], Columns=w.shape[1], Data=w.ravel().astype(np.float64)),
            pb.Matrix(Rows=b.shape[0], Columns=1, Data=np.asarray(b, np.float64)))


# --- reading -------------------------------------------------------------

def _dense_read(r, spec, act, where: str):
    for name, value in (("dropout", spec.dropout), ("l2", spec.l2)):
        if not math.isfinite(value):
            raise r.fail(f"{where}: {name} is {value}, not a finite number")
    return Dense(spec.Nodes, act, bias=not spec.no_bias, dropout=spec.dropout, l2=spec.l2)


def _param(r, spec, key: str, where: str):
    if key not in spec.kind_params:
        raise r.fail(f"{where}: {spec.kind} layer lacks the parameter {key!r}")
    return spec.kind_params[key]


def _conv_read(r, spec, act, where: str):
    p = {k: _param(r, spec, k, where) for k in ("filters", "kernel_h", "kernel_w", "stride",
                                                  "padding")}
    pad = "same" if p["padding"] == -1 else p["padding"]
    return Conv2D(p["filters"], (p["kernel_h"], p["kernel_w"]), stride=p["stride"],
                  padding=pad, activation=act, bias=not spec.no_bias)


def _pool_read(r, spec, act, where: str):
    return MaxPool2D(_param(r, spec, "pool", where), _param(r, spec, "stride", where))


def _generic_read(r, spec, act, where: str):
    cls = LAYERS.get(spec.kind)
    config = {k: int(v) if float(v).is_integer() and abs(v) < 2 ** 53 else v
              for k, v in spec.kind_params.items()}
    if spec.Activator:
        config["activation"] = act
    return cls.from_config(config)


class _Codec:
    """How one kind's settings go into a ``Layer`` message (``write``) and come back (``read``)."""

    def __init__(self, write, read):
        self.write, self.read = write, read


_GENERIC = _Codec(_generic_write, _generic_read)

#: The one table of layer kinds gone writes with its own fields; any other
#: registered kind uses the generic entry.
KINDS = {
    "dense": _Codec(_dense_write, _dense_read),
    "conv2d": _Codec(_kind_params_write, _conv_read),
    "maxpool2d": _Codec(_kind_params_write, _pool_read),
    "flatten": _Codec(_kind_params_write, lambda r, spec, act, where: Flatten()),
}


def codec_for(kind: str) -> _Codec:
    return KINDS.get(kind or "dense", _GENERIC)


def read_layer(r, spec, where: str):
    """An unbuilt layer from its message; the reader's GoneFormatError on nonsense."""
    kind = spec.kind or "dense"
    for key, value in spec.activator_params.items():
        if not math.isfinite(value):
            raise r.fail(f"{where}: {key} is {value}, not a finite number")
    for key, value in spec.kind_params.items():
        if not math.isfinite(value):
            raise r.fail(f"{where}: {kind} parameter {key} is {value}, not a finite number")
    if kind not in KINDS and kind not in LAYERS:
        raise r.fail(f"{where}: layer kind {kind!r} is not known to this gone; register "
                     "the layer class (gone.register_layer) before loading")
    try:
        act = _act.get(spec.Activator or "id", **dict(spec.activator_params))
        return codec_for(kind).read(r, spec, act, where)
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:
        raise r.fail(f"{where}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a user's from_config may raise anything
        raise r.fail(f"{where}: {kind} settings {dict(spec.kind_params)} rejected: "
                     f"{type(exc).__name__}: {exc}") from None


def read_params(r, msg, i: int, layer, shapes: list) -> list[np.ndarray]:
    """Layer ``i``'s parameter arrays from ``Weights[i]``/``Biases[i]``, checked
    against ``shapes`` (from the built layer) before anything is allocated."""
    wm, bm = msg.Weights[i], msg.Biases[i]
    codec = codec_for(layer.kind)
    if not shapes:
        if wm.Rows or wm.Columns or wm.Data or bm.Rows or bm.Columns or bm.Data:
            raise r.fail(f"Weights[{i}]/Biases[{i}] must be empty: layer {i + 1} has no "
                         "parameters")
        return []
    if codec is _GENERIC:
        sizes = [math.prod(s) for s in shapes]
        flat = r.matrix(wm, 1, sum(sizes), f"Weights[{i}]").ravel()
        if bm.Rows or bm.Columns or bm.Data:
            raise r.fail(f"Biases[{i}] must be empty for a {layer.kind} layer")
        cuts = np.cumsum(sizes)[:-1]
        return [part.reshape(s) for part, s in zip(np.split(flat, cuts), shapes)]
    n_out, n_in = shapes[0]
    w = r.matrix(wm, n_out, n_in, f"Weights[{i}]")
    b = r.matrix(bm, n_out, 1, f"Biases[{i}]").reshape(n_out)
    use_bias = len(shapes) > 1
    if not use_bias and np.any(b):
        raise r.fail(f"Biases[{i}] is non-zero but layer {i + 1} has no bias (no_bias is set)")
    return [w, b] if use_bias else [w]


def check_input_shape(r, msg) -> tuple[int, ...]:
    """The per-sample input shape: ``input_shape`` if given, else ``(Nodes of layer 0,)``."""
    if not msg.input_shape:
        return (msg.Layers[0].Nodes,)
    shape = tuple(msg.input_shape)
    if len(shape) != 3 or not all(1 <= n <= MAX_DIM for n in shape):
        raise r.fail(f"an image network needs input_shape (C, H, W) of positive sizes, "
                     f"got {shape}")
    if math.prod(shape) != msg.Layers[0].Nodes:
        raise r.fail(f"input_shape {shape} has {math.prod(shape)} values but layer 0 "
                     f"declares {msg.Layers[0].Nodes} nodes")
    return shape


def check_output(r, layer, spec, out: tuple, where: str) -> None:
    """The declared ``Nodes`` (and ``output_shape`` of non-dense layers) against the built shape."""
    if (spec.kind or "dense") != "dense" and tuple(spec.output_shape) != out:
        raise r.fail(f"{where}: declares output_shape {tuple(spec.output_shape)}, "
                     f"but its settings give {out}")
    if math.prod(out) != spec.Nodes:
        raise r.fail(f"{where}: declares {spec.Nodes} nodes for output shape {out}")
