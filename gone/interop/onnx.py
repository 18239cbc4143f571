"""ONNX export: ``to_onnx(net, path)`` for layered networks and graph networks (one step).

A layered :class:`~gone.Network` becomes one input ``input`` of shape
``(batch, n_in)`` or ``(batch, C, H, W)`` and one output ``output``
``(batch, n_out)``, with a dynamic batch dimension, in the network's dtype
(float32 or float64): Dense -> ``Gemm`` (weights as stored, ``transB=1``),
Conv2D -> ``Conv``, MaxPool2D -> ``MaxPool``, Flatten -> ``Flatten``, and each
activation as in :mod:`gone.interop._onnx_ops`. Dropout is an identity at
inference and is not exported as a node; training settings (loss, learning
rate, per-layer dropout/l2/init) travel in the model's metadata (``gone.*``
keys) so :func:`gone.from_onnx` rebuilds the same network.

A :class:`~gone.GraphNetwork` becomes one step: one ``Gemm`` per level and
activation group, over the concatenated values computed so far, then a
``Gather`` of the output neurons (float64, as the graph computes). A graph
whose synapses close cycles reads the previous step's values: its model has a
second input ``state`` and a second output ``new_state``, both ``(batch,
n_neurons)`` in the graph's neuron order; feed ``new_state`` back as the next
step's ``state`` (zeros at the start), as ``GraphNetwork.step`` does.

ONNX import is in :mod:`gone.interop.onnx_import`.
"""

from __future__ import annotations

import json

import numpy as np

from .._base.atomic import write_bytes
from .._version import __version__
from ..errors import require
from ..graph import GraphNetwork
from ._onnx_ops import GraphBuilder

__all__ = ["to_onnx"]


def to_onnx(net, path=None):
    """Export ``net`` (a Network, or a GraphNetwork as one step) as an ONNX ModelProto.

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
    """One step of ``graph``: ``input`` -> ``output`` (and, when synapses close cycles,
    ``state`` -> ``new_state``, the neurons' values ``(batch, n_neurons)``)."""
    recurrent = bool(graph.cycle_closing())
    b = GraphBuilder(np.float64)
    n_in, n = graph.n_inputs, graph.n_neurons
    parts = ["input", "state"] if recurrent else ["input"]
    # where each node's latest value sits in the concatenated parts: the inputs, then
    # (recurrent) the previous state, then each group's new values as they are computed
    where = {c: c for c in range(n_in + (n if recurrent else 0))}
    width = len(where)
    for k, (nodes, W, bias, groups) in enumerate(graph.dense_levels()):
        values = parts[0] if len(parts) == 1 else b.node("Concat", parts, f"values{k}", axis=1)
        w = np.zeros((len(nodes), width))
        for c in np.flatnonzero(np.any(W != 0, axis=0)):
            w[:, where[int(c)]] = W[:, c]  # every source read is already in `where`
        for act, lo, hi in groups:
            hint = f"level{k}_{lo}"
            z = b.node("Gemm", [values, b.const(w[lo:hi], f"{hint}_weight"),
                                b.const(bias[lo:hi], f"{hint}_bias")], f"{hint}_gemm", transB=1)
            parts.append(z if act.name == "identity" else b.activation(act, z, hint))
        for j, c in enumerate(nodes):
            where[int(c)] = width + j
        width += len(nodes)
    values = b.node("Concat", parts, "values", axis=1)
    _gather(b, values, [where[int(c)] for c in graph.output_columns], "output")
    inputs = [_value_info(b, "input", ["batch", n_in])]
    outputs = [_value_info(b, "output", ["batch", graph.n_outputs])]
    if recurrent:
        _gather(b, values, [where[n_in + i] for i in range(n)], "new_state")
        inputs.append(_value_info(b, "state", ["batch", n]))
        outputs.append(_value_info(b, "new_state", ["batch", n]))
    props = {"gone.version": __version__, "gone.graph.inputs": json.dumps(list(graph.inputs)),
             "gone.graph.outputs": json.dumps(list(graph.outputs)),
             "gone.graph.neurons": json.dumps(list(graph.neuron_names))}
    return b.model("gone_graph", inputs, outputs, props)


def _gather(b: GraphBuilder, values: str, columns: list, name: str) -> None:
    index = b.const(np.array(columns, dtype=np.int64), f"{name}_columns")
    b.nodes.append(b.onnx.helper.make_node("Gather", [values, index], [name], name=name, axis=1))
