"""gone's activations as ONNX operators, and the ONNX graph builder both exporters share.

Activations ONNX has (Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softsign, Atan,
Softmax) become that operator. The others (gelu's tanh form, swish, isru,
gaussian, binary_step) become model-local ONNX functions in the ``ai.gone``
domain, built from primitive operators: onnxruntime and every other runtime
inline them, and gone's importer reads them back by name, exactly. A
function's numeric parameter (swish's beta, isru's alpha) is a second input,
an initializer of the network's dtype, so a float64 network keeps its bits.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

DOMAIN = "ai.gone"          # the domain of gone's activation functions
OPSET = 17                  # ai.onnx opset: what torch.onnx and most runtimes read

# gone name -> (ONNX operator, {gone param: ONNX attribute})
NATIVE = {
    "identity": ("Identity", {}),
    "relu": ("Relu", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": "alpha"}),
    "elu": ("Elu", {"alpha": "alpha"}),
    "softsign": ("Softsign", {}),
    "arctan": ("Atan", {}),
    "softmax": ("Softmax", {}),
}
# gone name -> (function name, parameter passed as the function's second input or None)
COMPOSED = {
    "gelu": ("GeluTanh", None),
    "swish": ("Swish", "beta"),
    "isru": ("Isru", "alpha"),
    "gaussian": ("Gaussian", None),
    "binary_step": ("BinaryStep", None),
}
# Operators onnxruntime implements for float only: ai.gone functions in float64 graphs.
# LeakyRelu too: its alpha attribute is a float32, which would round a float64 network's.
FLOAT64_COMPOSED = {"elu": ("Elu", "alpha"), "arctan": ("Atan", None),
                    "softsign": ("Softsign", None), "leaky_relu": ("LeakyRelu", "alpha")}


class GraphBuilder:
    """Collects nodes, initializers and functions for one ONNX graph of one dtype."""

    def __init__(self, dtype):
        self.onnx = __import__("onnx")
        self.dtype = np.dtype(dtype)
        self.nodes, self.initializers, self.functions = [], [], {}
        self._count = 0

    def name(self, hint: str) -> str:
        """A fresh tensor/node name ``hint_N``."""
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array, hint: str) -> str:
        """Add ``array`` (cast to the graph dtype unless integer) as an initializer."""
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype(self.dtype)
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array),
                                                                    name))
        return name

    def node(self, op: str, inputs, hint: str, domain: str = "", **attrs) -> str:
        """Add one node with one output; returns the output's name."""
        out = self.name(hint)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], name=out,
                                                     domain=domain, **attrs))
        return out

    def activation(self, act, x: str, hint: str) -> str:
        """Apply gone activation ``act`` to tensor ``x`` (softmax over the last axis)."""
        if act.name in NATIVE and not (self.dtype == np.float64 and act.name in FLOAT64_COMPOSED):
            op, attr_map = NATIVE[act.name]
            attrs = {onnx_key: float(act.params[key]) for key, onnx_key in attr_map.items()}
            if op == "Softmax":
                attrs["axis"] = -1
            return self.node(op, [x], f"{hint}_{act.name}", **attrs)
        if act.name in COMPOSED or act.name in FLOAT64_COMPOSED:
            fname, param = COMPOSED.get(act.name) or FLOAT64_COMPOSED[act.name]
            inputs = [x] if param is None else [x, self.const(act.params[param], f"{hint}_{param}")]
            self.functions.setdefault(fname, _FUNCTIONS[fname](self.onnx))
            return self.node(fname, inputs, f"{hint}_{act.name}", domain=DOMAIN)
        raise ConfigError(f"activation {act.name!r} has no ONNX form; ONNX export knows "
                          f"{', '.join(sorted(NATIVE) + sorted(COMPOSED))}")

    def model(self, graph_name: str, inputs, outputs, metadata: dict):
        """The checked ModelProto of everything added so far."""
        onnx, helper = self.onnx, self.onnx.helper
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.initializers)
        opsets = [helper.make_opsetid("", OPSET)]
        if self.functions:
            opsets.append(helper.make_opsetid(DOMAIN, 1))
        model = helper.make_model(graph, opset_imports=opsets, producer_name="gone",
                                  functions=list(self.functions.values()))
        model.ir_version = 8  # readable by onnxruntime releases back to 1.14
        helper.set_model_props(model, {k: str(v) for k, v in metadata.items()})
        onnx.checker.check_model(model, full_check=True)
        return model

    def tensor_type(self):
        return self.onnx.helper.np_dtype_to_tensor_dtype(self.dtype)


# --- the ai.gone functions ----------------------------------------------------
# Constants are float32 Constants cast to the input's type with CastLike, so one
# function serves float32 and float64 graphs.

def _function(onnx, name: str, inputs: list[str], body: list) -> object:
    helper = onnx.helper
    return helper.make_function(DOMAIN, name, inputs, ["y"], body,
                                [helper.make_opsetid("", OPSET)])


def _scalar(onnx, out: str, value: float, like: str = "x") -> list:
    # A double Constant cast to x's type: exact in float64, correctly rounded in float32.
    helper = onnx.helper
    raw = out + "_f"
    value = onnx.numpy_helper.from_array(np.array(value, dtype=np.float64), raw)
    return [helper.make_node("Constant", [], [raw], value=value),
            helper.make_node("CastLike", [raw, like], [out])]


def _gelu(onnx):
    # 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))), gone's tanh form
    n = onnx.helper.make_node
    body = (_scalar(onnx, "half", 0.5) + _scalar(onnx, "one", 1.0)
            + _scalar(onnx, "c", float(np.sqrt(2.0 / np.pi))) + _scalar(onnx, "k", 0.044715)
            + [n("Mul", ["x", "x"], ["x2"]), n("Mul", ["x2", "x"], ["x3"]),
               n("Mul", ["k", "x3"], ["kx3"]), n("Add", ["x", "kx3"], ["inner"]),
               n("Mul", ["c", "inner"], ["scaled"]), n("Tanh", ["scaled"], ["t"]),
               n("Add", ["one", "t"], ["onet"]), n("Mul", ["half", "x"], ["hx"]),
               n("Mul", ["hx", "onet"], ["y"])])
    return _function(onnx, "GeluTanh", ["x"], body)


def _swish(onnx):
    n = onnx.helper.make_node
    body = [n("Mul", ["beta", "x"], ["bx"]), n("Sigmoid", ["bx"], ["s"]),
            n("Mul", ["x", "s"], ["y"])]
    return _function(onnx, "Swish", ["x", "beta"], body)


def _isru(onnx):
    n = onnx.helper.make_node
    body = _scalar(onnx, "one", 1.0) + [
        n("Mul", ["x", "x"], ["x2"]), n("Mul", ["alpha", "x2"], ["ax2"]),
        n("Add", ["one", "ax2"], ["d"]), n("Sqrt", ["d"], ["r"]), n("Div", ["x", "r"], ["y"])]
    return _function(onnx, "Isru", ["x", "alpha"], body)


def _gaussian(onnx):
    n = onnx.helper.make_node
    body = [n("Mul", ["x", "x"], ["x2"]), n("Neg", ["x2"], ["m"]), n("Exp", ["m"], ["y"])]
    return _function(onnx, "Gaussian", ["x"], body)


def _binary_step(onnx):
    n = onnx.helper.make_node
    body = _scalar(onnx, "zero", 0.0) + [n("GreaterOrEqual", ["x", "zero"], ["b"]),
                                         n("CastLike", ["b", "x"], ["y"])]
    return _function(onnx, "BinaryStep", ["x"], body)


def _elu(onnx):
    # onnxruntime has Elu for float only; the float64 form, from primitives.
    n = onnx.helper.make_node
    body = _scalar(onnx, "zero", 0.0) + _scalar(onnx, "one", 1.0) + [
        n("Min", ["x", "zero"], ["neg"]), n("Exp", ["neg"], ["e"]), n("Sub", ["e", "one"], ["em1"]),
        n("Mul", ["alpha", "em1"], ["low"]), n("Greater", ["x", "zero"], ["pos"]),
        n("Where", ["pos", "x", "low"], ["y"])]
    return _function(onnx, "Elu", ["x", "alpha"], body)


def _softsign(onnx):
    n = onnx.helper.make_node
    body = _scalar(onnx, "one", 1.0) + [n("Abs", ["x"], ["a"]), n("Add", ["one", "a"], ["d"]),
                                        n("Div", ["x", "d"], ["y"])]
    return _function(onnx, "Softsign", ["x"], body)


def _leaky_relu(onnx):
    n = onnx.helper.make_node
    body = _scalar(onnx, "zero", 0.0) + [n("Mul", ["alpha", "x"], ["low"]),
                                         n("Greater", ["x", "zero"], ["pos"]),
                                         n("Where", ["pos", "x", "low"], ["y"])]
    return _function(onnx, "LeakyRelu", ["x", "alpha"], body)


_ATAN_TERMS = 12  # after three halvings |t| < tan(pi/16) < 0.2: 0.2**25 / 25 < 1e-18


def _atan(onnx):
    # onnxruntime has Atan for float only. atan(x) = 2 atan(x / (1 + sqrt(1 + x^2)));
    # three halvings, then the odd Taylor series by Horner. The clip keeps x^2 finite
    # (atan(1e150) is pi/2 in float64 anyway).
    n = onnx.helper.make_node
    body = _scalar(onnx, "one", 1.0) + _scalar(onnx, "lo", -1e150) + _scalar(onnx, "hi", 1e150)
    body += _scalar(onnx, "eight", 8.0) + [n("Clip", ["x", "lo", "hi"], ["y0"])]
    for i in range(3):
        y, nxt = f"y{i}", f"y{i + 1}"
        body += [n("Mul", [y, y], [f"sq{i}"]), n("Add", ["one", f"sq{i}"], [f"s{i}"]),
                 n("Sqrt", [f"s{i}"], [f"r{i}"]), n("Add", ["one", f"r{i}"], [f"d{i}"]),
                 n("Div", [y, f"d{i}"], [nxt])]
    body += [n("Mul", ["y3", "y3"], ["t"])] + _scalar(onnx, "acc0", _atan_coef(_ATAN_TERMS - 1))
    for j, k in enumerate(range(_ATAN_TERMS - 2, -1, -1)):
        body += _scalar(onnx, f"c{k}", _atan_coef(k))
        body += [n("Mul", [f"acc{j}", "t"], [f"m{j}"]), n("Add", [f"m{j}", f"c{k}"], [f"acc{j + 1}"])]
    body += [n("Mul", ["eight", "y3"], ["y8"]), n("Mul", ["y8", f"acc{_ATAN_TERMS - 1}"], ["y"])]
    return _function(onnx, "Atan", ["x"], body)


def _atan_coef(k: int) -> float:
    return (-1) ** k / (2 * k + 1)


_FUNCTIONS = {"Softsign": _softsign, "LeakyRelu": _leaky_relu, "Elu": _elu, "Atan": _atan,
              "GeluTanh": _gelu, "Swish": _swish, "Isru": _isru, "Gaussian": _gaussian,
              "BinaryStep": _binary_step}
