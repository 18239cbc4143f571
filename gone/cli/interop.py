"""``gone export NET.gone NET.onnx`` and ``gone import NET.onnx NET.gone``.

Export reads a layered network (``.gone``) or a graph (``.json``
or a graph ``.gone``) and writes ONNX; import reads an ONNX model of the
operators gone knows (see :mod:`gone.interop.onnx_import`) and writes a
``.gone`` network. Both need the ``onnx`` extra.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GoneFormatError
from ..format import graph as graph_io
from ..format import network as io
from ..interop import from_onnx, to_onnx
from .args import ExitCode, output_file


def add_parser(sub) -> None:
    """Register ``gone export`` and ``gone import`` on the subcommand parser ``sub``."""
    p = sub.add_parser("export", help="write a network as an ONNX model",
                       description="Write a .gone network (or one step of a graph, .json or "
                       ".gone) as an ONNX model that onnxruntime, PyTorch and other tools read. "
                       "The batch dimension is dynamic; the dtype is the network's.")
    p.add_argument("source", help="a .gone network, or a graph (.json or .gone)")
    p.add_argument("target", type=output_file(".onnx"), help="the ONNX file to write (.onnx)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("import", help="read an ONNX model into a .gone network",
                       description="Read an ONNX model made of Gemm/MatMul(+Add), Conv, MaxPool, "
                       "Flatten/Reshape and activations (Relu, Sigmoid, Tanh, Softmax, LeakyRelu, "
                       "Elu, ...) and write it as a .gone network.")
    p.add_argument("source", help="an .onnx file")
    p.add_argument("target", type=output_file(".gone"), help="the .gone file to write")
    p.set_defaults(func=cmd_import)


def _load_any(path: str):
    """A layered network from ``path``, or else a graph (for ``.json`` and graph ``.gone`` files)."""
    if Path(path).suffix.lower() == ".json":
        return graph_io.load(path)
    try:
        return io.load(path)
    except GoneFormatError as first:
        try:
            return graph_io.load(path)
        except GoneFormatError:
            raise first from None


def cmd_export(args) -> int:
    net = _load_any(args.source)
    model = to_onnx(net, args.target)
    ins = ", ".join(f"{v.name} {_shape(v)}" for v in model.graph.input)
    outs = ", ".join(f"{v.name} {_shape(v)}" for v in model.graph.output)
    print(f"wrote {args.target}: ONNX opset {model.opset_import[0].version}, "
          f"{len(model.graph.node)} nodes, {ins} -> {outs}")
    return ExitCode.OK


def cmd_import(args) -> int:
    net = from_onnx(args.source)
    io.save(net, args.target)
    print(f"wrote {args.target}: {net!r}")
    return ExitCode.OK


def _shape(value) -> str:
    dims = value.type.tensor_type.shape.dim
    return "(" + ", ".join(d.dim_param or str(d.dim_value) for d in dims) + ")"
