"""Networks in and out of other tools: ONNX files and PyTorch modules.

``to_onnx(net, path)`` / ``from_onnx(path)`` need the ``onnx`` extra;
``to_torch(net)`` / ``from_torch(module)`` need the ``torch`` extra. Each
imports its third-party library only when called.
"""

from .._base import persistence
from .onnx import to_onnx
from .onnx_import import from_onnx
from .torch import from_torch, to_torch

# net.to_onnx(path) and net.to_torch() call these: the core never imports this layer.
persistence.register_exporter("onnx", to_onnx)
persistence.register_exporter("torch", to_torch)

__all__ = ["from_onnx", "from_torch", "to_onnx", "to_torch"]
