"""torch modules for gone's activations that torch has no class for.

Imported only by :mod:`gone.interop.torch`, after torch is known to be there;
at module level so ``torch.save(module)`` can pickle them by reference.
"""

from __future__ import annotations

import torch


class GoneActivation(torch.nn.Module):
    """gone's activation ``name`` with ``params`` (see :mod:`gone.activations`):
    swish (any beta), isru, arctan, gaussian, binary_step."""

    def __init__(self, name: str, params: dict):
        super().__init__()
        self.name, self.params = name, dict(params)

    def forward(self, z):
        p = self.params
        if self.name == "swish":
            return z * torch.sigmoid(p["beta"] * z)
        if self.name == "isru":
            return z / torch.sqrt(1 + p["alpha"] * z * z)
        if self.name == "arctan":
            return torch.atan(z)
        if self.name == "gaussian":
            return torch.exp(-(z * z))
        return (z >= 0).to(z.dtype)  # binary_step

    def extra_repr(self) -> str:
        return f"{self.name!r}, {self.params}"
