"""gone/_proto/gone_pb2.py is generated from proto/gone.proto and must not drift from it.

The module is generated with the oldest protoc gone supports (proto/generate.sh),
so it runs on every protobuf runtime from the floor up; the check below runs
whatever protoc the dev extra installed and compares the two schemas as
descriptors, not as text (a newer protoc writes different code for the same
schema).
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto" / "gone.proto"


def _file_descriptor(module) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)
    return proto


def _without_json_names(proto: descriptor_pb2.FileDescriptorProto):
    """The schema without ``json_name``, which protoc derives from the field name (and
    ``CopyToProto`` leaves out)."""
    proto = descriptor_pb2.FileDescriptorProto.FromString(proto.SerializeToString())

    def strip(messages):
        for message in messages:
            for field in message.field:
                field.ClearField("json_name")
            strip(message.nested_type)

    strip(proto.message_type)
    return proto


def _schema_of_fresh_protoc(tmp_path, proto: Path = PROTO) -> descriptor_pb2.FileDescriptorProto:
    """The descriptor protoc makes of proto/gone.proto today (as a serialized descriptor set)."""
    pytest.importorskip("grpc_tools.protoc",
                        reason="grpcio-tools (the dev extra) is needed to run protoc")
    out = tmp_path / "gone.desc"
    result = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={proto.parent}",
         f"--descriptor_set_out={out}", proto.name],
        cwd=proto.parent, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    assert len(files) == 1
    return _without_json_names(files[0])


def test_generated_code_is_up_to_date(tmp_path):
    from gone._proto import gone_pb2

    fresh = _schema_of_fresh_protoc(tmp_path)
    assert _file_descriptor(gone_pb2) == fresh, (
        "gone/_proto/gone_pb2.py is stale; regenerate it with proto/generate.sh")


def test_a_changed_schema_is_noticed(tmp_path):
    """The comparison above can fail: a renamed field makes the descriptors differ."""
    from gone._proto import gone_pb2

    changed = tmp_path / "proto"
    changed.mkdir()
    (changed / "gone.proto").write_text(PROTO.read_text().replace("LearningRate", "LearnRate"))
    assert _file_descriptor(gone_pb2) != _schema_of_fresh_protoc(tmp_path, changed / "gone.proto")


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


def test_generated_module_demands_no_newer_runtime():
    """Code from a new protoc calls ValidateProtobufRuntimeVersion and refuses older runtimes."""
    source = (ROOT / "gone" / "_proto" / "gone_pb2.py").read_text()
    assert "ValidateProtobufRuntimeVersion" not in source
    assert importlib.util.find_spec("gone._proto.gone_pb2") is not None
