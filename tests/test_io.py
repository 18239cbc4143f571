"""The .gone file format: round trips, atomic writes and bad files.

Go compatibility is in test_go_compat.py, byte-level fuzzing in test_fuzz_io.py.
"""

import errno
import math
import os
import stat
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gone
from gone._proto.gone_pb2 import Layer, Matrix, NeuralNetwork
from gone.format import network as gio

# Non-default settings for every parametrised activation, so a round trip
# that dropped them would change the predictions.
ACT_PARAMS = {
    "leaky_relu": {"alpha": 0.2},
    "elu": {"alpha": 0.7},
    "swish": {"beta": 1.7},
    "isru": {"alpha": 0.3},
}
# Output activation each loss is meant for.
LOSS_OUTPUT = {"mse": "identity", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}


def config(net):
    """Everything but the parameters that a file must preserve."""
    layers = [(l.units, l.activation.name, dict(l.activation.params), l.use_bias, l.dropout,
               l.l2, l.kind) for l in net.layers]
    return (net.sizes, layers, net.loss.name, net.learning_rate, net.dtype.name, net.metadata)


def round_trip(net, tmp_path, name="net.gone"):
    path = tmp_path / name
    gone.save(net, path)
    return gone.load(path)


def assert_same_network(a, b, x):
    assert config(b) == config(a)
    assert b.n_params == a.n_params
    assert b.flat.dtype == a.flat.dtype
    # Bit-identical parameters (also catches -0.0 vs 0.0 and float32 rounding).
    bits = np.uint32 if a.dtype == np.float32 else np.uint64
    assert np.array_equal(b.flat.view(bits), a.flat.view(bits))
    pa, pb_ = a.predict(x), b.predict(x)
    assert pb_.dtype == pa.dtype
    assert np.array_equal(pb_, pa)


def make_act(name):
    return gone.activations.get(name, **ACT_PARAMS.get(name, {}))


# --- round trips -----------------------------------------------------------

@pytest.mark.parametrize("name", gone.activations.names())
def test_round_trip_every_activation(name, tmp_path, rng):
    act = make_act(name)
    net = gone.Network([3, gone.Dense(5, act), gone.Dense(2, act)], init="uniform", seed=1)
    x = rng.normal(size=(7, 3)) * 2
    loaded = round_trip(net, tmp_path)
    assert_same_network(net, loaded, x)
    assert loaded.layers[0].activation.name == name
    assert loaded.layers[1].activation.params == act.params


@pytest.mark.parametrize("name", sorted(ACT_PARAMS))
def test_activation_params_matter(name, tmp_path, rng):
    """Guard for the test above: the chosen params change the predictions."""
    x = rng.normal(size=(7, 3)) * 2
    net = gone.Network([3, gone.Dense(5, make_act(name)), 2], init="uniform", seed=1)
    default = gone.Network([3, gone.Dense(5, name), 2], init="uniform", seed=1)
    assert np.array_equal(net.flat, default.flat)
    assert not np.array_equal(net.predict(x), default.predict(x))
    assert np.array_equal(round_trip(net, tmp_path).predict(x), net.predict(x))


def test_activation_params_stored_in_file(tmp_path):
    net = gone.Network([2, gone.Dense(3, gone.activations.leaky_relu(0.2)), 1])
    gone.save(net, tmp_path / "n.gone")
    msg = NeuralNetwork.FromString((tmp_path / "n.gone").read_bytes())
    assert msg.Layers[1].Activator == "leaky_relu"
    assert dict(msg.Layers[1].activator_params) == {"alpha": 0.2}


@pytest.mark.parametrize("loss", gone.losses.names())
def test_round_trip_every_loss(loss, tmp_path, rng):
    net = gone.Network([4, gone.Dense(6, "tanh"), gone.Dense(3, LOSS_OUTPUT[loss])],
                       loss=loss, seed=2)
    loaded = round_trip(net, tmp_path)
    assert loaded.loss.name == loss
    assert_same_network(net, loaded, rng.normal(size=(5, 4)))


def test_round_trip_no_bias_dropout_l2(tmp_path, rng):
    net = gone.Network([3, gone.Dense(4, "relu", bias=False, dropout=0.25),
                        gone.Dense(5, "tanh", l2=0.01, dropout=0.5),
                        gone.Dense(2, "sigmoid", bias=False, l2=0.003)], seed=3)
    loaded = round_trip(net, tmp_path)
    assert_same_network(net, loaded, rng.normal(size=(6, 3)))
    assert [l.use_bias for l in loaded.layers] == [False, True, False]
    assert loaded.layers[0].bias is None and loaded.layers[2].bias is None
    assert [l.dropout for l in loaded.layers] == [0.25, 0.5, 0.0]
    assert [l.l2 for l in loaded.layers] == [0.0, 0.01, 0.003]
    assert loaded.architecture() == net.architecture()


def test_round_trip_float32_bit_identical(tmp_path, rng):
    net = gone.Network([3, gone.Dense(8, "swish"), gone.Dense(2, "sigmoid")],
                       dtype="float32", init="uniform", seed=4)
    # Values that float32 holds but a float32 -> decimal -> float32 trip could lose.
    net.flat[:5] = np.array([np.float32(1) / 3, -0.0, np.finfo(np.float32).tiny,
                             np.float32(0.1), np.nextafter(np.float32(1), np.float32(2))],
                            np.float32)
    loaded = round_trip(net, tmp_path)
    assert loaded.dtype == np.float32 and loaded.flat.dtype == np.float32
    assert all(p.dtype == np.float32 for p in loaded.params)
    assert np.array_equal(loaded.flat.view(np.uint32), net.flat.view(np.uint32))
    assert_same_network(net, loaded, rng.normal(size=(4, 3)).astype(np.float32))


def test_round_trip_learning_rate_and_metadata(tmp_path, rng):
    meta = {"fitness": -12.375, "generation": 42, "notes": "best of run 7\nline two",
            "seed": "1234", "env": "CartPole-v1", "ünïcode": "✓"}
    net = gone.Network([2, gone.Dense(3, "sigmoid"), 1], learning_rate=0.0371,
                       metadata=meta, seed=5)
    loaded = round_trip(net, tmp_path)
    assert loaded.learning_rate == 0.0371
    assert loaded.metadata == meta
    assert type(loaded.metadata["generation"]) is int
    assert_same_network(net, loaded, rng.normal(size=(3, 2)))


def test_metadata_zero_values_are_kept(tmp_path):
    """fitness 0.0 and generation 0 are real values, not "absent" (proto3 optional)."""
    net = gone.Network([2, 1], metadata={"fitness": 0.0, "generation": 0}, seed=0)
    assert round_trip(net, tmp_path).metadata == {"fitness": 0.0, "generation": 0}


def test_no_metadata_means_empty_dict(tmp_path):
    net = gone.Network([2, 1], seed=0)
    gone.save(net, tmp_path / "n.gone")
    assert not NeuralNetwork.FromString((tmp_path / "n.gone").read_bytes()).HasField("metadata")
    assert gone.load(tmp_path / "n.gone").metadata == {}


def _data(rng, n=12):
    x = rng.normal(size=(n, 3))
    y = np.stack([np.sin(x.sum(1)), np.cos(x[:, 0])], axis=1) * 0.5
    return x, y


OPTIMIZERS = {
    "gd": lambda: gone.GD(lr=0.05),
    "sgd": lambda: gone.SGD(lr=0.05),
    "mbgd": lambda: gone.MBGD(batch_size=5, lr=0.05),
    "momentum": lambda: gone.Momentum(lr=0.05, momentum=0.8, batch_size=4),
    "nesterov": lambda: gone.Nesterov(lr=0.05, momentum=0.7, batch_size=4),
    "rmsprop": lambda: gone.RMSprop(lr=0.01, rho=0.8, batch_size=4),
    "adam": lambda: gone.Adam(lr=0.02, beta1=0.8, beta2=0.99, batch_size=4),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_training_resumes_exactly_after_load(name, dtype, tmp_path, rng):
    x, y = _data(rng)
    net = gone.Network([3, gone.Dense(6, "tanh"), 2], dtype=dtype, seed=6)
    net.train(x, y, optimizer=OPTIMIZERS[name](), epochs=3, shuffle=False)
    opt = net.optimizer
    assert opt.t > 0
    loaded = round_trip(net, tmp_path)
    lopt = loaded.optimizer
    assert type(lopt) is type(opt) and lopt.t == opt.t
    assert lopt.hyperparams() == opt.hyperparams()
    assert lopt.state.keys() == opt.state.keys() == set(opt.slots)
    for slot in opt.state:
        assert lopt.state[slot][0].dtype == np.dtype(dtype)
        assert np.array_equal(lopt.state[slot][0], opt.state[slot][0])
    net.train(x, y, epochs=3, shuffle=False)      # both continue with their own optimizer
    loaded.train(x, y, epochs=3, shuffle=False)
    assert net.optimizer is opt and loaded.optimizer is lopt
    assert lopt.t == opt.t
    assert np.array_equal(loaded.flat, net.flat)


def test_resume_check_is_sensitive_to_optimizer_state(tmp_path, rng):
    """Guard for the test above: dropping Adam's state would give other weights."""
    x, y = _data(rng)
    net = gone.Network([3, gone.Dense(6, "tanh"), 2], seed=6)
    net.train(x, y, optimizer=OPTIMIZERS["adam"](), epochs=3, shuffle=False)
    loaded = round_trip(net, tmp_path)
    fresh = loaded.copy()
    fresh.optimizer = OPTIMIZERS["adam"]()
    net.train(x, y, epochs=1, shuffle=False)
    fresh.train(x, y, epochs=1, shuffle=False)
    assert not np.allclose(fresh.flat, net.flat, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_unused_optimizer_round_trips(name, tmp_path, rng):
    """A network whose optimizer never stepped (epochs=0) must still load, and train the same."""
    x, y = _data(rng)
    net = gone.Network([3, gone.Dense(4, "tanh"), 2], seed=7)
    net.train(x, y, optimizer=OPTIMIZERS[name](), epochs=0)
    assert net.optimizer.t == 0
    loaded = round_trip(net, tmp_path)
    assert type(loaded.optimizer) is type(net.optimizer)
    assert loaded.optimizer.hyperparams() == net.optimizer.hyperparams()
    net.train(x, y, epochs=2, shuffle=False)
    loaded.train(x, y, epochs=2, shuffle=False)
    assert np.array_equal(loaded.flat, net.flat)


def test_network_without_optimizer_loads_without_one(tmp_path):
    assert round_trip(gone.Network([2, 1], seed=0), tmp_path).optimizer is None


def test_loads_of_to_message_matches_file(tmp_path):
    net = gone.Network([2, gone.Dense(3, "elu"), 1], seed=0)
    gone.save(net, tmp_path / "n.gone")
    assert (tmp_path / "n.gone").read_bytes() == gio.dumps(net)
    loaded, version = gio.load_file(tmp_path / "n.gone")
    assert version == gio.FORMAT_VERSION >= 1
    assert np.array_equal(loaded.flat, net.flat)


@st.composite
def networks(draw):
    names = gone.activations.names()
    n_layers = draw(st.integers(1, 4))
    layers = [draw(st.integers(1, 6))]
    for i in range(n_layers):
        name = draw(st.sampled_from(names))
        params = {}
        if name in ACT_PARAMS:
            key = next(iter(ACT_PARAMS[name]))
            params = {key: draw(st.floats(0.0, 3.0))}
        last = i == n_layers - 1
        layers.append(gone.Dense(
            draw(st.integers(1, 6)), gone.activations.get(name, **params),
            bias=draw(st.booleans()),
            dropout=0.0 if last else draw(st.sampled_from([0.0, 0.1, 0.5])),
            l2=draw(st.sampled_from([0.0, 1e-4, 0.5]))))
    meta = draw(st.fixed_dictionaries({}, optional={
        "fitness": st.floats(allow_nan=False), "generation": st.integers(-2**63, 2**63 - 1),
        "notes": st.text(min_size=1, max_size=20), "tag": st.text(max_size=10)}))
    return gone.Network(layers, loss=draw(st.sampled_from(gone.losses.names())),
                        learning_rate=draw(st.floats(1e-6, 10.0)),
                        dtype=draw(st.sampled_from(["float64", "float32"])),
                        init=draw(st.sampled_from(["uniform", "xavier", "he"])),
                        metadata=meta, seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), seed=st.integers(0, 2**32 - 1))
def test_round_trip_property(net, seed):
    x = np.random.default_rng(seed).normal(size=(3, net.n_inputs)) * 3
    loaded = gio.loads(gio.dumps(net))
    with np.errstate(all="ignore"):
        assert_same_network(net, loaded, x)


# --- atomic writes ----------------------------------------------------------

@pytest.fixture
def existing(tmp_path):
    """A file saved earlier, and a different network to save over it."""
    path = tmp_path / "net.gone"
    gone.save(gone.Network([2, gone.Dense(3, "sigmoid"), 1], seed=1), path)
    return path, path.read_bytes(), gone.Network([2, gone.Dense(9, "relu"), 2], seed=2)


def test_save_replaces_file_and_leaves_no_temp(existing):
    path, _, new = existing
    gone.save(new, path)
    assert path.read_bytes() == gio.dumps(new)
    assert os.listdir(path.parent) == [path.name]


def test_crash_in_rename_keeps_old_file(existing, monkeypatch):
    path, old, new = existing

    def crash(src, dst):
        raise OSError(errno.EIO, "simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        gone.save(new, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(path.parent) == [path.name]


class _HalfWriter:
    """A file object that writes half of the data, then fails like a full disk."""

    def __init__(self, fh, exc):
        self._fh, self._exc = fh, exc

    def write(self, data):
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        raise self._exc

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"),
                                 KeyboardInterrupt()])
def test_crash_mid_write_keeps_old_file(existing, monkeypatch, exc):
    path, old, new = existing
    real_fdopen = os.fdopen
    written = []

    def fdopen(fd, *args, **kwargs):
        fh = real_fdopen(fd, *args, **kwargs)
        written.append(fh.name)
        return _HalfWriter(fh, exc)

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(type(exc)):
        gone.save(new, path)
    monkeypatch.undo()
    assert written, "the crash was not injected"
    assert path.read_bytes() == old
    assert os.listdir(path.parent) == [path.name]


def test_crash_writing_new_file_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "boom")))
    with pytest.raises(OSError, match="boom"):
        gone.save(gone.Network([2, 1], seed=0), tmp_path / "new.gone")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_normal_permissions(tmp_path):
    """Like open(path, "wb"): a new file follows the umask, an existing one keeps its mode."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "n.gone"
        gone.save(gone.Network([2, 1], seed=0), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o640)
        gone.save(gone.Network([2, 1], seed=1), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)


# --- bad files ---------------------------------------------------------------

def good_message(**kw):
    net = gone.Network([2, gone.Dense(3, "sigmoid"), 1], seed=0, **kw)
    return gio.to_message(net)


def load_error(msg_or_bytes, tmp_path, name="bad.gone") -> str:
    # Crafted messages are sealed like real files, so the check under test is
    # the structural one, not the checksum.
    data = msg_or_bytes if isinstance(msg_or_bytes, bytes) else gio.seal(msg_or_bytes.SerializeToString())
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(gone.GoneFormatError) as info:
        gone.load(path)
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return message


def test_empty_file(tmp_path):
    assert "at least 2 layers" in load_error(b"", tmp_path)


def test_truncated_file(tmp_path):
    net = gone.Network([2, gone.Dense(3, "sigmoid"), 1], seed=0, dtype="float32",
                       metadata={"notes": "n"})
    data = gio.dumps(net)
    # Cut inside the first Weights matrix's packed doubles.
    msg = load_error(data[:30], tmp_path)
    assert "not a valid .gone file" in msg and "decode" in msg
    # Cut after the Go fields: the checksum trailer is missing.
    go_part = gio.to_message(net)
    for field in ("format_version", "dtype", "metadata"):
        go_part.ClearField(field)
    go_len = len(go_part.SerializeToString())
    assert "truncated or incomplete" in load_error(data[:go_len + 2], tmp_path)  # after format_version
    assert "truncated" in load_error(data[:-1], tmp_path)
    # Every cut fails, except a cut that leaves exactly a complete Go-layout file
    # (protobuf has no end marker; Go's files carry no checksum), and then the
    # weights are all there.
    x = np.array([[0.3, -0.7]])
    loaded = 0
    for cut in range(len(data)):
        try:
            cut_net = gio.loads(data[:cut])
        except gone.GoneFormatError:
            continue
        loaded += 1
        assert cut <= go_len, f"a file cut at byte {cut} of {len(data)} loaded"
        np.testing.assert_allclose(cut_net.predict(x), net.predict(x), rtol=1e-6)
    assert loaded <= 3


def test_bit_rot_is_caught_by_the_checksum(tmp_path):
    net = gone.Network([2, gone.Dense(3, "sigmoid"), 1], seed=0)
    data = bytearray(gio.dumps(net))
    weight_byte = data.index(np.float64(net.layers[0].weight[0, 0]).tobytes()) + 3
    data[weight_byte] ^= 0x10  # still a valid double, just a different weight
    assert "corrupt (checksum mismatch)" in load_error(bytes(data), tmp_path)


def test_random_bytes(tmp_path, rng):
    msg = load_error(rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(), tmp_path)
    assert "not a valid .gone file" in msg


def test_text_file(tmp_path):
    assert "not a valid .gone file" in load_error(b"hello, this is not a network\n", tmp_path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.gone"
    with pytest.raises(gone.GoneFormatError, match=r"cannot read .*nope\.gone.*No such file"):
        gone.load(path)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(gone.GoneFormatError, match="cannot read"):
        gone.load(tmp_path)


def test_wrong_data_length(tmp_path):
    m = good_message()
    del m.Weights[0].Data[-1]
    assert "Weights[0] declares shape (3, 2) (6 values) but holds 5 values" in load_error(m, tmp_path)
    m = good_message()
    m.Biases[1].Data.append(0.5)
    assert "Biases[1] declares shape (1, 1) (1 values) but holds 2 values" in load_error(m, tmp_path)


def test_rows_columns_not_matching_layers(tmp_path):
    m = good_message()
    m.Weights[0].Rows, m.Weights[0].Columns = 2, 3  # transposed, same number of values
    assert "Weights[0] is 2x3, expected 3x2" in load_error(m, tmp_path)
    m = good_message()
    m.Biases[0].Columns = 3
    assert "Biases[0] is 3x3, expected 3x1" in load_error(m, tmp_path)


def test_matrix_count_not_matching_layers(tmp_path):
    m = good_message()
    del m.Weights[1]
    assert "3 layers but 1 Weights matrices (expected 2)" in load_error(m, tmp_path)
    m = good_message()
    m.Biases.add()
    assert "3 layers but 3 Biases matrices (expected 2)" in load_error(m, tmp_path)


def test_one_layer(tmp_path):
    m = NeuralNetwork(Layers=[Layer(Nodes=3)])
    assert "needs at least 2 layers" in load_error(m, tmp_path)


def _bounded_load(msg, limit=8 << 20):
    """The error from loading ``msg``, checking no more than ``limit`` bytes were allocated."""
    data = gio.seal(msg.SerializeToString())
    tracemalloc.start()
    try:
        with pytest.raises(gone.GoneFormatError) as info:
            gio.loads(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"loading a {len(data)}-byte file allocated {peak} bytes"
    return str(info.value)


@pytest.mark.parametrize("nodes", [0, -3, 2**30, 2**31 - 1, -2**31])
def test_bad_node_count(nodes):
    m = good_message()
    m.Layers[1].Nodes = nodes
    assert f"layer 1 has {nodes} nodes (must be 1..{gio.MAX_UNITS})" in _bounded_load(m)


@pytest.mark.parametrize("rows, cols", [(2**31 - 1, 2), (3, 2**31 - 1), (-3, 2), (3, -2)])
def test_huge_or_negative_matrix_dimensions(rows, cols):
    m = good_message()
    m.Weights[0].Rows, m.Weights[0].Columns = rows, cols
    assert f"Weights[0] is {rows}x{cols}, expected 3x2" in _bounded_load(m)


@pytest.mark.parametrize("nodes", [4000, gio.MAX_UNITS])
def test_declared_sizes_cost_no_memory(nodes):
    """Big but legal layer sizes with no data behind them fail before anything is allocated."""
    m = NeuralNetwork(Layers=[Layer(Nodes=nodes), Layer(Nodes=nodes)],
                      Weights=[Matrix(Rows=nodes, Columns=nodes)],
                      Biases=[Matrix(Rows=nodes, Columns=1)])
    assert f"Weights[0] declares shape ({nodes}, {nodes})" in _bounded_load(m)


def test_huge_optimizer_tensor_shape():
    m = good_message()
    m.optimizer.name = "momentum"
    m.optimizer.step = 1
    m.optimizer.slots["velocity"].tensors.add(shape=[2**62], data=[0.0])
    assert "has shape (4611686018427387904,), expected (13,)" in _bounded_load(m)


def test_unknown_activation(tmp_path):
    m = good_message()
    m.Layers[1].Activator = "swoosh"
    msg = load_error(m, tmp_path)
    assert "layer 1" in msg and "unknown activation 'swoosh'" in msg


def test_bad_activation_params(tmp_path):
    m = good_message()
    m.Layers[1].activator_params["alpha"] = 0.3  # sigmoid takes none
    assert "layer 1: activation 'sigmoid' does not take parameters" in load_error(m, tmp_path)
    m = good_message()
    m.Layers[1].Activator = "isru"
    m.Layers[1].activator_params["alpha"] = -1.0
    assert "layer 1: isru alpha must be a finite number >= 0" in load_error(m, tmp_path)


@pytest.mark.parametrize("field", ["dropout", "l2", "alpha"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_layer_settings(tmp_path, field, value):
    m = good_message()
    m.Layers[1].Activator = "leaky_relu"
    if field == "alpha":
        m.Layers[1].activator_params["alpha"] = value
    else:
        setattr(m.Layers[1], field, value)
    assert f"layer 1: {field} is {value}, not a finite number" in load_error(m, tmp_path)


def test_bad_dropout(tmp_path):
    m = good_message()
    m.Layers[1].dropout = 1.5
    assert "layer 1: dropout must be in [0, 1)" in load_error(m, tmp_path)
    m = good_message()
    m.Layers[2].dropout = 0.5
    assert "output layer cannot have dropout" in load_error(m, tmp_path)


def test_negative_l2(tmp_path):
    m = good_message()
    m.Layers[2].l2 = -0.1
    assert "layer 2: l2 must be a finite number >= 0" in load_error(m, tmp_path)


def test_unknown_layer_kind(tmp_path):
    m = good_message()
    m.Layers[2].kind = "lstm"
    assert "layer 2: layer kind 'lstm' is not known" in load_error(m, tmp_path)


def test_unknown_loss(tmp_path):
    m = good_message()
    m.Loss = "hinge"
    assert "unknown loss 'hinge'" in load_error(m, tmp_path)


@pytest.mark.parametrize("dtype", ["float16", "int32", "Float64x"])
def test_unknown_dtype(tmp_path, dtype):
    m = good_message()
    m.dtype = dtype
    assert f"unknown dtype '{dtype}'" in load_error(m, tmp_path)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["Weights[0]", "Biases[1]"])
def test_non_finite_weights(tmp_path, value, where):
    m = good_message()
    field, i = where[:-3], int(where[-2])
    getattr(m, field)[i].Data[0] = value
    assert f"{where} contains NaN or infinite values" in load_error(m, tmp_path)


def test_float32_overflow(tmp_path):
    """A finite double that is infinite as float32 would load as inf weights."""
    m = good_message(dtype="float32")
    m.Weights[1].Data[2] = 1e300
    assert "Weights[1] holds values too large for float32" in load_error(m, tmp_path)
    m = good_message(dtype="float32")
    m.Weights[1].Data[2] = 3e38  # below float32 max: fine
    assert gio.loads(gio.seal(m.SerializeToString())).layers[1].weight[0, 2] == np.float32(3e38)


@pytest.mark.parametrize("lr", [-0.1, math.nan, math.inf])
def test_bad_learning_rate(tmp_path, lr):
    m = good_message()
    m.LearningRate = lr
    assert f"learning rate {lr} is not a non-negative number" in load_error(m, tmp_path)


def test_no_bias_layer_with_biases(tmp_path):
    net = gone.Network([2, gone.Dense(3, "relu", bias=False), 1], seed=0)
    m = gio.to_message(net)
    assert list(m.Biases[0].Data) == [0.0, 0.0, 0.0]  # no bias is written as zeros (for Go)
    m.Biases[0].Data[1] = 0.25
    assert "Biases[0] is non-zero but layer 1 has no bias" in load_error(m, tmp_path)


def _with_optimizer(rng):
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    net = gone.Network([2, gone.Dense(3, "sigmoid"), 1], seed=0)
    net.train(x, y, optimizer=gone.Adam(batch_size=2), epochs=1)
    return gio.to_message(net)


def test_bad_optimizer_state(tmp_path, rng):
    m = _with_optimizer(rng)
    m.optimizer.name = "lbfgs"
    assert "unknown optimizer 'lbfgs'" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    m.optimizer.slots["m"].tensors.add(shape=[13], data=[0.0] * 13)
    assert "optimizer slot 'm' has 2 arrays for 1 parameters" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    m.optimizer.slots["v"].tensors[0].shape[:] = [12]
    assert "optimizer slot 'v'[0] has shape (12,), expected (13,)" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    del m.optimizer.slots["v"].tensors[0].data[-1]
    assert "optimizer slot 'v'[0] declares shape (13,) (13 values) but holds 12" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    m.optimizer.slots["m"].tensors[0].data[3] = math.nan
    assert "optimizer slot 'm'[0] contains NaN" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    del m.optimizer.slots["v"]
    assert "saved state has slots ['m'], expected ['m', 'v']" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    m.optimizer.step = -1
    assert "step must be an integer >= 0" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    m.optimizer.hyperparams["beta1"] = 1.5
    assert "beta1 must be in [0, 1)" in load_error(m, tmp_path)

    m = _with_optimizer(rng)
    m.optimizer.hyperparams["warmup"] = 3
    assert "optimizer 'adam': bad saved settings" in load_error(m, tmp_path)


def test_unused_optimizer_with_unknown_name(tmp_path):
    m = good_message()
    m.optimizer.name = "lbfgs"
    assert "unknown optimizer 'lbfgs'" in load_error(m, tmp_path)


def test_invalid_utf8_in_name(tmp_path):
    data = good_message().SerializeToString()
    assert b"sigmoid" in data
    msg = load_error(data.replace(b"sigmoid", b"sigm\xffid", 1), tmp_path)
    assert "not a valid .gone file" in msg


# --- the seal: format version first, crc32 last (issue 12 item 4) ------------------

def _sealed_file():
    net = gone.Network([3, gone.Dense(4, "sigmoid"), gone.Dense(2, "relu")], seed=5,
                       metadata={"notes": "seal"})
    net.train(np.ones((4, 3)), np.zeros((4, 2)), optimizer=gone.Adam(batch_size=2), epochs=1)
    return gio.dumps(net)


def test_every_single_bit_flip_is_rejected():
    """CRC-32 catches every one-bit error, so no flip may switch the checksum off
    (before, flipping format_version 1 -> 0 made the file pass for a Go file)."""
    data = _sealed_file()
    assert data[:2] == bytes([8 << 3, gio.FORMAT_VERSION])
    for i in range(len(data)):
        for bit in range(8):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            with pytest.raises(gone.GoneFormatError):
                gio.loads(bytes(bad), "flipped")


def test_every_truncation_is_rejected():
    """A file cut anywhere (also just before format_version) never loads as a Go file."""
    data = _sealed_file()
    for n in range(len(data)):
        with pytest.raises(gone.GoneFormatError):
            gio.loads(data[:n], "cut")


def test_files_written_before_the_version_prefix_still_load():
    """Older gone files carry format_version after the Go fields and the crc at the end."""
    net = gone.Network([2, gone.Dense(3, "tanh"), 1], seed=1)
    body = gio.to_message(net).SerializeToString()
    old = body + gio._CRC_TAG + gio.struct.pack("<I", gio.zlib.crc32(body))
    np.testing.assert_array_equal(gio.loads(old).flat, net.flat)
    with pytest.raises(gone.GoneFormatError, match="checksum"):
        gio.loads(body, "unsealed")  # gone-only fields without a seal


def test_a_go_layout_file_needs_no_seal_but_any_gone_field_needs_one():
    m = gio.pb.NeuralNetwork(LearningRate=0.1, Loss="mse")
    for n in (2, 1):
        m.Layers.append(gio.pb.Layer(Nodes=n, Activator="sigmoid"))
    m.Weights.append(gio.pb.Matrix(Rows=1, Columns=2, Data=[0.5, -0.5]))
    m.Biases.append(gio.pb.Matrix(Rows=1, Columns=1, Data=[0.1]))
    assert gio.loads(m.SerializeToString()).predict([1.0, 1.0]).shape == (1,)
    for gone_field in ("dtype", "dropout", "unknown"):
        g = gio.pb.NeuralNetwork()
        g.CopyFrom(m)
        if gone_field == "dtype":
            g.dtype = "float64"
        elif gone_field == "dropout":
            g.Layers[1].no_bias = False
            g.Layers[1].l2 = 0.5
        data = g.SerializeToString() + (b"\xa0\x06\x01" if gone_field == "unknown" else b"")
        with pytest.raises(gone.GoneFormatError, match="no checksum"):
            gio.loads(data, gone_field)
        assert gio.loads(gio.seal(data)).n_inputs == 2
