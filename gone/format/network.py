"""The ``.gone`` file format (protobuf; schema in ``proto/gone.proto``).

Files written by the Go library load here and predict the same numbers;
networks that use only what the Go library knows (dense layers with sigmoid,
relu or identity, and MSE) are written with the Go fields filled the Go way,
so the Go library loads them. Everything else goes in extension fields.

Loading validates every count and length against the declared sizes before
building arrays, so a corrupt or hostile file raises :class:`GoneFormatError`
instead of crashing or allocating gigabytes.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

import numpy as np
from google.protobuf.message import DecodeError

from .._base import atomic as _atomic
from . import layers as _image
from ..nn import activations as _act
from ..nn import losses as _losses
from ..nn import optimizers as _optim
from .._proto import gone_pb2 as pb
from ..errors import ConfigError, GoneError, GoneFormatError, ShapeError
from ..nn.layers.dense import Dense

FORMAT_VERSION = 1
MAX_UNITS = 1 << 24          # per layer; far beyond any network gone is for
GO_ACTIVATIONS = {"identity": "id", "sigmoid": "sigmoid", "relu": "relu"}
_METADATA_FIELDS = ("fitness", "generation", "notes")


# --- writing -------------------------------------------------------------

def go_compatible(net) -> bool:
    """True when the Go library can load and run ``net`` from its ``.gone`` file."""
    return net.loss.name == "mse" and net.input_shape is None and all(
        layer.kind == "dense" and layer.activation.name in GO_ACTIVATIONS and not layer.activation.params
        for layer in net.layers
    )


def _matrix(array: np.ndarray) -> pb.Matrix:
    rows, cols = array.shape if array.ndim == 2 else (array.shape[0], 1)
    return pb.Matrix(Rows=rows, Columns=cols, Data=array.ravel().astype(np.float64))


def _tensor(array: np.ndarray) -> pb.Tensor:
    return pb.Tensor(shape=array.shape, data=np.ravel(array).astype(np.float64))


def _layer(layer) -> pb.Layer:
    act = layer.activation
    msg = pb.Layer(
        Nodes=layer.units, Activator=GO_ACTIVATIONS.get(act.name, act.name),
        activator_params=act.params, no_bias=not layer.use_bias,
        dropout=layer.dropout, l2=layer.l2, kind=layer.kind,
    )
    if layer.kind != "dense":
        _image.layer_fields(layer, msg)
    return msg


def _optimizer_state(opt) -> pb.OptimizerState:
    state = pb.OptimizerState(name=opt.name, hyperparams=opt.hyperparams(), step=opt.t)
    for slot, arrays in opt.state.items():
        state.slots[slot].tensors.extend(_tensor(a) for a in arrays)
    return state


def _metadata(meta: dict) -> pb.Metadata:
    out = pb.Metadata(notes=str(meta.get("notes", "")))
    if meta.get("fitness") is not None:
        out.fitness = float(meta["fitness"])
    if meta.get("generation") is not None:
        out.generation = int(meta["generation"])
    for key, value in meta.items():
        if key not in _METADATA_FIELDS:
            out.extra[str(key)] = str(value)
    return out


def to_message(net) -> pb.NeuralNetwork:
    """The protobuf message for ``net``: Go fields 1-7 plus gone's extensions."""
    msg = pb.NeuralNetwork(
        LearningRate=net.learning_rate, Loss=net.loss.name,
        format_version=FORMAT_VERSION, dtype=net.dtype.name,
    )
    msg.Layers.append(pb.Layer(Nodes=net.n_inputs, Activator="id"))
    msg.Activations.append(_matrix(np.zeros(net.n_inputs)))
    if net.input_shape is not None:
        msg.input_shape.extend(net.input_shape)
    for layer in net.layers:
        msg.Layers.append(_layer(layer))
        if net.input_shape is not None:
            weight, bias = _image.matrices(layer, pb)
            msg.Weights.append(weight)
            msg.Biases.append(bias)
            msg.Activations.append(pb.Matrix())
            continue
        msg.Weights.append(_matrix(layer.weight))
        bias = layer.bias if layer.bias is not None else np.zeros(layer.units)
        msg.Biases.append(_matrix(bias))
        msg.Activations.append(_matrix(np.zeros(layer.units)))
    if net.optimizer is not None:
        msg.optimizer.CopyFrom(_optimizer_state(net.optimizer))
    if net.metadata:
        msg.metadata.CopyFrom(_metadata(net.metadata))
    return msg


# Field 15 (crc32), wire type 5 (fixed32): the tag byte that starts the trailer.
_CRC_TAG = bytes([15 << 3 | 5])
_TRAILER = len(_CRC_TAG) + 4


def seal(body: bytes) -> bytes:
    """``body`` plus the crc32 field over it. Appending an encoded field is valid
    protobuf (it merges), so readers that do not know the field skip it."""
    return body + _CRC_TAG + struct.pack("<I", zlib.crc32(body))


def dumps(net) -> bytes:
    """The bytes of the ``.gone`` file for ``net``."""
    return seal(to_message(net).SerializeToString())


def save(net, path) -> None:
    """Write ``net`` to ``path`` atomically (temp file, fsync, rename)."""
    _atomic.write_bytes(path, dumps(net))


# --- reading -------------------------------------------------------------

class _Reader:
    """Validates one decoded message; every error names the file and the part."""

    def __init__(self, source: str):
        self.source = source
        self.dtype = np.dtype(np.float64)  # the network's dtype, once known

    def fail(self, what: str) -> GoneFormatError:
        return GoneFormatError(f"{self.source}: {what}")

    def array(self, data, shape: tuple, what: str) -> np.ndarray:
        if len(data) != math.prod(shape):
            raise self.fail(f"{what} declares shape {shape} ({math.prod(shape)} values) "
                            f"but holds {len(data)} values")
        out = np.asarray(data, dtype=np.float64).reshape(shape)
        if not np.all(np.isfinite(out)):
            raise self.fail(f"{what} contains NaN or infinite values")
        if self.dtype != out.dtype:
            with np.errstate(over="ignore"):
                fits = np.all(np.isfinite(out.astype(self.dtype)))
            if not fits:
                raise self.fail(f"{what} holds values too large for {self.dtype.name}")
        return out

    def matrix(self, m, rows: int, cols: int, what: str) -> np.ndarray:
        if (m.Rows, m.Columns) != (rows, cols):
            raise self.fail(f"{what} is {m.Rows}x{m.Columns}, expected {rows}x{cols}")
        return self.array(m.Data, (rows, cols), what)

    def tensor(self, t, shape: tuple, what: str) -> np.ndarray:
        if tuple(t.shape) != tuple(shape):
            raise self.fail(f"{what} has shape {tuple(t.shape)}, expected {tuple(shape)}")
        return self.array(t.data, tuple(shape), what)

    def sizes(self, msg) -> list[int]:
        if len(msg.Layers) < 2:
            raise self.fail(f"needs at least 2 layers (input and output), has {len(msg.Layers)}")
        sizes = [layer.Nodes for layer in msg.Layers]
        for i, n in enumerate(sizes):
            if not 1 <= n <= MAX_UNITS:
                raise self.fail(f"layer {i} has {n} nodes (must be 1..{MAX_UNITS})")
        for name, field in (("Weights", msg.Weights), ("Biases", msg.Biases)):
            if len(field) != len(sizes) - 1:
                raise self.fail(f"has {len(sizes)} layers but {len(field)} {name} matrices "
                                f"(expected {len(sizes) - 1})")
        return sizes

    def layer(self, spec, index: int) -> Dense:
        where = f"layer {index}"
        if spec.kind not in ("", "dense"):
            act = self._activation(spec, where)
            image_layer = _image.read_layer(self, spec, where, act)
            if image_layer is not None:
                return image_layer
            raise self.fail(f"{where}: layer kind {spec.kind!r} is not supported by gone "
                            f"{_version()}")
        numbers = [("dropout", spec.dropout), ("l2", spec.l2), *spec.activator_params.items()]
        for name, value in numbers:
            if not math.isfinite(value):
                raise self.fail(f"{where}: {name} is {value}, not a finite number")
        try:
            act = _act.get(spec.Activator, **dict(spec.activator_params))
            return Dense(spec.Nodes, act, bias=not spec.no_bias, dropout=spec.dropout, l2=spec.l2)
        except ConfigError as exc:
            raise self.fail(f"{where}: {exc}") from None

    def _activation(self, spec, where: str):
        for name, value in spec.activator_params.items():
            if not math.isfinite(value):
                raise self.fail(f"{where}: {name} is {value}, not a finite number")
        try:
            return _act.get(spec.Activator or "id", **dict(spec.activator_params))
        except ConfigError as exc:
            raise self.fail(f"{where}: {exc}") from None

    def optimizer(self, state, params):
        slots = {}
        for slot, tensors in state.slots.items():
            if len(tensors.tensors) != len(params):
                raise self.fail(f"optimizer slot {slot!r} has {len(tensors.tensors)} arrays "
                                f"for {len(params)} parameters")
            slots[slot] = [self.tensor(t, p.shape, f"optimizer slot {slot!r}[{i}]")
                           .astype(p.dtype) for i, (t, p) in enumerate(zip(tensors.tensors, params))]
        try:
            return _optim.from_state(state.name, dict(state.hyperparams), state.step, slots)
        except ConfigError as exc:
            raise self.fail(str(exc)) from None


def _version() -> str:
    from .._version import __version__

    return __version__


def _metadata_dict(meta) -> dict:
    out = dict(meta.extra)
    if meta.HasField("fitness"):
        out["fitness"] = meta.fitness
    if meta.HasField("generation"):
        out["generation"] = meta.generation
    if meta.notes:
        out["notes"] = meta.notes
    return out


def from_message(msg: pb.NeuralNetwork, source: str = "<message>"):
    """Build a validated :class:`~gone.network.Network` from a decoded message."""
    from ..nn.network import Network

    r = _Reader(source)
    if msg.HasField("graph") and not msg.Layers:
        raise r.fail("holds a graph network (named neurons), not a layered one: "
                     "load it with gone.load_graph")
    sizes = r.sizes(msg)
    specs = [r.layer(spec, i) for i, spec in enumerate(msg.Layers[1:], start=1)]
    dtype = msg.dtype or "float64"
    if dtype not in ("float64", "float32"):
        raise r.fail(f"unknown dtype {dtype!r}")
    r.dtype = np.dtype(dtype)
    lr = msg.LearningRate
    if not math.isfinite(lr) or lr < 0:
        raise r.fail(f"learning rate {lr} is not a non-negative number")
    if _image.is_image(msg):
        return _image_network(r, msg, specs, dtype, lr)
    # Check every matrix against the declared sizes before the network
    # allocates its parameters: declared sizes alone must not cost memory.
    weights = [r.matrix(msg.Weights[i], sizes[i + 1], sizes[i], f"Weights[{i}]")
               for i in range(len(specs))]
    biases = [r.matrix(msg.Biases[i], sizes[i + 1], 1, f"Biases[{i}]") for i in range(len(specs))]
    try:
        loss = _losses.get(msg.Loss or "mse")
        net = Network([sizes[0], *specs], loss=loss, learning_rate=lr or 0.1, dtype=dtype,
                      seed=0, init="uniform")
    except ConfigError as exc:
        raise r.fail(str(exc)) from None
    for i, (layer, w, b) in enumerate(zip(net.layers, weights, biases)):
        if not layer.use_bias and np.any(b):
            raise r.fail(f"Biases[{i}] is non-zero but layer {i + 1} has no bias (no_bias is set)")
        layer.set_params(w, b if layer.use_bias else None, i + 1)
    return _finish(r, msg, net)


def _image_network(r, msg, specs, dtype: str, lr: float):
    """A network with image layers; every shape is checked before allocating."""
    from ..nn.network import Network

    input_shape, params = _image.read_params(r, msg, specs)
    try:
        loss = _losses.get(msg.Loss or "mse")
        net = Network([input_shape, *specs], loss=loss, learning_rate=lr or 0.1, dtype=dtype,
                      seed=0, init="uniform")
    except ConfigError as exc:
        raise r.fail(str(exc)) from None
    _image.assign(net, params)
    return _finish(r, msg, net)


def _finish(r, msg, net):
    """Optimizer state and metadata, common to every network file."""
    if msg.HasField("optimizer"):
        net.optimizer = r.optimizer(msg.optimizer, [net.flat])
    if msg.HasField("metadata"):
        net.metadata = _metadata_dict(msg.metadata)
    return net


def _check_seal(data: bytes, msg: pb.NeuralNetwork, source: str) -> None:
    """Files gone wrote end with a crc32 of the rest; Go's files (version 0) have none."""
    if msg.format_version == 0:
        return
    if len(data) < _TRAILER or data[-_TRAILER:-4] != _CRC_TAG or not msg.HasField("crc32"):
        raise GoneFormatError(f"{source}: the file is truncated or incomplete "
                              "(no checksum at its end)")
    if zlib.crc32(data[:-_TRAILER]) != struct.unpack("<I", data[-4:])[0]:
        raise GoneFormatError(f"{source}: the file is corrupt (checksum mismatch)")


def decode(data: bytes, source: str = "<bytes>") -> pb.NeuralNetwork:
    """The checked message in the bytes of a ``.gone`` file (network or population)."""
    msg = pb.NeuralNetwork()
    try:
        msg.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise GoneFormatError(f"{source}: not a valid .gone file, truncated or corrupt "
                              f"(protobuf decode failed: {exc})") from None
    _check_seal(data, msg, source)
    return msg


def loads(data: bytes, source: str = "<bytes>"):
    """A network from the bytes of a ``.gone`` file (a population file gives its best network)."""
    msg = decode(data, source)
    try:
        return from_message(msg, source)
    except GoneError:
        raise
    except (ShapeError, ValueError, OverflowError) as exc:  # pragma: no cover - defence in depth
        raise GoneFormatError(f"{source}: {exc}") from None


def read_bytes(path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise GoneFormatError(f"cannot read {path}: {exc.strerror or exc}") from None


def load(path):
    """Load a network from a ``.gone`` file written by gone or by the Go library."""
    return loads(read_bytes(path), str(path))


def load_file(path):
    """``(network, format_version)``; version 0 means the Go library wrote the file."""
    data = read_bytes(path)
    net = loads(data, str(path))
    return net, pb.NeuralNetwork.FromString(data).format_version
