"""The ``.gone`` fields of image networks (Conv2D, MaxPool2D, Flatten); used by :mod:`gone.io`.

An image network stores its per-sample input shape in ``input_shape``; each
image layer stores its ``kind``, its settings in ``kind_params`` and its
per-sample ``output_shape``, with ``Nodes`` = the product of that shape. A
layer with parameters keeps its weight matrix in ``Weights[i]`` (a Conv2D's
is ``(filters, C*kh*kw)``) and its bias as ``(n, 1)`` in ``Biases[i]``;
a layer without parameters has empty matrices there. The Go library cannot
run such a file (``go_compatible`` is false for it).
"""

from __future__ import annotations

import math

import numpy as np

from ..nn.layers.conv import Conv2D
from ..errors import ConfigError
from ..nn.layers.dense import Dense
from ..nn.layers.pool import Flatten, MaxPool2D, _ImageLayer

MAX_DIM = 1 << 24
KINDS = {"conv2d": Conv2D, "maxpool2d": MaxPool2D, "flatten": Flatten}


def from_kind(kind: str, params: dict, activation, use_bias: bool) -> _ImageLayer:
    """An unbuilt image layer from its ``.gone`` description; raises ConfigError."""
    def num(key):
        if key not in params:
            raise ConfigError(f"{kind} layer lacks the parameter {key!r}")
        return params[key]

    if kind == "conv2d":
        pad = num("padding")
        return Conv2D(num("filters"), (num("kernel_h"), num("kernel_w")), stride=num("stride"),
                      padding="same" if pad == -1 else pad, activation=activation, bias=use_bias)
    if kind == "maxpool2d":
        return MaxPool2D(num("pool"), num("stride"))
    return Flatten()


def is_image(msg) -> bool:
    return bool(msg.input_shape) or any(l.kind not in ("", "dense") for l in msg.Layers)


def layer_fields(layer, pb_layer) -> None:
    """Fill ``kind_params`` and ``output_shape`` of an image layer's message."""
    for key, value in layer.kind_params().items():
        pb_layer.kind_params[key] = float(value)
    pb_layer.output_shape.extend(layer.output_shape)


def matrices(layer, pb) -> tuple:
    """``(Weights, Biases)`` matrices of an image network's layer."""
    if not layer.params:
        return pb.Matrix(), pb.Matrix()
    w = layer.weight
    b = layer.bias if layer.bias is not None else np.zeros(w.shape[0])
    return (pb.Matrix(Rows=w.shape[0], Columns=w.shape[1], Data=w.ravel().astype(np.float64)),
            pb.Matrix(Rows=b.shape[0], Columns=1, Data=b.astype(np.float64)))


def read_layer(r, spec, where: str, activation):
    """An unbuilt image layer from a message layer; the reader's error on nonsense."""
    for key, value in spec.kind_params.items():
        if not math.isfinite(value):
            raise r.fail(f"{where}: {spec.kind} parameter {key} is {value}, not a finite number")
    if spec.kind not in KINDS:
        return None
    try:
        return from_kind(spec.kind, dict(spec.kind_params), activation, not spec.no_bias)
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:
        raise r.fail(f"{where}: {exc}") from None


def read_params(r, msg, specs) -> tuple[tuple, list]:
    """Check every declared shape layer by layer before anything is allocated.

    Returns the input shape and each layer's parameter arrays (as in ``params``).
    """
    shape = tuple(msg.input_shape)
    if len(shape) != 3 or not all(1 <= n <= MAX_DIM for n in shape):
        raise r.fail(f"an image network needs input_shape (C, H, W) of positive sizes, "
                     f"got {shape}")
    if math.prod(shape) != msg.Layers[0].Nodes:
        raise r.fail(f"input_shape {shape} has {math.prod(shape)} values but layer 0 "
                     f"declares {msg.Layers[0].Nodes} nodes")
    params = []
    for i, (layer, spec) in enumerate(zip(specs, msg.Layers[1:])):
        where = f"layer {i + 1}"
        try:
            if isinstance(layer, Dense):
                if len(shape) != 1:
                    raise ConfigError(f"a dense layer needs flat input, got shape {shape}")
                shapes, out = layer.param_shapes(shape[0]), (layer.units,)
            else:
                shapes, out = layer.param_shapes(shape), layer.out_shape(shape)
        except ConfigError as exc:
            raise r.fail(f"{where}: {exc}") from None
        if not isinstance(layer, Dense) and tuple(spec.output_shape) != out:
            raise r.fail(f"{where}: declares output_shape {tuple(spec.output_shape)}, "
                         f"but its settings give {out}")
        if math.prod(out) != spec.Nodes:
            raise r.fail(f"{where}: declares {spec.Nodes} nodes for output shape {out}")
        params.append(_layer_params(r, msg, i, shapes, layer.use_bias))
        shape = out
    return tuple(msg.input_shape), params


def _layer_params(r, msg, i: int, shapes: list, use_bias: bool) -> list[np.ndarray]:
    wm, bm = msg.Weights[i], msg.Biases[i]
    if not shapes:
        if wm.Rows or wm.Columns or wm.Data or bm.Rows or bm.Columns or bm.Data:
            raise r.fail(f"Weights[{i}]/Biases[{i}] must be empty: layer {i + 1} has no "
                         "parameters")
        return []
    n_out, n_in = shapes[0]
    w = r.matrix(wm, n_out, n_in, f"Weights[{i}]")
    b = r.matrix(bm, n_out, 1, f"Biases[{i}]").reshape(n_out)
    if not use_bias and np.any(b):
        raise r.fail(f"Biases[{i}] is non-zero but layer {i + 1} has no bias (no_bias is set)")
    return [w, b] if use_bias else [w]


def assign(net, params: list) -> None:
    for layer, values in zip(net.layers, params):
        for p, v in zip(layer.params, values):
            p[...] = v
