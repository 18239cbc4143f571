"""PyTorch in and out: ``from_torch(module)`` and ``to_torch(net)``.

``from_torch`` reads a ``torch.nn.Sequential`` of Linear, Conv2d, MaxPool2d,
Flatten, Dropout, Identity and activation modules (ReLU, Sigmoid, Tanh,
Softmax, LeakyReLU, ELU, GELU(approximate="tanh"), SiLU, Softsign); an
activation follows the Linear or Conv2d it belongs to. A bare ``state_dict``
has no architecture, so it comes with one: ``from_torch(state_dict,
layers=[...])`` with gone layer specs (the first entry the input size or
image shape), and the parameters are read in order (``weight``, then
``bias``, per Dense or Conv2D layer).

``to_torch(net)`` builds the matching ``nn.Sequential`` (float32 or float64 as
the network), with gone's activations that torch lacks (arctan, isru,
gaussian, binary_step, swish with beta != 1) as small modules defined here.
Both directions copy the parameters: the two objects are independent.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError, require
from ..nn import activations as _act
from ..nn.layers.conv import Conv2D
from ..nn.layers.dense import Dense
from ..nn.layers.pool import Flatten, MaxPool2D
from ..nn.network import Network

__all__ = ["from_torch", "to_torch"]


def _torch():
    return require("torch", "torch")


# --- gone -> torch ------------------------------------------------------------

def _module(act, torch, where: str, channels_axis: int = -1):
    """The torch module for gone activation ``act`` (None for identity)."""
    nn, name, p = torch.nn, act.name, act.params
    simple = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softsign": nn.Softsign}
    if name == "identity":
        return None
    if name in simple:
        return simple[name]()
    if name == "leaky_relu":
        return nn.LeakyReLU(p["alpha"])
    if name == "elu":
        return nn.ELU(p["alpha"])
    if name == "gelu":
        return nn.GELU(approximate="tanh")
    if name == "swish" and p["beta"] == 1.0:
        return nn.SiLU()
    if name == "softmax":
        return nn.Softmax(dim=channels_axis)
    if name in ("swish", "isru", "arctan", "gaussian", "binary_step"):
        return _elementwise(torch)(name, p)
    raise ConfigError(f"{where}: activation {name!r} has no PyTorch form")


def _elementwise(torch):
    """``GoneActivation``, the torch module for activations torch has no class for."""
    from ._torch_modules import GoneActivation

    return GoneActivation


def to_torch(net):
    """``net`` (a layered Network) as a ``torch.nn.Sequential`` of the same dtype.

    The module takes ``(batch, n_in)`` or ``(batch, C, H, W)`` like
    ``net.predict`` and gives ``(batch, n_out)``.
    """
    torch = _torch()
    nn, dtype = torch.nn, {"float32": torch.float32, "float64": torch.float64}[net.dtype.name]
    modules = []
    for i, layer in enumerate(net.layers, 1):
        where = f"layer {i}"
        if layer.kind == "dense":
            m = nn.Linear(layer.n_in, layer.units, bias=layer.bias is not None, dtype=dtype)
            _copy_into(m, layer.weight, layer.bias, torch)
            modules.append(m)
        elif layer.kind == "conv2d":
            c = layer.in_shape[0]
            ph, pw = layer.pads()
            m = nn.Conv2d(c, layer.filters, layer.kernel, stride=layer.stride, padding=(ph, pw),
                          bias=layer.bias is not None, dtype=dtype)
            _copy_into(m, layer.weight.reshape(layer.filters, c, *layer.kernel), layer.bias, torch)
            modules.append(m)
        elif layer.kind == "maxpool2d":
            modules.append(nn.MaxPool2d(layer.pool, stride=layer.stride))
        elif layer.kind == "flatten":
            modules.append(nn.Flatten())
        if layer.kind in ("dense", "conv2d"):
            act = _module(layer.activation, torch, where, 1 if layer.kind == "conv2d" else -1)
            modules += [act] if act is not None else []
    return nn.Sequential(*modules)


def _copy_into(module, weight, bias, torch) -> None:
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        if bias is not None:
            module.bias.copy_(torch.from_numpy(np.ascontiguousarray(bias)))


# --- torch -> gone ------------------------------------------------------------

def _activation_of(module, torch, where: str):
    """``(name, params)`` of a torch activation module, or None if it is not one."""
    nn = torch.nn
    simple = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Softsign: "softsign"}
    for cls, name in simple.items():
        if type(module) is cls:
            return name, {}
    if type(module) is nn.LeakyReLU:
        return "leaky_relu", {"alpha": float(module.negative_slope)}
    if type(module) is nn.ELU:
        return "elu", {"alpha": float(module.alpha)}
    if type(module) is nn.SiLU:
        return "swish", {"beta": 1.0}
    if type(module) is nn.GELU:
        if module.approximate != "tanh":
            raise ConfigError(f"{where}: gone's gelu is the tanh approximation; use "
                              f"nn.GELU(approximate='tanh'), not the exact (erf) GELU")
        return "gelu", {}
    if type(module) is nn.Softmax:
        return "softmax", {}
    if type(module).__name__ == "GoneActivation" and type(module) is _elementwise(torch):
        return module.name, dict(module.params)
    return None


def from_torch(module, *, layers=None, input_shape=None, loss=None):
    """A gone Network from a torch ``nn.Sequential`` (or a ``state_dict`` with ``layers``).

    ``input_shape``: ``(C, H, W)`` for a module that starts with Conv2d (a
    Linear first gives the input size itself). The dtype is the parameters'
    (float32 or float64). ``loss`` defaults to cross-entropy after a softmax,
    else mse.
    """
    torch = _torch()
    if isinstance(module, dict):
        if layers is None:
            raise ConfigError("a state_dict has no architecture: pass layers=[input, Dense(...), "
                              "...] describing it")
        return _from_state_dict(module, layers, loss)
    if not isinstance(module, torch.nn.Sequential):
        raise ConfigError(f"from_torch reads a torch.nn.Sequential (or a state_dict with "
                          f"layers=), got {type(module).__name__}")
    specs, params = _read_sequential(module, torch)
    first = _first_entry(module, input_shape, specs)
    dtype = _dtype_of(params)
    if loss is None:
        loss = "cross_entropy" if specs[-1].activation.name == "softmax" else "mse"
    net = Network([first, *specs], loss=loss, dtype=dtype, seed=0)
    _fill(net, params)
    return net


def _read_sequential(module, torch):
    """gone layer specs and ``[(weight, bias)]`` per parameterised layer."""
    nn, specs, params = torch.nn, [], []
    for k, m in enumerate(module):
        where = f"module {k} ({type(m).__name__})"
        act = _activation_of(m, torch, where)
        if act is not None:
            _attach(specs, act, where)
        elif isinstance(m, nn.Linear):
            specs.append(Dense(m.out_features, bias=m.bias is not None))
            params.append(_tensors(m))
        elif isinstance(m, nn.Conv2d):
            specs.append(Conv2D(m.out_channels, m.kernel_size, stride=_one(m.stride, where),
                                     padding=_padding(m, where), bias=m.bias is not None))
            params.append(_tensors(m))
        elif isinstance(m, nn.MaxPool2d):
            specs.append(_maxpool(m, where))
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise ConfigError(f"{where}: gone flattens from dim 1 to the end")
            specs.append(Flatten())
        elif not isinstance(m, (nn.Dropout, nn.Identity)):
            raise ConfigError(f"{where}: gone reads Linear, Conv2d, MaxPool2d, Flatten, "
                              f"Dropout, Identity and activation modules, not {type(m).__name__}")
    if not specs or not isinstance(specs[-1], Dense):
        raise ConfigError("gone networks end in a dense layer: the Sequential must end in a "
                          "Linear (and optionally its activation)")
    return specs, params


def _attach(specs, act, where: str) -> None:
    last = specs[-1] if specs else None
    if not isinstance(last, (Dense, Conv2D)) or last.activation.name != "identity":
        raise ConfigError(f"{where}: gone applies an activation only right after a Linear or "
                          f"Conv2d (one per layer)")
    last.activation = _act.get(act[0], **act[1])


def _one(pair, where: str) -> int:
    pair = (pair, pair) if isinstance(pair, int) else tuple(pair)
    if pair[0] != pair[1]:
        raise ConfigError(f"{where}: gone uses one value for both directions, got {pair}")
    return int(pair[0])


def _padding(m, where: str):
    if m.padding == "same":
        return "same"
    if m.padding == "valid":
        return 0
    if m.padding_mode != "zeros" or m.groups != 1 or tuple(m.dilation) != (1, 1):
        raise ConfigError(f"{where}: gone's Conv2D has zero padding, groups=1 and dilation 1")
    ph, pw = m.padding
    kh, kw = m.kernel_size
    if ph == pw:
        return int(ph)
    if kh % 2 and kw % 2 and (ph, pw) == (kh // 2, kw // 2):
        return "same"
    raise ConfigError(f"{where}: gone pads both directions alike, got padding {m.padding}")


def _maxpool(m, where: str):
    k, s = _one(m.kernel_size, where), _one(m.stride or m.kernel_size, where)
    if _one(m.padding, where) or _one(m.dilation, where) != 1 or m.ceil_mode or m.return_indices:
        raise ConfigError(f"{where}: gone's MaxPool2D has no padding, dilation 1, floor rounding")
    return MaxPool2D(k, stride=s)


def _tensors(m):
    w = m.weight.detach().cpu().numpy()
    b = None if m.bias is None else m.bias.detach().cpu().numpy()
    return w.reshape(w.shape[0], -1), b


def _first_entry(module, input_shape, specs):
    if input_shape is not None:
        return tuple(input_shape) if np.ndim(input_shape) else int(input_shape)
    first = next((m for m in module if hasattr(m, "weight")), None)
    if first is not None and hasattr(first, "in_features") and specs[0].__class__.__name__ == "Dense":
        return int(first.in_features)
    raise ConfigError("this module starts with an image layer: pass input_shape=(C, H, W)")


def _dtype_of(params) -> str:
    kinds = {w.dtype.name for w, _ in params}
    if len(kinds) != 1 or not kinds <= {"float32", "float64"}:
        raise ConfigError(f"parameters must all be float32 or all float64, got {sorted(kinds)}")
    return kinds.pop()


def _fill(net, params) -> None:
    layers = [l for l in net.layers if l.kind in ("dense", "conv2d")]
    for i, (layer, (w, b)) in enumerate(zip(layers, params), 1):
        if layer.weight.shape != w.shape:
            raise ShapeError(f"layer {i}: weight has shape {w.shape}, the network needs "
                             f"{layer.weight.shape}")
        layer.weight[...] = w
        if b is not None:
            layer.bias[...] = b


def _from_state_dict(state, layers, loss):
    """Parameters from ``state`` (name -> tensor, in order) into the network ``layers`` describes."""
    tensors = [v.detach().cpu().numpy() for v in state.values() if hasattr(v, "detach")]
    dtype = _dtype_of([(t, None) for t in tensors])
    net = Network(list(layers), loss=loss or "mse", dtype=dtype, seed=0)
    want = [l for l in net.layers if l.kind in ("dense", "conv2d")]
    need = sum(1 + (l.bias is not None) for l in want)
    if len(tensors) != need:
        raise ShapeError(f"the state_dict holds {len(tensors)} tensors, the described "
                         f"architecture needs {need} (weight and bias per layer, in order)")
    params, k = [], 0
    for layer in want:
        w = tensors[k].reshape(tensors[k].shape[0], -1) if tensors[k].ndim else tensors[k]
        b = tensors[k + 1] if layer.bias is not None else None
        k += 1 + (layer.bias is not None)
        params.append((w, b))
    _fill(net, params)
    return net
