"""ONNX export: ``to_onnx(net, path)`` for layered networks and feed-forward graphs.

A layered :class:`~gone.Network` becomes one input ``input`` of shape
``(batch, n_in)`` or ``(batch, C, H, W)`` and one output ``output``
``(batch, n_out)``, with a dynamic batch dimension, in the network's dtype
(float32 or float64): Dense -> ``Gemm`` (weights as stored, ``transB=1``),
Conv2D -> ``Conv``, MaxPool2D -> ``MaxPool``, Flatten -> ``Flatten``, and each
activation as in :mod:`gone.interop._onnx_ops`. Dropout is an identity at
inference and is not exported as a node; training settings (loss, learning
rate, per-layer dropout/l2/init) travel in the model's metadata (``gone.*``
keys) so :func:`gone.from_onnx` rebuilds the same network.

A feed-forward :class:`~gone.GraphNetwork` becomes one ``Gemm`` per level and
activation group, over the concatenated values computed so far, then a
``Gather`` of the output neurons (float64, as the graph computes). A graph
with synapses that close a cycle is refused: its output depends on state
carried between calls, which a stateless ONNX model does not have.

ONNX import is in :mod:`gone.interop.onnx_import`.
"""

from __future__ import annotations

import json

import numpy as np

from .._atomic import write_bytes
from .._version import __version__
from ..errors import GraphError, require
from ..graph import GraphNetwork
from ._onnx_ops import GraphBuilder

__all__ = ["to_onnx"]


def to_onnx(net, path=None):
    """Export ``net`` (a Network or feed-forward GraphNetwork) as an ONNX ModelProto.

    With ``path`` the model is also written there atomically. The model passes
    ``onnx.checker.check_model(full_check=True)``. Needs the ``onnx`` extra.
    """
    require("onnx", "onnx")
    model = _graph_model(net) if isinstance(net, GraphNetwork) else _network_model(net)
    if path is not None:
        write_bytes(path, model.SerializeToString())
    return model


def _value_info(b: GraphBuilder, name: str, shape: list):
    return b.onnx.helper.make_tensor_value_info(name, b.tensor_type(), shape)


def _network_model(net):
    b = GraphBuilder(net.dtype)
    x = "input"
    for i, layer in enumerate(net.layers, 1):
        x = _LAYERS[layer.kind](b, layer, x, f"layer{i}")
    b.nodes.append(b.onnx.helper.make_node("Identity", [x], ["output"], name="output"))
    in_shape = ["batch", *(net.input_shape or (net.n_inputs,))]
    return b.model("gone_network", [_value_info(b, "input", in_shape)],
                   [_value_info(b, "output", ["batch", net.n_outputs])], _network_props(net))


def _dense(b: GraphBuilder, layer, x: str, hint: str) -> str:
    inputs = [x, b.const(layer.weight, f"{hint}_weight")]
    if layer.bias is not None:
        inputs.append(b.const(layer.bias, f"{hint}_bias"))
    z = b.node("Gemm", inputs, f"{hint}_gemm", transB=1)
    return z if layer.activation.name == "identity" else b.activation(layer.activation, z, hint)


def _conv(b: GraphBuilder, layer, x: str, hint: str) -> str:
    # gone keeps a filter as one row (C*kh*kw) in C order: exactly ONNX's (F, C, kh, kw).
    w = layer.weight.reshape(layer.filters, layer.in_shape[0], *layer.kernel)
    inputs = [x, b.const(w, f"{hint}_weight")]
    if layer.bias is not None:
        inputs.append(b.const(layer.bias, f"{hint}_bias"))
    ph, pw = layer.pads()
    z = b.node("Conv", inputs, f"{hint}_conv", kernel_shape=list(layer.kernel),
               strides=[layer.stride] * 2, pads=[ph, pw, ph, pw])
    if layer.activation.name == "identity":
        return z
    # Softmax in a Conv2D runs over filters per pixel (gone's rows are pixels), axis 1 here.
    if layer.activation.name == "softmax":
        return b.node("Softmax", [z], f"{hint}_softmax", axis=1)
    return b.activation(layer.activation, z, hint)


def _maxpool(b: GraphBuilder, layer, x: str, hint: str) -> str:
    return b.node("MaxPool", [x], f"{hint}_maxpool", kernel_shape=[layer.pool] * 2,
                  strides=[layer.stride] * 2)


def _flatten(b: GraphBuilder, layer, x: str, hint: str) -> str:
    return b.node("Flatten", [x], f"{hint}_flatten", axis=1)


_LAYERS = {"dense": _dense, "conv2d": _conv, "maxpool2d": _maxpool, "flatten": _flatten}


def _network_props(net) -> dict:
    """Training settings ONNX has no place for, as ``gone.*`` metadata (JSON values)."""
    layers = [{"dropout": l.dropout, "l2": l.l2, "init": l.init,
               **({"padding": l.padding} if l.kind == "conv2d" else {})} for l in net.layers]
    props = {"gone.version": __version__, "gone.loss": net.loss.name,
             "gone.learning_rate": repr(net.learning_rate), "gone.init": str(net.init),
             "gone.layers": json.dumps(layers)}
    try:
        props["gone.metadata"] = json.dumps(net.metadata)
    except (TypeError, ValueError):
        pass  # metadata that is not JSON stays behind, like any other non-ONNX fact
    return props


# --- graph networks ---------------------------------------------------------------

def _graph_model(graph):
    cycles = graph.cycle_closing()
    if cycles:
        shown = ", ".join(f"{s}->{n}" for n, s in cycles[:5])
        raise GraphError(f"cannot export a recurrent graph to ONNX: synapses {shown} read the "
                         f"previous step's value (state an ONNX model does not keep); only "
                         f"feed-forward graphs export")
    b = GraphBuilder(np.float64)
    parts, cols = ["input"], list(range(graph.n_inputs))
    for k, lvl in enumerate(graph._levels):
        values = parts[0] if len(parts) == 1 else b.node("Concat", parts, f"values{k}", axis=1)
        w = lvl.W[:, cols]
        # Feed-forward: nothing in this level reads a value not computed yet.
        assert np.count_nonzero(w) == np.count_nonzero(lvl.W)
        for act, lo, hi in lvl.groups:
            hint = f"level{k}_{lo}"
            z = b.node("Gemm", [values, b.const(w[lo:hi], f"{hint}_weight"),
                                b.const(lvl.b[lo:hi], f"{hint}_bias")], f"{hint}_gemm", transB=1)
            parts.append(z if act.name == "identity" else b.activation(act, z, hint))
            cols += [int(c) for c in lvl.nodes[lo:hi]]
    values = b.node("Concat", parts, "values", axis=1)
    where = np.array([cols.index(int(c)) for c in graph._out_cols], dtype=np.int64)
    b.nodes.append(b.onnx.helper.make_node("Gather", [values, b.const(where, "outputs")],
                                           ["output"], name="output", axis=1))
    props = {"gone.version": __version__, "gone.graph.inputs": json.dumps(list(graph.inputs)),
             "gone.graph.outputs": json.dumps(list(graph.outputs))}
    return b.model("gone_graph", [_value_info(b, "input", ["batch", graph.n_inputs])],
                   [_value_info(b, "output", ["batch", graph.n_outputs])], props)

