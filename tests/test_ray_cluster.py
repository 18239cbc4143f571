"""The Ray backend on a real two-node cluster (the cases are in ray_cluster_cases.py).

The cases run in a pytest of their own, in a subprocess: this process must not
be a Ray driver of a cluster that the cases start and kill (a driver whose
cluster goes away can be ended by Ray itself), and nothing of the cluster may
outlive the run. Skipped only where Ray is not installed, never under CI=true.

The ``ray://`` client case is not part of the default run: Ray's client server
(a process the head starts per client) failed to start within Ray's 30 s in 3
of 5 runs on this 2-core machine, and with 120 s still in 1 of 7. It runs, on a
cluster of its own, when ``GONE_TEST_RAY_CLIENT=1`` is set.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).with_name("ray_cluster_cases.py")


RUNS = [("not ray_client", 5)] + ([("ray_client", 1)]
                                  if os.environ.get("GONE_TEST_RAY_CLIENT") == "1" else [])


@pytest.mark.parametrize("select, expected", RUNS, ids=[s for s, _ in RUNS])
def test_the_cluster_cases_pass_in_a_process_of_their_own(select, expected):
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ray is not installed, and CI must run the cluster test")
        pytest.skip("ray is not installed (pip install 'gone-nn[ray]')")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(CASES), "-k", select], capture_output=True, text=True,
                            timeout=900, cwd=CASES.parent.parent)
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    assert f"{expected} passed" in result.stdout, tail
