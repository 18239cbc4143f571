"""The environment marker of the Ray test cluster's processes, and their killer.

Shared by ray_cluster_cases.py (which starts the cluster and kills it when its
module ends) and test_ray_cluster.py (which runs those cases in a subprocess
and kills whatever is left of the cluster if that subprocess died first: a Ray
driver can end its own process, finalizers and all). No Ray import here.
"""

import os
import signal
import time

MARK = "GONE_TEST_RAY_NODE"    # environment marker of the cluster's processes: TAG-head, TAG-worker
TAG = "GONE_TEST_RAY_TAG"      # the cluster's TAG, when the caller chooses it


def temp_prefix(tag: str) -> str:
    """The start of the cluster's temp dir name (short: Ray's socket paths have a limit)."""
    return f"gr{tag[:6]}"


def _kill_round(needle: bytes) -> int:
    killed = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            os.kill(int(pid), signal.SIGKILL)
            killed += 1
        except OSError:  # gone already, or not ours to read
            pass
    return killed


def kill_marked(value: str) -> int:
    """SIGKILL every process whose environment holds ``MARK=value``; how many.

    Repeated until a round finds none: a dying raylet or agent can start a
    process after the round that killed it had passed its pid.
    """
    needle, killed = f"{MARK}={value}".encode(), 0
    for _ in range(20):
        n = _kill_round(needle)
        if n == 0:
            break
        killed += n
        time.sleep(0.2)
    return killed
