#!/usr/bin/env bash
# sgclient installs from the build tree without a package index: a virtual environment over
# Debian's site packages (python3-grpcio, -protobuf, -pandas), `pip install --no-index`, and the
# installed package imports its generated stubs from outside the source and build trees.
#   install_check.sh PYTHON PACKAGE_DIR (build/clients/python) VERSION (common/version.h's)
set -euo pipefail
python="$1"
package="$2"
export SG_EXPECTED_VERSION="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# pip builds in the folder it installs from: install from a copy, leaving the build tree as it is.
cp -r "$package/setup.py" "$package/sgclient" "$work/"
mkdir "$work/src" && mv "$work/setup.py" "$work/sgclient" "$work/src/"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-index --no-build-isolation "$work/src"
rm -rf "$work/src"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import importlib.metadata
import os
import sgclient
from sgclient._proto.sg.v1 import sg_pb2, sg_pb2_grpc
assert "/venv/" in sgclient.__file__, sgclient.__file__
assert hasattr(sg_pb2_grpc, "SweepServiceStub") and sg_pb2.RunState.Name(3) == "RUN_STATE_SUCCEEDED"
assert sgclient.__version__ == os.environ["SG_EXPECTED_VERSION"], sgclient.__version__
assert importlib.metadata.version("sgclient") == sgclient.__version__
print("sgclient", sgclient.__version__, "installed at", sgclient.__file__)
PY
