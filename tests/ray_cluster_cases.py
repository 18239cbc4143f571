"""The Ray backend on a real two-node cluster, started the way users start one.

``ray start --head`` and ``ray start --address=...`` run as separate process
trees on this machine, one CPU each, joined with an auth token, everything on
127.0.0.1 and on ports and a temp dir of their own (other programs on the
machine may run Ray too). One cluster serves the module; the finalizer kills
exactly its processes (found by a marker in their environment, ray_marks.py):
``ray stop`` would kill every Ray process on the machine, other users' included.

On Linux, Ray replaces a loopback address (``--node-ip-address 127.0.0.1``,
``--address 127.0.0.1:PORT``, ``ray.init("127.0.0.1:PORT")``) by the machine's
outward address, so a test cluster would talk over the network interface.
``ray start`` runs here through a two-line wrapper that switches that one
rewrite off (``ray._private.services.resolve_ip_for_localhost``), and the
head and the drivers run with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray's own
switch for a single-machine cluster, which keeps 127.0.0.1 too (a worker node
cannot: with it, ``ray start --address`` refuses to join). The first test checks that
both nodes really are on 127.0.0.1.

The head runs with GRPC_ENABLE_FORK_SUPPORT=false. Its Ray client server (the
proxy behind ``ray://``) forks one process per client (``subprocess.Popen``
with a ``preexec_fn``, so a real fork) from a gRPC thread while other threads
are inside gRPC. grpcio's core has its fork handlers on by default (the Python
layer has them off: grpc/grpc#41588 calls it a mixed state); in the child they
restart gRPC's poller threads on the parent's half-copied state, and 4 of 65
children died before their exec (``Check failed: next_worker->state == KICKED``
or ``epoll_wait error: Bad file descriptor``; the proxy logs ``SpecificServer
startup failed``, then ``Timeout waiting for channel``: no timeout helps). The
child only execs, so it needs no fork handler: with them off, none of 100 died
and the proxy's ``skipping fork() handlers`` line is gone.
"""

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from ray_marks import MARK, TAG, kill_marked, temp_prefix

import gone
from gone.evolution.backends import RayBackend, SerialBackend

try:
    import ray
except ImportError:
    if os.environ.get("CI", "").lower() == "true":
        raise  # CI installs the dev extras: a missing ray there is a failure, not a skip
    pytest.skip("ray is not installed (pip install 'gone-nn[ray]')", allow_module_level=True)

# `ray start` with Ray's loopback -> outward-address rewrite switched off (see above).
RAY_START = [sys.executable, "-c",
             "import sys, ray._private.services as s; s.resolve_ip_for_localhost = lambda h: h; "
             "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; sys.exit(main())",
             "start"]
GONE = str(Path(sys.executable).with_name("gone"))
# Every driver and worker process of a node takes a port of its list, and a
# worker's port stays unusable for 60 s after the worker ends (its connections
# sit in TIME_WAIT). The module starts about 10 on the head (5 drivers, 5
# workers): with 8 ports, the last test's driver failed to register ("No
# available ports") and exited, or a worker did and the raylet waited 60 s.
WORKER_PORTS = 32
NODE_PORTS = 6 + WORKER_PORTS


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def node_ports(ports: list[int]) -> list[str]:
    """Every port a node opens, chosen here so nothing collides with another Ray."""
    return ["--node-manager-port", str(ports[0]), "--object-manager-port", str(ports[1]),
            "--dashboard-agent-listen-port", str(ports[2]),
            "--dashboard-agent-grpc-port", str(ports[3]),
            "--runtime-env-agent-port", str(ports[4]), "--metrics-export-port", str(ports[5]),
            "--worker-port-list", ",".join(map(str, ports[6:NODE_PORTS]))]


class Cluster:
    def __init__(self):
        # test_ray_cluster.py names the tag, to kill the cluster if this process dies first
        self.tag = os.environ.get(TAG) or uuid.uuid4().hex[:12]
        self.temp = tempfile.mkdtemp(prefix=temp_prefix(self.tag))
        ports = free_ports(2 + 2 * NODE_PORTS)
        self.address, self.client = f"127.0.0.1:{ports[0]}", f"ray://127.0.0.1:{ports[1]}"
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    "RAY_USAGE_STATS_ENABLED": "0",
                    # a dead node is declared dead within ~2 s, not the default ~30 s
                    "RAY_health_check_period_ms": "500", "RAY_health_check_timeout_ms": "500",
                    "RAY_health_check_failure_threshold": "3"}
        self._ports = ports

    def start(self) -> None:
        p = self._ports
        self._ray_start("head", ["--head", "--port", str(p[0]),
                                 "--ray-client-server-port", str(p[1]),
                                 "--include-dashboard", "false",
                                 "--temp-dir", self.temp, *node_ports(p[2:2 + NODE_PORTS])],
                        # for the head's own children too (the ray:// client server)
                        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
                        # the client server forks a server per ray:// client and
                        # only execs in it: no gRPC fork handlers (see above)
                        GRPC_ENABLE_FORK_SUPPORT="false")
        self._ray_start("worker", ["--address", self.address, *node_ports(p[2 + NODE_PORTS:])])

    def _ray_start(self, role: str, args: list[str], **extra) -> None:
        env = {**self.env, MARK: f"{self.tag}-{role}", **extra}
        cmd = [*RAY_START, "--num-cpus", "1", "--disable-usage-stats",
               "--node-ip-address", "127.0.0.1", *args]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise RuntimeError(f"ray start ({role}) failed:\n{result.stdout}\n{result.stderr}")

    def kill(self, role: str) -> int:
        return kill_marked(f"{self.tag}-{role}")

    def logs(self, pattern: str) -> str:
        """The tail of the cluster's log files matching ``pattern``, for failure messages."""
        files = sorted(Path(self.temp).glob(f"session_*/logs/{pattern}"))
        return "".join(f"\n--- {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in files)

    def stop(self) -> None:
        for role in ("worker", "head"):
            self.kill(role)
        shutil.rmtree(self.temp, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    with pytest.MonkeyPatch.context() as mp:
        try:
            c.start()
            # This process is a driver too: it needs the token, and 127.0.0.1 kept as is
            # (what RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 does, read when ray was imported).
            mp.setenv("RAY_AUTH_MODE", "token")
            mp.setenv("RAY_AUTH_TOKEN", c.env["RAY_AUTH_TOKEN"])
            mp.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
            reload_auth()
            yield c
        finally:
            if ray.is_initialized():
                ray.shutdown()
            c.stop()
    reload_auth()  # back to this process's own settings for the tests that follow


def reload_auth() -> None:
    """Make Ray re-read RAY_AUTH_MODE / RAY_AUTH_TOKEN (it reads them once per process),
    as Ray's own tests do (ray._private.authentication_test_utils)."""
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


def slow_fitness(seconds: float, log_dir: str | None = None):
    """A fitness that depends on the network and its rng, and takes ``seconds``.

    Built in a function so cloudpickle ships it by value: the cluster's workers
    cannot import this test module. With ``log_dir`` every evaluation leaves a
    file named after the node that ran it.
    """
    x = np.linspace(-1, 1, 12).reshape(6, 2)

    def fitness(net, rng):
        if log_dir is not None:
            node = ray.get_runtime_context().get_node_id()
            Path(log_dir, f"{node}-{uuid.uuid4().hex}").touch()
        time.sleep(seconds)
        return float(net.predict(x).sum() + rng.normal())

    return fitness


def template():
    return gone.Network([2, gone.Dense(5, "tanh"), 1], seed=3)


def genomes(n: int):
    return np.random.default_rng(7).normal(size=(n, template().n_params))


def test_work_spreads_over_both_nodes_with_serial_results(cluster):
    fitness, g = slow_fitness(0.05), genomes(24)
    backend = RayBackend(address=cluster.address, chunk_size=2)
    try:
        got = backend.map(fitness, template(), g, seed=11)
        nodes = {n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]}
    finally:
        backend.close()
    assert len(nodes) == 2 and set(nodes.values()) == {"127.0.0.1"}
    counts = backend.evaluations_per_node
    assert set(counts) == set(nodes) and all(n > 0 for n in counts.values()), counts
    assert sum(counts.values()) == 24
    want = SerialBackend().map(fitness, template(), g, seed=11)
    assert np.array_equal(got, want)  # bit for bit


@pytest.mark.filterwarnings("ignore::gone.PerformanceWarning")  # a free fitness, on purpose
def test_a_healthy_run_logs_no_loss(cluster, caplog):
    # The warning above is about a death, not noise: a healthy run logs no loss.
    backend = RayBackend(address=cluster.address, chunk_size=4)
    with caplog.at_level(logging.WARNING, logger="gone.evolution"):
        backend.map(slow_fitness(0.0), template(), genomes(8), seed=1)
    backend.close()
    assert "lost" not in caplog.text


def gone_evolve(cluster, *extra, tmp_path, run=("xor", "--population", "16", "--generations", "3"),
                said=""):
    history = tmp_path / f"h{uuid.uuid4().hex[:6]}.json"
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": cluster.env["RAY_AUTH_TOKEN"],
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    result = subprocess.run([GONE, "evolve", *run,
                             "--seed", "4", "--quiet", "--history", str(history), *extra],
                            env=env, capture_output=True, text=True, timeout=150, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + cluster.logs("ray_client_server*.err")
    assert said in result.stderr, result.stderr
    return [{k: row[k] for k in ("generation", "best", "mean", "min", "failed")}
            for row in json.loads(history.read_text())]


@pytest.mark.parametrize("scheme", ["address", "ray_client"])
def test_gone_evolve_on_the_cluster_matches_the_process_backend(cluster, tmp_path, scheme):
    address = cluster.address if scheme == "address" else cluster.client
    on_cluster = gone_evolve(cluster, "--backend", "ray", "--address", address, tmp_path=tmp_path)
    # per-network fitness, like the cluster's (serial runs XOR vectorised, another summation)
    local = gone_evolve(cluster, "--backend", "process", "--workers", "1", tmp_path=tmp_path)
    assert on_cluster == local and len(local) == 3


def test_neat_on_the_cluster_matches_the_process_backend(cluster, tmp_path):
    # CartPole, not XOR: NEAT's XOR fitness runs vectorised in the driver, on no backend
    run = ("CartPole-v1", "--strategy", "neat", "--population", "10", "--generations", "2")
    on_cluster = gone_evolve(cluster, "--backend", "ray", "--address", cluster.address,
                             tmp_path=tmp_path, run=run,    # joined, not a Ray of its own
                             said=f"Connecting to existing Ray cluster at address: {cluster.address}")
    local = gone_evolve(cluster, "--backend", "process", "--workers", "1", tmp_path=tmp_path,
                        run=run)
    assert on_cluster == local and len(local) == 2


def test_address_without_ray_backend_is_a_usage_error(tmp_path):
    result = subprocess.run([GONE, "evolve", "xor", "--address", "127.0.0.1:1", "--quiet"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2
    assert "--address" in result.stderr and "Traceback" not in result.stderr


# Last: it takes the worker node away from the tests that would follow.
def test_killing_the_worker_node_loses_no_generation(cluster, tmp_path, caplog):
    log_dir = tmp_path / "evals"
    log_dir.mkdir()
    fitness, g = slow_fitness(0.4, str(log_dir)), genomes(16)
    backend = RayBackend(address=cluster.address, chunk_size=2)
    backend._connect()
    head = next(n["NodeID"] for n in ray.nodes()
                if n["Alive"] and n["Resources"].get("node:__internal_head__"))
    result = {}
    run = threading.Thread(target=lambda: result.setdefault(
        "scores", backend.map(fitness, template(), g, seed=5)))
    with caplog.at_level(logging.WARNING, logger="gone.evolution"):
        run.start()
        deadline = time.monotonic() + 60
        while not any(not p.name.startswith(head) for p in log_dir.iterdir()):
            assert time.monotonic() < deadline, "the worker node never got work"
            time.sleep(0.05)
        assert cluster.kill("worker") > 0  # mid-generation: the node is evaluating right now
        run.join(timeout=180)
    backend.close()
    assert not run.is_alive()
    want = SerialBackend().map(fitness, template(), g, seed=5)
    assert np.array_equal(result["scores"], want)  # every individual scored, as serial
    lost = [r.getMessage() for r in caplog.records if "lost with a worker or node" in r.message]
    assert lost and "re-running them on the nodes that remain" in lost[0], caplog.text
