#!/usr/bin/env bash
# Regenerate gone/_proto/gone_pb2.py from proto/gone.proto with the OLDEST protoc gone
# supports (3.21, from grpcio-tools 1.49.1), so the generated code runs on every protobuf
# runtime from the floor in pyproject.toml (4.21.12) to the newest 7.x. A newer protoc
# would write code that demands a runtime at least as new as itself.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q "grpcio-tools==1.49.1"
"$venv/bin/python" -m grpc_tools.protoc --proto_path=proto --python_out=gone/_proto proto/gone.proto
echo "wrote gone/_proto/gone_pb2.py"
