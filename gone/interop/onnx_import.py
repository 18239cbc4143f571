"""ONNX import: ``from_onnx(path)`` -> a layered :class:`~gone.Network`.

gone reads a chain of operators from the one graph input to the one graph
output: ``Gemm`` or ``MatMul`` (+ ``Add`` for the bias) -> Dense, ``Conv``
(+ ``Add``) -> Conv2D, ``MaxPool`` -> MaxPool2D, ``Flatten`` or a
``Reshape`` to ``(batch, -1)`` -> Flatten, and an activation right after a
Dense or Conv2D: Relu, Sigmoid, Tanh, Softmax, LeakyRelu, Elu, Softsign, Atan,
Gelu (tanh form), SiLU written as ``Mul(z, Sigmoid(z))`` (torch.onnx), and the
``ai.gone`` functions gone's exporter writes.
Identity and Dropout (inference) pass through. Anything else, or a graph that
branches, is refused with :class:`~gone.errors.GoneFormatError` naming the node
and its operator; a file that is not ONNX is refused the same way, never with a
protobuf exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..errors import GoneError, GoneFormatError, require
from ..nn import activations as _act
from ..nn.layers.conv import Conv2D
from ..nn.layers.dense import Dense
from ..nn.layers.pool import Flatten, MaxPool2D
from ..nn.network import Network
from ._onnx_ops import COMPOSED, DOMAIN, FLOAT64_COMPOSED, NATIVE

# ONNX operator -> gone activation name (params read from the node's attributes)
_ACTIVATIONS = {op: name for name, (op, _) in NATIVE.items() if op != "Identity"}
_ACT_DEFAULTS = {"LeakyRelu": {"alpha": 0.01}, "Elu": {"alpha": 1.0}}
_FUNCTIONS = {fname: (name, param)
              for name, (fname, param) in [*COMPOSED.items(), *FLOAT64_COMPOSED.items()]}
_PASS = {"Identity", "Dropout"}


@dataclass
class _Layer:
    kind: str                     # "dense", "conv2d", "maxpool2d", "flatten"
    node: str                     # the ONNX node it came from, for messages
    config: dict = field(default_factory=dict)
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    activated: bool = False


def from_onnx(source):
    """A Network from an ONNX file path, its bytes, or an ``onnx.ModelProto``.

    The network's dtype is the model input's (float32 or float64). Raises
    :class:`GoneFormatError` for unreadable files and unsupported operators.
    """
    onnx = require("onnx", "onnx")
    model, where = _load(onnx, source)
    return _Reader(onnx, model, where).network()


def _load(onnx, source):
    if isinstance(source, onnx.ModelProto):
        model, where = source, "<model>"
    else:
        if isinstance(source, (bytes, bytearray)):
            data, where = bytes(source), "<bytes>"
        else:
            where = str(source)
            try:
                with open(source, "rb") as f:
                    data = f.read()
            except OSError as exc:
                raise GoneFormatError(f"{where}: cannot read: {exc.strerror or exc}") from None
        try:
            model = onnx.load_model_from_string(data)
        except Exception as exc:  # protobuf's DecodeError and friends
            raise GoneFormatError(f"{where}: not an ONNX model ({type(exc).__name__}: "
                                  f"{exc})") from None
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx.checker.ValidationError, or a C++ error for odd input
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GoneFormatError(f"{where}: not a valid ONNX model: {first}") from None
    return model, where


class _Reader:
    """Walks the graph's nodes in order, following the one data tensor."""

    def __init__(self, onnx, model, where: str):
        self.onnx, self.model, self.where = onnx, model, where
        graph = model.graph
        self.consts = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
        data_inputs = [i for i in graph.input if i.name not in self.consts]
        if len(data_inputs) != 1 or len(graph.output) != 1:
            raise self.fail(f"gone reads models with one input and one output, this one has "
                            f"{len(data_inputs)} inputs and {len(graph.output)} outputs")
        self.input = data_inputs[0]
        self.output = graph.output[0].name
        self.dtype, self.shape = self._input_type(self.input)
        self.layers: list[_Layer] = []

    def fail(self, message: str, node=None) -> GoneFormatError:
        at = f"node {node.name or node.output[0]!r} ({node.op_type}): " if node is not None else ""
        return GoneFormatError(f"{self.where}: {at}{message}")

    def _input_type(self, value):
        t = value.type.tensor_type
        dtypes = {self.onnx.TensorProto.FLOAT: "float32", self.onnx.TensorProto.DOUBLE: "float64"}
        if t.elem_type not in dtypes:
            raise self.fail(f"input {value.name!r} has element type "
                            f"{self.onnx.TensorProto.DataType.Name(t.elem_type)}; gone reads "
                            f"float (float32) and double (float64) models")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        if len(dims) not in (2, 4) or any(d is None or d < 1 for d in dims[1:]):
            raise self.fail(f"input {value.name!r} must be (batch, features) or "
                            f"(batch, C, H, W) with known sizes after the batch, got {dims}")
        return dtypes[t.elem_type], tuple(dims[1:])

    # --- the walk -------------------------------------------------------------
    def network(self):
        cur, before, prev = self.input.name, None, None
        for node in self.model.graph.node:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                self.consts[node.output[0]] = self._constant(node)
                continue
            data = [i for i in node.input if i and i not in self.consts]
            if self._is_silu(node, prev, before, cur):
                self.layers[-1].config["activation"] = ("swish", {"beta": 1.0})
            elif data != [cur]:
                raise self.fail(f"reads {data or 'only constants'} but gone follows one chain of "
                                f"operators from the input (current tensor {cur!r}); branching "
                                f"graphs are not supported", node)
            else:
                self._node(node, cur)
            before, prev, cur = cur, node, node.output[0]
        if cur != self.output:
            raise self.fail(f"the chain of operators ends at {cur!r}, not at the graph "
                            f"output {self.output!r}")
        return self._build()

    def _is_silu(self, node, prev, before: str | None, cur: str) -> bool:
        """``Mul(z, Sigmoid(z))`` right after a layer: SiLU as torch.onnx writes it (gone's
        swish with beta 1). The Sigmoid already became the layer's activation."""
        return (node.op_type == "Mul" and node.domain in ("", "ai.onnx") and prev is not None
                and prev.op_type == "Sigmoid" and sorted(node.input) == sorted([before, cur])
                and bool(self.layers) and self.layers[-1].config.get("activation", ("",))[0]
                == "sigmoid")

    def _constant(self, node):
        attr = node.attribute[0] if node.attribute else None
        if attr is None or attr.name != "value":
            raise self.fail("only Constant nodes with a tensor 'value' are supported", node)
        return self.onnx.numpy_helper.to_array(attr.t)

    def _attrs(self, node) -> dict:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def _node(self, node, cur: str) -> None:
        op = node.op_type
        if node.domain == DOMAIN and op in _FUNCTIONS:
            name, param = _FUNCTIONS[op]
            params = {} if param is None else {param: self._scalar_input(node, 1)}
            return self._activate(node, name, params)
        if node.domain not in ("", "ai.onnx"):
            raise self.fail(f"operator {node.domain}.{op} is not supported", node)
        if op in _PASS:
            return None
        if op in _ACTIVATIONS or op == "Gelu":
            return self._activation_node(node)
        handler = getattr(self, "_op_" + op, None)
        if handler is None:
            raise self.fail(f"operator {op} is not supported; gone reads Gemm, MatMul, Add, "
                            f"Conv, MaxPool, Flatten, Reshape, Identity, Dropout and the "
                            f"activations {', '.join(sorted(_ACTIVATIONS))}, Gelu", node)
        return handler(node)

    def _scalar_input(self, node, k: int) -> float:
        value = self._const_input(node, k)
        if value.size != 1:
            raise self.fail(f"input {k} must be one number, got shape {value.shape}", node)
        value = value.reshape(-1)[0]
        # a float32 parameter: the shortest decimal that is the same float32 (see below)
        return float(str(value)) if value.dtype == np.float32 else float(value)

    def _const_input(self, node, k: int) -> np.ndarray:
        if len(node.input) <= k or node.input[k] not in self.consts:
            raise self.fail(f"input {k} must be a constant (an initializer)", node)
        return self.consts[node.input[k]]

    # --- layers ---------------------------------------------------------------
    def _op_Gemm(self, node):
        a = self._attrs(node)
        if a.get("transA", 0) or node.input[0] in self.consts:
            raise self.fail("the data must be input A, untransposed", node)
        w = self._const_input(node, 1)
        w = (w if a.get("transB", 0) else w.T) * a.get("alpha", 1.0)
        layer = _Layer("dense", node.name, weight=w)
        if len(node.input) > 2 and node.input[2]:
            layer.bias = self._vector(self._const_input(node, 2) * a.get("beta", 1.0),
                                      w.shape[0], node)
        self.layers.append(layer)

    def _op_MatMul(self, node):
        w = self._const_input(node, 1)
        if w.ndim != 2:
            raise self.fail(f"the weight must be a matrix, got shape {w.shape}", node)
        self.layers.append(_Layer("dense", node.name, weight=w.T))

    def _op_Add(self, node):
        last = self.layers[-1] if self.layers else None
        if last is None or last.kind not in ("dense", "conv2d") or last.bias is not None \
                or last.activated:
            raise self.fail("Add is read only as the bias right after MatMul, Gemm or Conv", node)
        k = 1 if node.input[0] not in self.consts else 0
        b = self.consts[node.input[k]]
        if last.kind == "conv2d":
            if b.ndim < 3 or b.shape[-2:] != (1, 1):
                raise self.fail(f"a Conv's bias must be per channel, (F, 1, 1) or "
                                f"(1, F, 1, 1), got shape {b.shape}", node)
            b = b.reshape(-1)
        last.bias = self._vector(b, last.weight.shape[0], node)

    def _vector(self, b: np.ndarray, n: int, node) -> np.ndarray:
        if b.size == 1:
            return np.full(n, b.reshape(()))
        if b.size != n or b.shape[-1] != n:
            raise self.fail(f"the bias must have {n} values, got shape {b.shape}", node)
        return b.reshape(n)

    def _op_Conv(self, node):
        a, w = self._attrs(node), self._const_input(node, 1)
        if w.ndim != 4:
            raise self.fail(f"gone reads 2-D convolutions, weight shape {w.shape}", node)
        kh, kw = w.shape[2:]
        strides = a.get("strides", [1, 1])
        if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])) \
                or strides[0] != strides[1]:
            raise self.fail(f"gone's Conv2D has group 1, dilation 1 and one stride, got "
                            f"group={a.get('group', 1)} dilations={a.get('dilations')} "
                            f"strides={strides}", node)
        padding = self._conv_padding(node, a, kh, kw, strides[0])
        layer = _Layer("conv2d", node.name, weight=w.reshape(w.shape[0], -1),
                       config={"filters": w.shape[0], "kernel": (kh, kw), "stride": strides[0],
                               "padding": padding})
        if len(node.input) > 2 and node.input[2]:
            layer.bias = self._vector(self._const_input(node, 2), w.shape[0], node)
        self.layers.append(layer)

    def _conv_padding(self, node, a: dict, kh: int, kw: int, stride: int):
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        odd = kh % 2 == 1 and kw % 2 == 1
        if auto == "VALID":
            return 0
        if auto in ("SAME_UPPER", "SAME_LOWER") and odd and stride == 1:
            return "same"
        pads = a.get("pads", [0, 0, 0, 0])
        if auto == "NOTSET" and pads[0] == pads[2] and pads[1] == pads[3]:
            if pads[0] == pads[1]:
                return int(pads[0])
            if odd and (pads[0], pads[1]) == (kh // 2, kw // 2):
                return "same"
        raise self.fail(f"gone pads every side alike (or 'same' for an odd kernel), got "
                        f"auto_pad={auto} pads={pads}", node)

    def _op_MaxPool(self, node):
        a = self._attrs(node)
        k, s = a.get("kernel_shape", []), a.get("strides", [1, 1])
        if len(k) != 2 or k[0] != k[1] or s[0] != s[1] or any(a.get("pads", [0])) \
                or any(d != 1 for d in a.get("dilations", [1, 1])) or a.get("ceil_mode", 0) \
                or len([o for o in node.output if o]) != 1:
            raise self.fail(f"gone's MaxPool2D has a square window, one stride, no padding, "
                            f"no dilation and floor rounding; got {a}", node)
        self.layers.append(_Layer("maxpool2d", node.name, config={"pool": k[0], "stride": s[0]}))

    def _op_Flatten(self, node):
        if self._attrs(node).get("axis", 1) != 1:
            raise self.fail("gone flattens from axis 1 (keeping the batch)", node)
        self.layers.append(_Layer("flatten", node.name))

    def _op_Reshape(self, node):
        shape = [int(v) for v in self._const_input(node, 1).reshape(-1)]
        if len(shape) != 2 or shape[0] not in (0, -1) and shape[1] not in (-1,):
            raise self.fail(f"gone reads a Reshape only as a flatten to (batch, -1), got "
                            f"shape {shape}", node)
        self.layers.append(_Layer("flatten", node.name))

    # --- activations ------------------------------------------------------------
    def _activation_node(self, node):
        op, a = node.op_type, self._attrs(node)
        if op == "Gelu":
            approx = a.get("approximate", b"none")
            if (approx.decode() if isinstance(approx, bytes) else approx) != "tanh":
                raise self.fail("gone's gelu is the tanh approximation; this Gelu is the "
                                "exact (erf) one", node)
            return self._activate(node, "gelu", {})
        # ONNX stores alpha as float32: 0.01 comes back as 0.009999999776; the shortest
        # decimal that rounds to the same float32 is the number the writer meant.
        params = {k: float(str(np.float32(a.get(k, v))))
                  for k, v in _ACT_DEFAULTS.get(op, {}).items()}
        if op == "Softmax":
            self._check_softmax(node, a.get("axis", -1))
        return self._activate(node, _ACTIVATIONS[op], params)

    def _check_softmax(self, node, axis: int) -> None:
        last = self.layers[-1] if self.layers else None
        want = (1, -3) if last is not None and last.kind == "conv2d" else (1, -1)
        if axis not in want:
            raise self.fail(f"gone's softmax runs over the features (channels for Conv), axis "
                            f"{want[0]}; this one uses axis {axis}", node)

    def _activate(self, node, name: str, params: dict) -> None:
        last = self.layers[-1] if self.layers else None
        if last is None or last.kind not in ("dense", "conv2d") or last.activated:
            raise self.fail("gone applies an activation only right after a Gemm/MatMul or Conv "
                            "(one per layer)", node)
        last.config["activation"] = (name, params)
        last.activated = True

    # --- the network --------------------------------------------------------------
    def _build(self):
        if not self.layers or self.layers[-1].kind != "dense":
            raise self.fail("gone networks end in a dense layer (Gemm or MatMul), this model "
                            "does not")
        props = {p.key: p.value for p in self.model.metadata_props}
        options = _json(props.get("gone.layers"), [])
        specs = [self._spec(l, options[i] if len(options) == len(self.layers) else {})
                 for i, l in enumerate(self.layers)]
        last_act = specs[-1].activation.name
        loss = props.get("gone.loss", "cross_entropy" if last_act == "softmax" else "mse")
        first = self.shape if len(self.shape) == 3 else self.shape[0]
        try:
            net = Network([first, *specs], loss=loss, dtype=self.dtype, seed=0,
                               learning_rate=float(props.get("gone.learning_rate", 0.1)),
                               init=props.get("gone.init", "xavier"),
                               metadata=_json(props.get("gone.metadata"), {}))
            for i, (layer, src) in enumerate(zip(net.layers, self.layers), 1):
                if src.weight is not None:
                    self._fill(layer, src, i)
        except GoneError as exc:
            raise GoneFormatError(f"{self.where}: {exc}") from None
        return net

    def _spec(self, layer: _Layer, options: dict):
        name, params = layer.config.pop("activation", ("identity", {}))
        try:
            act = _act.get(name, **params)
            if layer.kind == "dense":
                return Dense(layer.weight.shape[0], act, bias=layer.bias is not None,
                                  **{k: options[k] for k in ("dropout", "l2", "init")
                                     if k in options})
            if layer.kind == "conv2d":
                (kh, kw), pad = layer.config["kernel"], layer.config["padding"]
                if options.get("padding") == "same" and kh % 2 and kw % 2 and pad in (
                        "same", kh // 2 if kh == kw else None):
                    layer.config["padding"] = "same"  # what gone wrote, not its pad count
                return Conv2D(**layer.config, activation=act, bias=layer.bias is not None,
                                   init=options.get("init"))
        except GoneError as exc:
            raise GoneFormatError(f"{self.where}: node {layer.node!r}: {exc}") from None
        return MaxPool2D(**layer.config) if layer.kind == "maxpool2d" else Flatten()

    def _fill(self, layer, src: _Layer, i: int) -> None:
        if layer.weight.shape != src.weight.shape:
            raise GoneFormatError(f"{self.where}: node {src.node!r}: weight has shape "
                                  f"{src.weight.shape}, but layer {i} needs {layer.weight.shape} "
                                  f"for its input")
        layer.weight[...] = src.weight
        if src.bias is not None:
            layer.bias[...] = src.bias


def _json(text, default):
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default
