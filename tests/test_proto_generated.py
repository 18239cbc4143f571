"""gone/_proto/gone_pb2.py is generated from proto/gone.proto and must not drift from it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto" / "gone.proto"
GENERATED = ROOT / "gone" / "_proto" / "gone_pb2.py"


def test_generated_code_is_up_to_date(tmp_path):
    pytest.importorskip("grpc_tools.protoc",
                        reason="grpcio-tools (the dev extra) is needed to run protoc")
    result = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={PROTO.parent}",
         f"--python_out={tmp_path}", PROTO.name],
        cwd=PROTO.parent, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    fresh = (tmp_path / "gone_pb2.py").read_text()
    assert fresh == GENERATED.read_text(), (
        "gone/_proto/gone_pb2.py is stale; regenerate it with: python -m grpc_tools.protoc "
        "--proto_path=proto --python_out=gone/_proto proto/gone.proto"
    )


def test_generated_module_matches_schema():
    """The module gone imports has the Go fields 1-7 with their meaning (and nothing renumbered)."""
    from gone._proto import gone_pb2 as pb

    net = {f.name: (f.number, f.type) for f in pb.NeuralNetwork.DESCRIPTOR.fields}
    F = pb.NeuralNetwork.DESCRIPTOR.fields[0].__class__
    go = {"Weights": (1, F.TYPE_MESSAGE), "Biases": (2, F.TYPE_MESSAGE),
          "Activations": (3, F.TYPE_MESSAGE), "LearningRate": (4, F.TYPE_DOUBLE),
          "Layers": (5, F.TYPE_MESSAGE), "DebugMode": (6, F.TYPE_BOOL), "Loss": (7, F.TYPE_STRING)}
    assert {k: net[k] for k in go} == go
    assert all(number >= 8 for name, (number, _) in net.items() if name not in go)
    assert pb.DESCRIPTOR.package == "pb"
    assert [(f.name, f.number) for f in pb.Layer.DESCRIPTOR.fields][:2] == [("Nodes", 1), ("Activator", 2)]
    assert [(f.name, f.number) for f in pb.Matrix.DESCRIPTOR.fields] == [("Rows", 1), ("Columns", 2), ("Data", 3)]
