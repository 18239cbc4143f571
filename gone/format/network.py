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
from .._base import persistence
from .._proto import gone_pb2 as pb
from ..errors import ConfigError, GoneError, GoneFormatError, ShapeError
from ..nn import losses as _losses
from ..nn import optimizers as _optim
from ..nn.layers.base import build_layer
from ..nn.network import Network
from . import layers as _layers

FORMAT_VERSION = 1
MAX_UNITS = 1 << 24          # per layer; far beyond any network gone is for
GO_ACTIVATIONS = _layers.GO_ACTIVATIONS
_METADATA_FIELDS = ("fitness", "generation", "notes")


# --- writing -------------------------------------------------------------

def go_compatible(net) -> bool:
    """True when the Go library can load and run ``net`` from its ``.gone`` file."""
    return net.loss.name == "mse" and net.input_shape is None and all(
        layer.kind == "dense" and layer.activation.name in GO_ACTIVATIONS
        and not layer.activation.params for layer in net.layers
    )


def _matrix(array: np.ndarray) -> pb.Matrix:
    rows, cols = array.shape if array.ndim == 2 else (array.shape[0], 1)
    return pb.Matrix(Rows=rows, Columns=cols, Data=array.ravel().astype(np.float64))


def _tensor(array: np.ndarray) -> pb.Tensor:
    return pb.Tensor(shape=array.shape, data=np.ravel(array).astype(np.float64))


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
    """The protobuf message for ``net``: Go fields 1-7 plus gone's extensions.

    Every layer goes through the one table of kinds in :mod:`gone.format.layers`;
    a flat network keeps the Go library's zero ``Activations`` per layer.
    """
    msg = pb.NeuralNetwork(
        LearningRate=net.learning_rate, Loss=net.loss.name,
        format_version=FORMAT_VERSION, dtype=net.dtype.name,
    )
    flat = net.input_shape is None
    msg.Layers.append(pb.Layer(Nodes=net.n_inputs, Activator="id"))
    msg.Activations.append(_matrix(np.zeros(net.n_inputs)))
    if not flat:
        msg.input_shape.extend(net.input_shape)
    for i, layer in enumerate(net.layers, 1):
        msg.Layers.append(_layers.layer_message(layer, pb, f"layer {i}"))
        weight, bias = _layers.matrices(layer, pb)
        msg.Weights.append(weight)
        msg.Biases.append(bias)
        msg.Activations.append(_matrix(np.zeros(layer.units)) if flat else pb.Matrix())
    if net.optimizer is not None:
        msg.optimizer.CopyFrom(_optimizer_state(net.optimizer))
    if net.metadata:
        msg.metadata.CopyFrom(_metadata(net.metadata))
    return msg


# Field 15 (crc32), wire type 5 (fixed32): the tag byte that starts the trailer.
_CRC_TAG = bytes([15 << 3 | 5])
_TRAILER = len(_CRC_TAG) + 4
# Field 8 (format_version), varint, first in the file: a file cut anywhere after its
# first two bytes still shows it is gone's, so it cannot pass for a Go-layout file.
_VERSION_PREFIX = bytes([8 << 3 | 0, FORMAT_VERSION])
_GO_FIELDS = range(1, 8)                # NeuralNetwork fields the Go library writes
_GO_LAYER_FIELDS = {"Nodes", "Activator"}


def seal(body: bytes) -> bytes:
    """``body`` between gone's seal: the format version first, the crc32 of everything
    before it last. Both are valid protobuf fields (fields merge, the last value wins),
    so readers that do not know them skip them."""
    body = _VERSION_PREFIX + body
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
    """Build a validated :class:`~gone.Network` from a decoded message.

    Layer by layer: the kind's codec makes the layer, ``build`` gives its
    output shape, and the declared sizes and every parameter matrix are
    checked against it before the network allocates anything, so declared
    sizes alone cost no memory.
    """
    r = _Reader(source)
    if msg.HasField("graph") and not msg.Layers:
        raise r.fail("holds a graph network (named neurons), not a layered one: "
                     "load it with gone.load_graph, or run it with gone propagate")
    r.sizes(msg)
    dtype = msg.dtype or "float64"
    if dtype not in ("float64", "float32"):
        raise r.fail(f"unknown dtype {dtype!r}")
    r.dtype = np.dtype(dtype)
    lr = msg.LearningRate
    if not math.isfinite(lr) or lr < 0:
        raise r.fail(f"learning rate {lr} is not a non-negative number")
    shape = _layers.check_input_shape(r, msg)
    specs, params = [], []
    for i, spec in enumerate(msg.Layers[1:]):
        where = f"layer {i + 1}"
        layer = _layers.read_layer(r, spec, where)
        try:
            out = build_layer(layer, shape)
            shapes = [tuple(s) for s in layer.param_shapes()]
        except Exception as exc:  # noqa: BLE001 - a user's layer may raise anything on bad shapes
            raise r.fail(f"{where}: {exc}") from None
        _layers.check_output(r, layer, spec, out, where)
        params.append(_layers.read_params(r, msg, i, layer, shapes))
        specs.append(layer)
        shape = out
    try:
        first = tuple(msg.input_shape) if msg.input_shape else msg.Layers[0].Nodes
        net = Network([first, *specs], loss=_losses.get(msg.Loss or "mse"), learning_rate=lr or 0.1,
                      dtype=dtype, seed=0, init="zeros")  # the file overwrites them
    except ConfigError as exc:
        raise r.fail(str(exc)) from None
    for layer, values in zip(net.layers, params):
        for p, v in zip(layer.params, values):
            p[...] = v
    return _finish(r, msg, net)


def _finish(r, msg, net):
    """Optimizer state and metadata, common to every network file."""
    if msg.HasField("optimizer"):
        net.optimizer = r.optimizer(msg.optimizer, [net.flat])
    if msg.HasField("metadata"):
        net.metadata = _metadata_dict(msg.metadata)
    return net


def _top_level_fields(data: bytes):
    """The field numbers at the top level of protobuf ``data``, stopping at the first
    one the Go library does not write; None if the bytes do not walk as protobuf."""
    pos, end, seen = 0, len(data), set()
    while pos < end:
        tag, pos = _varint(data, pos)
        if tag is None:
            return None
        field, wire = tag >> 3, tag & 7
        seen.add(field)
        if field not in _GO_FIELDS:
            return seen
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            pos = None if size is None else pos + size
        else:
            pos += {1: 8, 5: 4}.get(wire, end + 1)
        if pos is None or pos > end:
            return None
    return seen


def _varint(data: bytes, pos: int):
    value, shift = 0, 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7
    return None, None


def go_layout(data: bytes, msg: pb.NeuralNetwork) -> bool:
    """True when the file holds only what the Go library writes (no gone-only field,
    not even an unknown one, in the message or its layers): then it needs no seal."""
    fields = _top_level_fields(data)
    if fields is None or not fields <= set(_GO_FIELDS):
        return False
    return all({f.name for f, _ in layer.ListFields()} <= _GO_LAYER_FIELDS
               for layer in msg.Layers)


def _check_seal(data: bytes, msg: pb.NeuralNetwork, source: str) -> None:
    """A file with any gone-only field must end with a valid crc32 of the rest; a
    Go-layout file (the Go library's own) has none of them and no seal."""
    if go_layout(data, msg):
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


persistence.register_writer(Network, save)  # what Network.save calls: the core never imports this layer


def load_file(path):
    """``(network, format_version)``; version 0 means the Go library wrote the file."""
    data = read_bytes(path)
    net = loads(data, str(path))
    return net, pb.NeuralNetwork.FromString(data).format_version
