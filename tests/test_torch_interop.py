"""PyTorch in and out: from_torch / to_torch agree with gone's predict to 1e-6 in float64."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gone
from gone.errors import ConfigError, DependencyMissing, ShapeError

torch = pytest.importorskip("torch", reason="the torch extra is not installed")
nn = torch.nn

# gone's own activations (neat-python's neat_* have no ONNX or PyTorch form: refused by name)
ACTIVATIONS = [(name, {}) for name in gone.activations.names() if not name.startswith("neat_")] + [
    ("leaky_relu", {"alpha": 0.2}), ("elu", {"alpha": 0.7}), ("swish", {"beta": 1.7})]


def run(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("name,params", ACTIVATIONS, ids=str)
def test_to_torch_matches_predict_for_every_activation(rng, name, params):
    act = gone.activations.get(name, **params)
    net = gone.Network([4, gone.Dense(6, act), gone.Dense(3, act)], seed=3)
    module = net.to_torch()
    x = 3 * rng.normal(size=(11, 4))
    np.testing.assert_allclose(run(module, x), net.predict(x), rtol=0, atol=1e-6)
    back = gone.from_torch(module)
    assert [(l.activation.name, l.activation.params) for l in back.layers] == \
        [(l.activation.name, l.activation.params) for l in net.layers]
    assert np.array_equal(back.genome(), net.genome())


def test_cnn_round_trip_in_float64_and_float32(rng):
    for dtype in ("float64", "float32"):
        net = gone.Network([(2, 9, 8), gone.Conv2D(4, 3, padding="same", activation="relu"),
                            gone.MaxPool2D(2), gone.Conv2D(3, (3, 2), stride=2, padding=1,
                                                           activation="softmax", bias=False),
                            gone.MaxPool2D(2, stride=1), gone.Flatten(), gone.Dense(5, "softmax")],
                           loss="cross_entropy", dtype=dtype, seed=5)
        module = net.to_torch()
        assert next(module.parameters()).dtype == getattr(torch, dtype)
        x = rng.normal(size=(6, 2, 9, 8)).astype(dtype)
        tol = 1e-6 if dtype == "float64" else 1e-5
        np.testing.assert_allclose(run(module, x), net.predict(x), rtol=0, atol=tol)
        back = gone.from_torch(module, input_shape=(2, 9, 8))
        assert back.dtype == np.dtype(dtype) and back.loss.name == "cross_entropy"
        assert np.array_equal(back.genome(), net.genome())
        assert np.array_equal(back.predict(x), net.predict(x))


def test_from_torch_reads_a_sequential_built_in_torch(rng):
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ELU(0.5), nn.MaxPool2d(2),
                           nn.Flatten(), nn.Dropout(0.1), nn.Linear(3 * 4 * 4, 8), nn.SiLU(),
                           nn.Linear(8, 2), nn.GELU(approximate="tanh")).double().eval()
    net = gone.from_torch(module, input_shape=(1, 8, 8))
    assert [l.kind for l in net.layers] == ["conv2d", "maxpool2d", "flatten", "dense", "dense"]
    assert net.layers[0].padding == 1 and net.layers[0].activation.params == {"alpha": 0.5}
    x = rng.normal(size=(5, 1, 8, 8))
    np.testing.assert_allclose(net.predict(x), run(module, x), rtol=0, atol=1e-6)


def test_state_dict_with_described_architecture(rng):
    module = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    net = gone.from_torch(module.state_dict(),
                          layers=[3, gone.Dense(5, "tanh"), gone.Dense(2)])
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(net.predict(x), run(module, x), rtol=0, atol=1e-6)
    with pytest.raises(ShapeError, match="holds 4 tensors.*needs 6"):
        gone.from_torch(module.state_dict(),
                        layers=[3, gone.Dense(5, "tanh"), gone.Dense(4), gone.Dense(2)])
    with pytest.raises(ShapeError, match="weight has shape"):
        gone.from_torch(module.state_dict(), layers=[4, gone.Dense(5), gone.Dense(2)])
    with pytest.raises(ConfigError, match="no architecture"):
        gone.from_torch(module.state_dict())


@pytest.mark.parametrize("module,match", [
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Linear(2, 1)), "BatchNorm1d"),
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.GELU()), "tanh approximation"),
    (lambda: nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "right after a Linear"),
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Tanh()), "one per layer"),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2), nn.Flatten(), nn.Linear(2, 1)),
     "dilation"),
    (lambda: nn.Linear(2, 1), "nn.Sequential"),
])
def test_unsupported_modules_are_refused_by_name(module, match):
    with pytest.raises(ConfigError, match=match):
        gone.from_torch(module(), input_shape=(1, 5, 5))


def test_pretrain_in_torch_evolve_in_gone_finetune_in_torch(rng):
    # The round trip the example shows, small: torch fits, gone mutates, torch continues.
    torch.manual_seed(1)
    x = rng.normal(size=(64, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(np.float64)
    module = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid()).double()
    opt = torch.optim.Adam(module.parameters(), lr=0.05)
    for _ in range(50):
        opt.zero_grad()
        loss = nn.functional.mse_loss(module(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        opt.step()
    net = gone.from_torch(module)
    child = net.mutate(gone.GaussianMutation(rate=1.0, std=0.01), rng)
    back = child.to_torch()
    np.testing.assert_allclose(run(back, x), child.predict(x), rtol=0, atol=1e-6)
    assert not np.allclose(run(back, x), run(module, x))  # the mutation travelled back
    back[0].weight.requires_grad_(True)
    nn.functional.mse_loss(back(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    assert back[0].weight.grad is not None  # a trainable torch module again


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    net = gone.Network([2, 1], seed=0)
    with pytest.raises(DependencyMissing, match=r"\[torch\]"):
        net.to_torch()
    with pytest.raises(DependencyMissing, match=r"\[torch\]"):
        gone.from_torch(object())


def test_torch_roundtrip_example_runs(tmp_path):
    example = Path(__file__).resolve().parent.parent / "examples" / "torch_roundtrip.py"
    out = subprocess.run([sys.executable, str(example)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    acc = [float(v) for v in re.findall(r"held-out accuracy ([\d.]+)", out.stdout)]
    before, after = map(float, re.search(r"log-likelihood ([-\d.]+) -> ([-\d.]+)",
                                         out.stdout).groups())
    assert len(acc) == 3 and acc[2] > acc[0] + 0.1  # fine-tuning the evolved net worked
    assert after > before  # evolution improved what it optimised


def test_modules_for_gone_only_activations_save_with_torch(tmp_path, rng):
    net = gone.Network([3, gone.Dense(4, "isru"), gone.Dense(2, "gaussian")], seed=0)
    torch.save(net.to_torch(), tmp_path / "m.pt")
    module = torch.load(tmp_path / "m.pt", weights_only=False)
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(run(module, x), net.predict(x), rtol=0, atol=1e-6)
    assert np.array_equal(gone.from_torch(module).genome(), net.genome())


def test_gone_reads_the_onnx_torch_writes(rng):
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    import io
    import warnings

    torch.manual_seed(2)
    module = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                           nn.Linear(48, 5), nn.LeakyReLU(0.1), nn.Linear(5, 3),
                           nn.Softmax(dim=1)).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(module, (torch.zeros(2, 1, 8, 8),), buf, dynamo=False,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    net = gone.from_onnx(buf.getvalue())
    assert [l.kind for l in net.layers] == ["conv2d", "maxpool2d", "flatten", "dense", "dense"]
    x = rng.normal(size=(4, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(net.predict(x), run(module, x), rtol=0, atol=1e-5)


def test_silu_as_torch_exports_it_reads_as_swish(rng):
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    import io
    import warnings

    module = nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 2)).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, 3),), buf, dynamo=False,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    net = gone.from_onnx(buf.getvalue())
    assert net.layers[0].activation.name == "swish"
    x = rng.normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(net.predict(x), run(module, x), rtol=0, atol=1e-5)
