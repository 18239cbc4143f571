"""ONNX export and import, checked against onnxruntime (and onnx's reference evaluator
where onnxruntime has no float64 kernel, e.g. Conv)."""

import sys

import numpy as np
import pytest

import gone
from gone.cli import main
from gone.errors import GoneFormatError

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime (onnx extra) is not installed")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

BATCHES = (1, 7, 64)
# gone's own activations (neat-python's neat_* have no ONNX or PyTorch form: refused by name)
ACTIVATIONS = [(name, {}) for name in gone.activations.names() if not name.startswith("neat_")] + [
    ("leaky_relu", {"alpha": 0.2}), ("elu", {"alpha": 0.7}), ("swish", {"beta": 1.7}),
    ("isru", {"alpha": 0.3})]


def run_ort(model, x):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def inputs(rng, net, batch, scale=3.0):
    shape = net.input_shape or (net.n_inputs,)
    # scale 3 reaches both tails of every activation (and binary_step's two sides)
    return (scale * rng.normal(size=(batch, *shape))).astype(net.dtype)


def same_network(a, b):
    assert a.summary() == b.summary()
    assert a.dtype == b.dtype and a.loss.name == b.loss.name
    assert [(l.activation.name, l.activation.params) for l in a.layers] == \
        [(l.activation.name, l.activation.params) for l in b.layers]
    assert np.array_equal(a.genome(), b.genome())


@pytest.mark.parametrize("name,params", ACTIVATIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dense_activation_matches_onnxruntime_and_round_trips(tmp_path, rng, name, params, dtype):
    act = gone.activations.get(name, **params)
    net = gone.Network([5, gone.Dense(6, act), gone.Dense(4, act)], dtype=dtype, seed=1)
    path = tmp_path / "net.onnx"
    model = net.to_onnx(path)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for batch in BATCHES:
        x = inputs(rng, net, batch)
        got = run_ort(model, x)
        assert got.dtype == np.dtype(dtype) and got.shape == (batch, 4)
        np.testing.assert_allclose(got, net.predict(x), rtol=0, atol=tol)
    back = gone.from_onnx(path)
    same_network(net, back)
    x = inputs(rng, net, 9)
    assert np.array_equal(back.predict(x), net.predict(x))


def cnn(dtype, act="relu", last="softmax"):
    return gone.Network([(2, 9, 8),
                         gone.Conv2D(4, 3, padding="same", activation=act),
                         gone.MaxPool2D(2),
                         gone.Conv2D(3, (3, 2), stride=2, padding=1, activation="tanh", bias=False),
                         gone.MaxPool2D(2, stride=1),
                         gone.Flatten(),
                         gone.Dense(8, "relu", dropout=0.25, l2=0.01),
                         gone.Dense(5, last)], loss="cross_entropy", dtype=dtype, seed=2)


@pytest.mark.parametrize("act", ["relu", "sigmoid", "elu", "swish", "softmax", "gelu"])
def test_cnn_matches_onnxruntime_in_float32(rng, act):
    net = cnn("float32", act)
    model = net.to_onnx()
    for batch in BATCHES:
        x = inputs(rng, net, batch, scale=1.0)
        np.testing.assert_allclose(run_ort(model, x), net.predict(x), rtol=0, atol=1e-5)


def test_float64_cnn_matches_the_onnx_reference_evaluator_and_round_trips(tmp_path, rng):
    # onnxruntime has no float64 Conv kernel; onnx's own evaluator runs the model as written.
    net = cnn("float64", "swish", last="sigmoid")
    path = tmp_path / "cnn.onnx"
    net.to_onnx(path)
    x = inputs(rng, net, 5, scale=1.0)
    got = ReferenceEvaluator(str(path)).run(None, {"input": x})[0]
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, net.predict(x), rtol=0, atol=1e-12)
    back = gone.from_onnx(path)
    same_network(net, back)
    assert back.layers[0].padding == "same" and back.layers[2].padding == 1
    assert back.layers[5].dropout == 0.25 and back.layers[5].l2 == 0.01


def test_export_has_a_dynamic_batch_and_passes_the_checker(rng):
    model = cnn("float32").to_onnx()
    onnx.checker.check_model(model, full_check=True)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [2, 9, 8]
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT


# --- graph networks ------------------------------------------------------------

def feed_forward_graph():
    return gone.GraphNetwork(["a", "b"], ["o", "p"], {
        "o": {"activation": "sigmoid", "synapses": {"h": 2.0, "k": 1.0, "a": 0.1}},
        "h": {"bias": 0.5, "activation": "tanh", "synapses": {"a": 1.0, "b": -2.0}},
        "k": {"activation": "leaky_relu", "activation_params": {"alpha": 0.1},
              "synapses": {"a": 0.3, "h": -0.7}},
        "p": {"bias": -1.0, "synapses": {"h": 1.5, "b": 0.25}}})


@pytest.mark.parametrize("batch", BATCHES)
def test_feed_forward_graph_matches_onnxruntime(rng, batch):
    graph = feed_forward_graph()
    x = 2 * rng.normal(size=(batch, 2))
    want, _ = graph.step(x)
    np.testing.assert_allclose(run_ort(gone.to_onnx(graph), x), want, rtol=0, atol=1e-12)


def test_layered_graph_matches_its_network(rng):
    net = gone.Network([3, gone.Dense(4, "gelu"), gone.Dense(2, "arctan")], seed=4)
    graph = gone.GraphNetwork.from_network(net)
    x = rng.normal(size=(6, 3))
    np.testing.assert_allclose(run_ort(gone.to_onnx(graph), x), net.predict(x), atol=1e-12)


def test_recurrent_graph_exports_one_step_with_state_in_and_out(rng):
    graph = gone.GraphNetwork(["x", "r"], ["m", "o"], {
        "m": {"activation": "tanh", "synapses": {"x": 1.0, "m": 0.5, "o": -0.3}},
        "o": {"bias": 0.1, "activation": "sigmoid", "synapses": {"m": 2.0, "r": 1.0, "o": 0.7}},
        "h": {"activation": "relu", "synapses": {"o": 1.0, "x": -1.0}}})
    assert graph.cycle_closing()
    model = gone.to_onnx(graph)
    assert [i.name for i in model.graph.input] == ["input", "state"]
    assert [o.name for o in model.graph.output] == ["output", "new_state"]
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    state = onnx_state = np.zeros((4, graph.n_neurons))
    for _ in range(6):  # the state carries over: a wrong step drifts away within a few
        x = rng.normal(size=(4, 2))
        want, state = graph.step(x, state)
        got, onnx_state = session.run(None, {"input": x, "state": onnx_state})
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        np.testing.assert_allclose(onnx_state, state, rtol=0, atol=1e-12)


def test_a_recurrent_graph_is_not_read_back_as_a_network():
    graph = gone.GraphNetwork(["x"], ["m"], {"m": {"synapses": {"x": 1.0, "m": 0.5}}})
    with pytest.raises(GoneFormatError, match="one input and one output"):
        gone.from_onnx(gone.to_onnx(graph))


# --- import of models other tools write --------------------------------------------

def model_of(nodes, inits, in_shape, out_shape, elem=TensorProto.FLOAT, opset=17):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("input", elem, in_shape)],
        [helper.make_tensor_value_info("output", elem, out_shape)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_import_matmul_add_reshape_and_auto_pad(rng):
    f32 = np.float32
    w1 = rng.normal(size=(3, 1, 3, 3)).astype(f32)
    b1 = rng.normal(size=(1, 3, 1, 1)).astype(f32)
    w2 = rng.normal(size=(3 * 3 * 3, 4)).astype(f32)
    b2 = rng.normal(size=(4,)).astype(f32)
    nodes = [helper.make_node("Conv", ["input", "w1"], ["c"], auto_pad="SAME_UPPER"),
             helper.make_node("Add", ["c", "b1"], ["cb"]),
             helper.make_node("LeakyRelu", ["cb"], ["r"], alpha=0.1),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Reshape", ["p", "shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "w2"], ["m"]),
             helper.make_node("Add", ["m", "b2"], ["z"]),
             helper.make_node("Dropout", ["z"], ["d"]),
             helper.make_node("Softmax", ["d"], ["output"], axis=1)]
    model = model_of(nodes, {"w1": w1, "b1": b1, "w2": w2, "b2": b2,
                             "shape": np.array([0, -1], np.int64)}, ["N", 1, 6, 6], ["N", 4])
    net = gone.from_onnx(model)
    assert net.dtype == np.float32 and net.loss.name == "cross_entropy"
    assert [l.kind for l in net.layers] == ["conv2d", "maxpool2d", "flatten", "dense"]
    assert net.layers[0].padding == "same" and net.layers[0].activation.params == {"alpha": 0.1}
    x = rng.normal(size=(5, 1, 6, 6)).astype(f32)
    np.testing.assert_allclose(net.predict(x), run_ort(model, x), rtol=0, atol=1e-5)


@pytest.mark.parametrize("trans_b", [0, 1])
def test_import_gemm_with_alpha_beta_and_transpose(rng, trans_b):
    w = rng.normal(size=(3, 2) if trans_b else (2, 3))
    c = rng.normal(size=(3,))
    node = helper.make_node("Gemm", ["input", "w", "c"], ["z"], alpha=0.5, beta=2.0,
                            transB=trans_b)
    model = model_of([node, helper.make_node("Elu", ["z"], ["output"], alpha=0.5)],
                     {"w": w, "c": c}, ["N", 2], ["N", 3], TensorProto.DOUBLE)
    net = gone.from_onnx(model)
    x = rng.normal(size=(4, 2))
    want = ReferenceEvaluator(model).run(None, {"input": x})[0]
    np.testing.assert_allclose(net.predict(x), want, rtol=0, atol=1e-12)


def test_unsupported_operator_is_refused_naming_it_and_its_node(rng):
    nodes = [helper.make_node("Gemm", ["input", "w"], ["z"], transB=1, name="dense1"),
             helper.make_node("HardSwish", ["z"], ["output"], name="odd_one")]
    model = model_of(nodes, {"w": rng.normal(size=(2, 2)).astype(np.float32)}, ["N", 2], ["N", 2])
    with pytest.raises(GoneFormatError, match=r"node 'odd_one' \(HardSwish\): operator HardSwish"):
        gone.from_onnx(model)


def test_branching_graph_is_refused(rng):
    w = rng.normal(size=(2, 2)).astype(np.float32)
    nodes = [helper.make_node("Gemm", ["input", "w"], ["a"], transB=1),
             helper.make_node("Add", ["a", "input"], ["output"], name="skip")]
    with pytest.raises(GoneFormatError, match=r"node 'skip' \(Add\).*branching"):
        gone.from_onnx(model_of(nodes, {"w": w}, ["N", 2], ["N", 2]))


def test_exact_gelu_is_refused_and_tanh_gelu_read(rng):
    w = rng.normal(size=(2, 2)).astype(np.float32)
    for approx, ok in (("tanh", True), ("none", False)):
        nodes = [helper.make_node("Gemm", ["input", "w"], ["a"], transB=1),
                 helper.make_node("Gelu", ["a"], ["output"], approximate=approx, name="g")]
        model = model_of(nodes, {"w": w}, ["N", 2], ["N", 2], opset=20)
        if ok:
            assert gone.from_onnx(model).layers[0].activation.name == "gelu"
        else:
            with pytest.raises(GoneFormatError, match="exact"):
                gone.from_onnx(model)


@pytest.mark.parametrize("data,match", [
    (b"", "not a valid ONNX model"),
    (b"\x08\x07garbage that is not protobuf \xff\xff\xff", "not"),
    (b"not onnx at all", "not"),
])
def test_bad_files_raise_gone_format_error(tmp_path, data, match):
    path = tmp_path / "bad.onnx"
    path.write_bytes(data)
    with pytest.raises(GoneFormatError, match=match):
        gone.from_onnx(path)


def test_truncated_model_raises_gone_format_error(tmp_path):
    data = cnn("float32").to_onnx().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(GoneFormatError):
        gone.from_onnx(path)


def test_missing_file_raises_gone_format_error(tmp_path):
    with pytest.raises(GoneFormatError, match="cannot read"):
        gone.from_onnx(tmp_path / "nope.onnx")


# --- the command line ------------------------------------------------------------

def test_cli_export_then_import_round_trips(tmp_path, rng, capsys):
    net = cnn("float32", "elu")
    net.save(tmp_path / "a.gone")
    assert main(["export", str(tmp_path / "a.gone"), str(tmp_path / "a.onnx")]) == 0
    assert main(["import", str(tmp_path / "a.onnx"), str(tmp_path / "b.gone")]) == 0
    same_network(net, gone.load(tmp_path / "b.gone"))
    assert "(batch, 2, 9, 8)" in capsys.readouterr().out


def test_cli_exports_a_graph_json(tmp_path, rng):
    graph = feed_forward_graph()
    graph.save(tmp_path / "g.json")
    assert main(["export", str(tmp_path / "g.json"), str(tmp_path / "g.onnx")]) == 0
    x = rng.normal(size=(3, 2))
    np.testing.assert_allclose(run_ort(onnx.load(tmp_path / "g.onnx"), x), graph.step(x)[0])


def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "bad.onnx").write_bytes(b"junk")
    assert main(["import", str(tmp_path / "bad.onnx"), str(tmp_path / "x.gone")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gone: error: ") and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:  # argparse checks the output path before any work
        main(["export", str(tmp_path / "bad.onnx"), str(tmp_path / "no" / "x.onnx")])
    assert exc.value.code == 2 and "does not exist" in capsys.readouterr().err


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    from gone.errors import DependencyMissing

    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(DependencyMissing, match=r"\[onnx\]"):
        gone.Network([2, 1], seed=0).to_onnx(tmp_path / "x.onnx")
    with pytest.raises(DependencyMissing, match=r"\[onnx\]"):
        gone.from_onnx(tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
