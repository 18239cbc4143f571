"""Compatibility with the original Go library's .gone files (see FORMAT.md).

Nothing here trusts gone's own schema: Go files are built byte by byte with a
tiny protobuf wire encoder, gone's files are decoded with a schema that holds
only the Go library's fields, and both are checked against a forward pass
written the Go way (column vectors, row-major matrices).
"""

import math
import struct

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import gone
from gone._proto.gone_pb2 import NeuralNetwork
from gone.format import network as gio

# --- a protobuf wire encoder, just enough for the Go schema -------------------

VARINT, I64, LEN = 0, 1, 2


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int32 values are sign-extended to 10 bytes
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tag(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def int_field(field: int, n: int) -> bytes:
    return tag(field, VARINT) + varint(n) if n else b""  # proto3 omits zero


def double_field(field: int, x: float) -> bytes:
    return tag(field, I64) + struct.pack("<d", x) if x else b""


def bytes_field(field: int, payload: bytes) -> bytes:
    return tag(field, LEN) + varint(len(payload)) + payload


def string_field(field: int, s: str) -> bytes:
    return bytes_field(field, s.encode()) if s else b""


def doubles(field: int, xs, packed: bool) -> bytes:
    if not xs:
        return b""
    if packed:
        return bytes_field(field, b"".join(struct.pack("<d", x) for x in xs))
    return b"".join(tag(field, I64) + struct.pack("<d", x) for x in xs)


def go_matrix(rows: int, cols: int, data, packed=True) -> bytes:
    return int_field(1, rows) + int_field(2, cols) + doubles(3, list(data), packed)


def go_network(layers, weights, biases, activations, lr, loss="mse", packed=True,
               debug=False) -> bytes:
    """NeuralNetwork bytes laid out as the Go library writes them (fields in number order).

    ``layers``: ``[(nodes, activator)]``; ``weights``/``biases``/``activations``:
    lists of ``(rows, cols, row-major data)``.
    """
    out = b""
    for field, mats in ((1, weights), (2, biases), (3, activations)):
        for rows, cols, data in mats:
            out += bytes_field(field, go_matrix(rows, cols, data, packed))
    out += double_field(4, lr)
    for nodes, activator in layers:
        out += bytes_field(5, int_field(1, nodes) + string_field(2, activator))
    out += int_field(6, int(debug))
    out += string_field(7, loss)
    return out


# --- the Go library's forward pass, in plain Python ---------------------------

def go_activator(name: str):
    """Go's activators by the names it writes; "" and unknown names are identity."""
    if name == "sigmoid":
        return lambda z: 1.0 / (1.0 + math.exp(-z))
    if name == "relu":
        return lambda z: max(0.0, z)
    return lambda z: z


def go_predict(activators, weights, biases, x):
    """``a0 = x``, ``a(i+1) = f(i+1)(W(i) a(i) + b(i))``; ``weights[i] = (rows, cols, data)``.

    ``activators[0]`` (the input layer's) is never applied.
    """
    a = [float(v) for v in x]
    for i, ((rows, cols, w), (brows, _, b)) in enumerate(zip(weights, biases)):
        assert cols == len(a) and brows == rows
        f = go_activator(activators[i + 1])
        a = [f(sum(w[r * cols + c] * a[c] for c in range(cols)) + b[r]) for r in range(rows)]
    return a


def random_go_net(rng, sizes, activators):
    u = lambda n: [float(v) for v in rng.uniform(-1, 1, n)]  # noqa: E731  Go's U[-1, 1)
    weights = [(sizes[i + 1], sizes[i], u(sizes[i + 1] * sizes[i])) for i in range(len(sizes) - 1)]
    biases = [(sizes[i + 1], 1, u(sizes[i + 1])) for i in range(len(sizes) - 1)]
    leftovers = [(n, 1, u(n)) for n in sizes]  # last sample's activations after training
    return list(zip(sizes, activators)), weights, biases, leftovers


def test_encoder_matches_protobuf():
    """Guard: the hand encoder produces exactly what protobuf produces for the same message."""
    rng = np.random.default_rng(0)
    layers, w, b, acts = random_go_net(rng, [2, 3, 1], ["id", "sigmoid", "relu"])
    ours = go_network(layers, w, b, acts, 0.25)
    msg = NeuralNetwork(LearningRate=0.25, Loss="mse")
    for field, mats in ((msg.Weights, w), (msg.Biases, b), (msg.Activations, acts)):
        for rows, cols, data in mats:
            field.add(Rows=rows, Columns=cols, Data=data)
    for nodes, act in layers:
        msg.Layers.add(Nodes=nodes, Activator=act)
    assert ours == msg.SerializeToString()
    assert NeuralNetwork.FromString(go_network(layers, w, b, acts, 0.25, packed=False)) == msg


# --- (a) files written by the Go library load and predict the same -------------

GO_NETS = {
    # The input layer names "sigmoid" to prove it is never applied.
    "mixed": ([3, 4, 5, 2], ["sigmoid", "relu", "sigmoid", "id"]),
    "deep": ([2, 6, 6, 6, 1], ["id", "sigmoid", "relu", "sigmoid", "sigmoid"]),
    "empty_is_identity": ([4, 3, 2], ["", "", "relu"]),
    "wide_out": ([1, 7], ["relu", "sigmoid"]),
}


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "unpacked"])
@pytest.mark.parametrize("name", sorted(GO_NETS))
def test_go_file_predicts_like_go(name, packed, tmp_path):
    rng = np.random.default_rng(len(name))
    sizes, activators = GO_NETS[name]
    layers, w, b, leftovers = random_go_net(rng, sizes, activators)
    data = go_network(layers, w, b, leftovers, 0.3, packed=packed)
    path = tmp_path / "go.gone"
    path.write_bytes(data)

    net, version = gio.load_file(path)
    assert version == 0  # written by the Go library
    assert net.sizes == sizes
    assert net.learning_rate == 0.3 and net.loss.name == "mse"
    assert net.dtype == np.float64 and net.optimizer is None and net.metadata == {}
    x = rng.uniform(-3, 3, size=(9, sizes[0]))
    got = net.predict(x)
    want = np.array([go_predict(activators, w, b, row) for row in x])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert np.max(np.abs(want)) > 0.1  # not a trivially-zero comparison
    # Row-major layout: element (r, c) of Weights[0] is Data[r*Columns + c].
    rows, cols, w0 = w[0]
    assert np.array_equal(net.layers[0].weight, np.reshape(w0, (rows, cols)))


def test_go_input_activator_is_never_applied(tmp_path):
    """Same weights, input layer "sigmoid" vs "id": same predictions."""
    rng = np.random.default_rng(3)
    layers, w, b, acts = random_go_net(rng, [3, 4, 2], ["id", "relu", "sigmoid"])
    plain = gio.loads(go_network(layers, w, b, acts, 0.1))
    layers[0] = (3, "sigmoid")
    squashed = gio.loads(go_network(layers, w, b, acts, 0.1))
    x = rng.uniform(-5, 5, size=(6, 3))
    assert np.array_equal(plain.predict(x), squashed.predict(x))


def test_go_activations_do_not_affect_prediction():
    rng = np.random.default_rng(4)
    layers, w, b, acts = random_go_net(rng, [2, 3, 1], ["id", "sigmoid", "id"])
    zeros = [(n, 1, [0.0] * n) for n, _ in layers]
    x = rng.normal(size=(4, 2))
    with_leftovers = gio.loads(go_network(layers, w, b, acts, 0.1)).predict(x)
    assert np.array_equal(with_leftovers, gio.loads(go_network(layers, w, b, zeros, 0.1)).predict(x))
    # ... and they are not required at all.
    assert np.array_equal(with_leftovers, gio.loads(go_network(layers, w, b, [], 0.1)).predict(x))


def test_go_debug_mode_and_missing_loss():
    """DebugMode=true is accepted and ignored; a missing Loss means MSE."""
    rng = np.random.default_rng(5)
    layers, w, b, acts = random_go_net(rng, [2, 2, 2], ["id", "relu", "sigmoid"])
    net = gio.loads(go_network(layers, w, b, acts, 0.1, loss="", debug=True))
    assert net.loss.name == "mse"
    x = rng.normal(size=(3, 2))
    np.testing.assert_allclose(net.predict(x), [go_predict(["id", "relu", "sigmoid"], w, b, r)
                                                for r in x], rtol=0, atol=1e-12)


def test_go_file_with_bad_dimensions_is_rejected():
    rng = np.random.default_rng(6)
    layers, w, b, acts = random_go_net(rng, [2, 3, 1], ["id", "sigmoid", "id"])
    layers[1] = (-3, "sigmoid")
    with pytest.raises(gone.GoneFormatError, match=r"layer 1 has -3 nodes"):
        gio.loads(go_network(layers, w, b, acts, 0.1))
    layers[1] = (3, "sigmoid")
    w[0] = (2, 3, w[0][2])  # transposed: column-major confusion must not load
    with pytest.raises(gone.GoneFormatError, match=r"Weights\[0\] is 2x3, expected 3x2"):
        gio.loads(go_network(layers, w, b, acts, 0.1))


# --- (b) gone's files decode with the Go schema alone -----------------------------

def _go_only_classes():
    """Message classes for the Go schema only (fields 1-7, 1-2, 1-3), in a private pool."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="go_only/gone.proto", package="pb_go_only",
                                             syntax="proto3")

    def message(name, fields):
        m = fdp.message_type.add(name=name)
        for number, (fname, ftype, repeated, type_name) in enumerate(fields, start=1):
            f = m.field.add(name=fname, number=number, type=ftype,
                            label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
            if type_name:
                f.type_name = type_name

    message("Matrix", [("Rows", F.TYPE_INT32, False, None), ("Columns", F.TYPE_INT32, False, None),
                       ("Data", F.TYPE_DOUBLE, True, None)])
    message("Layer", [("Nodes", F.TYPE_INT32, False, None),
                      ("Activator", F.TYPE_STRING, False, None)])
    matrix = (F.TYPE_MESSAGE, True, ".pb_go_only.Matrix")
    message("NeuralNetwork", [("Weights", *matrix), ("Biases", *matrix), ("Activations", *matrix),
                              ("LearningRate", F.TYPE_DOUBLE, False, None),
                              ("Layers", F.TYPE_MESSAGE, True, ".pb_go_only.Layer"),
                              ("DebugMode", F.TYPE_BOOL, False, None),
                              ("Loss", F.TYPE_STRING, False, None)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    descriptor = pool.FindMessageTypeByName("pb_go_only.NeuralNetwork")
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)  # the 4.21 floor


GoNeuralNetwork = _go_only_classes()


def test_go_only_schema_has_only_go_fields():
    fields = {f.name: f.number for f in GoNeuralNetwork.DESCRIPTOR.fields}
    assert fields == {"Weights": 1, "Biases": 2, "Activations": 3, "LearningRate": 4,
                      "Layers": 5, "DebugMode": 6, "Loss": 7}
    assert GoNeuralNetwork.DESCRIPTOR.full_name == "pb_go_only.NeuralNetwork"


def _trained(net):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, net.n_inputs))
    net.train(x, np.tanh(x[:, :net.n_outputs]) * 0.4, optimizer=gone.Adam(batch_size=4),
              epochs=2)
    net.metadata = {"fitness": 3.5, "generation": 9, "notes": "for Go", "k": "v"}
    return net


GO_COMPATIBLE = {
    "sigmoid_relu_id": lambda: gone.Network(
        [3, gone.Dense(4, "sigmoid"), gone.Dense(5, "relu"), gone.Dense(2)], seed=1,
        init="uniform", learning_rate=0.05),
    "no_bias_dropout_l2": lambda: gone.Network(
        [2, gone.Dense(6, "relu", bias=False, dropout=0.2), gone.Dense(3, "sigmoid", l2=0.01),
         gone.Dense(1, "identity", bias=False)], seed=2),
    "trained_with_adam_and_metadata": lambda: _trained(gone.Network(
        [4, gone.Dense(5, "sigmoid"), gone.Dense(3, "relu"), gone.Dense(2, "sigmoid")], seed=3)),
    "float32": lambda: gone.Network([3, gone.Dense(4, "sigmoid"), gone.Dense(2, "relu")],
                                    dtype="float32", seed=4, init="uniform"),
    "single_layer": lambda: gone.Network([5, 3], seed=5),
}


@pytest.mark.parametrize("name", sorted(GO_COMPATIBLE))
def test_gone_file_loads_with_go_schema(name, tmp_path):
    net = GO_COMPATIBLE[name]()
    assert gio.go_compatible(net)
    path = tmp_path / "net.gone"
    gone.save(net, path)
    go = GoNeuralNetwork.FromString(path.read_bytes())

    sizes = [layer.Nodes for layer in go.Layers]
    assert sizes == net.sizes
    activators = [layer.Activator for layer in go.Layers]
    assert set(activators) <= {"id", "sigmoid", "relu"}
    assert activators == ["id"] + [{"identity": "id"}.get(l.activation.name, l.activation.name)
                                   for l in net.layers]
    assert go.Loss == "mse" and go.LearningRate == net.learning_rate and not go.DebugMode
    assert len(go.Weights) == len(go.Biases) == len(sizes) - 1
    assert len(go.Activations) == len(sizes)
    for n, m in zip(sizes, go.Activations):
        assert (m.Rows, m.Columns) == (n, 1) and list(m.Data) == [0.0] * n
    weights, biases = [], []
    for i, (w, b) in enumerate(zip(go.Weights, go.Biases)):
        assert (w.Rows, w.Columns) == (sizes[i + 1], sizes[i]) and len(w.Data) == w.Rows * w.Columns
        assert (b.Rows, b.Columns) == (sizes[i + 1], 1) and len(b.Data) == b.Rows
        weights.append((w.Rows, w.Columns, list(w.Data)))
        biases.append((b.Rows, b.Columns, list(b.Data)))

    x = np.random.default_rng(7).uniform(-2, 2, size=(8, sizes[0]))
    want = np.array([go_predict(activators, weights, biases, row) for row in x])
    got = net.predict(x.astype(net.dtype))
    tol = 1e-12 if net.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    assert np.max(np.abs(want)) > 0.1


@pytest.mark.parametrize("name", sorted(GO_NETS))
def test_go_file_resaved_by_gone_still_runs_in_go(name, tmp_path):
    """Go writes, gone loads and saves, Go reads: the same predictions all the way."""
    rng = np.random.default_rng(11)
    sizes, activators = GO_NETS[name]
    layers, w, b, leftovers = random_go_net(rng, sizes, activators)
    net = gio.loads(go_network(layers, w, b, leftovers, 0.7))
    assert gio.go_compatible(net)
    gone.save(net, tmp_path / "again.gone")
    go = GoNeuralNetwork.FromString((tmp_path / "again.gone").read_bytes())
    assert go.LearningRate == 0.7 and go.Loss == "mse"
    # "" is written back as "id", Go's name for identity; the input layer's is never used.
    assert [l.Activator for l in go.Layers][1:] == [a or "id" for a in activators[1:]]
    mats = lambda ms: [(m.Rows, m.Columns, list(m.Data)) for m in ms]  # noqa: E731
    assert mats(go.Weights) == w and mats(go.Biases) == b
    x = rng.uniform(-2, 2, size=(5, sizes[0]))
    go_acts = [l.Activator for l in go.Layers]
    assert [go_predict(go_acts, w, b, r) for r in x] == [go_predict(activators, w, b, r) for r in x]


def test_gone_writes_go_layout_row_major(tmp_path):
    """Weights[i] rows are output units: Data[r*Columns + c] is weight[r, c]."""
    w = np.arange(6.0).reshape(3, 2)
    net = gone.Network.from_arrays([w, np.ones((1, 3))], [np.array([0.5, -1.0, 2.0]), None],
                                   ["relu", "id"])
    gone.save(net, tmp_path / "n.gone")
    go = GoNeuralNetwork.FromString((tmp_path / "n.gone").read_bytes())
    assert (go.Weights[0].Rows, go.Weights[0].Columns) == (3, 2)
    assert list(go.Weights[0].Data) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(go.Biases[0].Data) == [0.5, -1.0, 2.0]
    assert list(go.Biases[1].Data) == [0.0]  # no bias: zeros, so Go predicts the same


# --- (c) what the Go library cannot run is not called compatible ------------------

@pytest.mark.parametrize("layers, loss, expected", [
    ([3, gone.Dense(4, "sigmoid"), gone.Dense(2, "relu")], "mse", True),
    ([3, gone.Dense(4, "relu"), 2], "mse", True),
    ([3, gone.Dense(4, "sigmoid"), gone.Dense(2, "softmax")], "cross_entropy", False),
    ([3, gone.Dense(4, "sigmoid"), gone.Dense(2, "softmax")], "mse", False),
    ([3, gone.Dense(4, "sigmoid"), gone.Dense(2, "sigmoid")], "cross_entropy", False),
    ([3, gone.Dense(4, "sigmoid"), gone.Dense(1, "sigmoid")], "binary_cross_entropy", False),
    ([3, gone.Dense(4, "tanh"), 2], "mse", False),
    ([3, gone.Dense(4, gone.activations.leaky_relu(0.1)), 2], "mse", False),
])
def test_go_compatible(layers, loss, expected):
    assert gio.go_compatible(gone.Network(layers, loss=loss, seed=0)) is expected


def test_softmax_net_keeps_its_names_for_gone(tmp_path):
    net = gone.Network([3, gone.Dense(4, "tanh"), gone.Dense(2, "softmax")],
                       loss="cross_entropy", seed=0)
    gone.save(net, tmp_path / "n.gone")
    go = GoNeuralNetwork.FromString((tmp_path / "n.gone").read_bytes())
    assert [l.Activator for l in go.Layers] == ["id", "tanh", "softmax"]
    assert go.Loss == "cross_entropy"
