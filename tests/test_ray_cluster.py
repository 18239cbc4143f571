"""The Ray backend on a real two-node cluster (the cases are in ray_cluster_cases.py).

The cases run in a pytest of their own, in a subprocess: this process must not
be a Ray driver of a cluster that the cases start and kill (a driver whose
cluster goes away can be ended by Ray itself), and nothing of the cluster may
outlive the run: the cluster's processes and temp dir carry a tag chosen here,
and what is left of them when the subprocess ends (it died before its
finalizer) is removed.
Skipped only where Ray is not installed, never under CI=true. The ``ray://``
client case runs with the others, on the same cluster.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from ray_marks import TAG, kill_marked, temp_prefix

CASES = Path(__file__).with_name("ray_cluster_cases.py")
N_CASES = 7  # ray_cluster_cases.py's tests, the ray:// one included
RAY_CLIENT_CASE = ("tests/ray_cluster_cases.py::"
                   "test_gone_evolve_on_the_cluster_matches_the_process_backend[ray_client]")


def test_the_cluster_cases_pass_in_a_process_of_their_own():
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ray is not installed, and CI must run the cluster test")
        pytest.skip("ray is not installed (pip install 'gone-nn[ray]')")
    tag = uuid.uuid4().hex[:12]
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 "-rA", str(CASES)], capture_output=True, text=True,
                                timeout=900, cwd=CASES.parent.parent, env={**os.environ, TAG: tag})
    finally:
        left = sum(kill_marked(f"{tag}-{role}") for role in ("worker", "head"))
        for temp in Path(tempfile.gettempdir()).glob(temp_prefix(tag) + "*"):
            shutil.rmtree(temp, ignore_errors=True)
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    assert f"{N_CASES} passed" in result.stdout, tail
    assert f"PASSED {RAY_CLIENT_CASE}" in result.stdout, tail
    assert left == 0, f"{left} processes of the cluster outlived the cases"
