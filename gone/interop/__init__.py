"""Networks in and out of other tools: ONNX files and PyTorch modules.

``to_onnx(net, path)`` / ``from_onnx(path)`` need the ``onnx`` extra;
``to_torch(net)`` / ``from_torch(module)`` need the ``torch`` extra. Each
imports its third-party library only when called.
"""

from .onnx import to_onnx
from .onnx_import import from_onnx
from .torch import from_torch, to_torch

__all__ = ["from_onnx", "from_torch", "to_onnx", "to_torch"]
