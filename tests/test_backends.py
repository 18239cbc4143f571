"""Evaluation backends: serial, process and ray agree bit for bit; failures become NaN."""

import logging
import os
import time
import warnings

import numpy as np
import pytest

import gone
from gone.errors import ConfigError, PerformanceWarning
from gone.evolution.backends import ProcessBackend, RayBackend, SerialBackend, evaluate, get_backend

# Fitness functions live at module level: spawned workers import this module by name.
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_score(net):
    """Negative MSE on XOR, after enough work that a process pool is worth it."""
    for _ in range(200):
        out = net.predict(XOR_X)
    return -float(np.mean((out - XOR_Y) ** 2))


def cheap_score(net):
    return float(net.flat[0])


def noisy_score(net, rng):
    """MSE on inputs drawn from the individual's rng."""
    x = rng.normal(size=(64, 2))
    return -float(np.mean(net.predict(x) ** 2))


def fail_if_positive(net):
    if net.flat[0] > 0:
        raise ValueError(f"gene 0 is {net.flat[0]:.3f}")
    return xor_score(net)


def pid_score(net):
    time.sleep(0.005)  # long enough that both workers get chunks
    return float(os.getpid())


def returns_text(net):
    return "good"


class ExitOn:
    """Kills its worker when gene 0 equals ``gene``; only once if ``marker`` is given."""

    def __init__(self, gene, marker=None):
        self.gene, self.marker = gene, marker

    def __call__(self, net):
        if net.flat[0] == self.gene and not (self.marker and os.path.exists(self.marker)):
            if self.marker:
                open(self.marker, "w").close()
            os._exit(1)
        return xor_score(net)


@pytest.fixture(scope="module")
def template():
    return gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0)


@pytest.fixture(scope="module")
def genomes(template):
    return np.random.default_rng(1).normal(size=(12, template.n_params))


@pytest.fixture(scope="module")
def pool():
    """One process pool shared by the tests that do not kill workers."""
    with ProcessBackend(workers=2) as backend:
        yield backend


@pytest.fixture(scope="module")
def ray_backend():
    ray = pytest.importorskip("ray", reason="ray extra not installed")
    # Ray workers get the driver's cwd and script directory on sys.path, not the
    # tests/ directory pytest inserted, and they must import this module by name.
    here = os.pathsep.join(filter(None, [os.path.dirname(__file__), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": here}})
    try:
        yield RayBackend()
    finally:
        ray.shutdown()


def expected(template, genomes, fitness):
    return np.array([fitness(template.with_genome(g)) for g in genomes])


def test_serial_matches_a_plain_loop(template, genomes):
    got = evaluate(xor_score, template, genomes)
    assert got.dtype == np.float64 and got.shape == (12,)
    np.testing.assert_array_equal(got, expected(template, genomes, xor_score))
    children = np.random.SeedSequence(7).spawn(len(genomes))
    want = [noisy_score(template.with_genome(g), np.random.default_rng(c))
            for g, c in zip(genomes, children)]
    np.testing.assert_array_equal(evaluate(noisy_score, template, genomes, seed=7), want)


def test_process_matches_serial_bit_for_bit(template, genomes, pool):
    for fitness in (xor_score, noisy_score):
        serial = SerialBackend().map(fitness, template, genomes, 7)
        assert np.isfinite(serial).all()  # NaN == NaN in assert_array_equal
        np.testing.assert_array_equal(pool.map(fitness, template, genomes, 7), serial)
        np.testing.assert_array_equal(
            pool.map(fitness, template, genomes, np.random.SeedSequence(7)), serial)
    assert not np.array_equal(pool.map(noisy_score, template, genomes, 8),
                              SerialBackend().map(noisy_score, template, genomes, 7))


def test_process_pool_is_kept_across_calls(template, genomes, pool):
    pids = {*pool.map(pid_score, template, genomes, 0), *pool.map(pid_score, template, genomes, 1)}
    assert len(pids) <= 2 and os.getpid() not in pids


def test_process_rebuilds_a_changed_template(template, genomes, pool):
    other = gone.Network([2, gone.Dense(4, "relu"), 1], seed=0)
    np.testing.assert_array_equal(pool.map(xor_score, other, genomes, 0),
                                  expected(other, genomes, xor_score))
    np.testing.assert_array_equal(pool.map(xor_score, template, genomes, 0),
                                  expected(template, genomes, xor_score))


@pytest.mark.parametrize("backend", ["serial", "process"])
def test_raising_fitness_is_nan_and_logged(template, genomes, pool, backend, caplog):
    runner = pool if backend == "process" else SerialBackend()
    with caplog.at_level(logging.WARNING, logger="gone.evolution"):
        got = runner.map(fail_if_positive, template, genomes, 0)
    bad = genomes[:, 0] > 0
    assert 0 < bad.sum() < len(genomes)
    assert np.isnan(got[bad]).all()
    np.testing.assert_array_equal(got[~bad], expected(template, genomes[~bad], xor_score))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == bad.sum()
    for index, message in zip(np.flatnonzero(bad), messages):
        assert f"individual {index} " in message and "ValueError: gene 0 is" in message


def test_non_numeric_result_is_a_failure(template, genomes, caplog):
    got = evaluate(returns_text, template, genomes[:3])
    assert np.isnan(got).all()
    assert "TypeError" in caplog.text


def test_dead_worker_costs_only_its_individual(template, genomes, caplog):
    with ProcessBackend(workers=2, chunk_size=3) as backend:
        got = backend.map(ExitOn(genomes[4, 0]), template, genomes, 0)
        want = expected(template, genomes, xor_score)
        assert np.isnan(got[4])
        np.testing.assert_array_equal(np.delete(got, 4), np.delete(want, 4))
        assert "individual 4 failed" in caplog.text and "died" in caplog.text
        np.testing.assert_array_equal(backend.map(xor_score, template, genomes, 0), want)


def test_worker_that_dies_once_is_retried(template, genomes, tmp_path):
    fitness = ExitOn(genomes[7, 0], marker=str(tmp_path / "died"))
    with ProcessBackend(workers=2) as backend:
        got = backend.map(fitness, template, genomes, 0)
    assert (tmp_path / "died").exists()
    np.testing.assert_array_equal(got, expected(template, genomes, xor_score))


def test_performance_warning_only_for_pools(template, genomes):
    with ProcessBackend(workers=2) as backend, pytest.warns(PerformanceWarning, match="serial"):
        backend.map(cheap_score, template, genomes, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerformanceWarning)
        evaluate(cheap_score, template, genomes)


def test_configuration_errors(template, genomes):
    with pytest.raises(ConfigError, match="serial, process, ray"):
        get_backend("threads")
    with pytest.raises(ConfigError, match="module-level"):
        evaluate(lambda net: 0.0, template, genomes, backend="process", workers=1)


def test_fitness_the_workers_cannot_import_is_a_config_error(template, genomes, monkeypatch):
    def only_here(net):
        return 0.0

    # Picklable by reference here, missing when a worker imports this module: the
    # situation of a function typed into a notebook.
    only_here.__qualname__ = "only_here"
    monkeypatch.setitem(globals(), "only_here", only_here)
    with ProcessBackend(workers=1) as backend, pytest.raises(ConfigError, match="cannot load"):
        backend.map(only_here, template, genomes, 0)


def test_ray_matches_serial_and_survives_a_crash(template, genomes, ray_backend, caplog):
    for fitness in (xor_score, noisy_score):
        np.testing.assert_array_equal(ray_backend.map(fitness, template, genomes, 7),
                                      SerialBackend().map(fitness, template, genomes, 7))
    got = ray_backend.map(ExitOn(genomes[4, 0]), template, genomes, 0)
    want = expected(template, genomes, xor_score)
    assert np.isnan(got[4])
    np.testing.assert_array_equal(np.delete(got, 4), np.delete(want, 4))
    assert "individual 4 failed" in caplog.text


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process parents from /proc")
def test_workers_and_resource_tracker_exit_when_gone_evolve_is_killed(tmp_path):
    import signal
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "gone", "evolve", "xor", "--backend", "process", "--workers",
           "2", "--population", "400", "--generations", "100000", "--target", "none", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        kids: set[int] = set()
        while len(kids) < 3 and time.monotonic() < deadline:  # 2 workers + the resource tracker
            assert proc.poll() is None
            kids = _children(proc.pid)
            time.sleep(0.05)
        assert len(kids) >= 3, f"expected workers and a resource tracker, found {kids}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [k for k in kids if _alive(k)], "a worker outlived its killed parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for k in kids:
            if _alive(k):
                os.kill(k, signal.SIGKILL)


def test_templates_travel_as_config_and_flat_parameters():
    """What the process backend ships instead of a .gone file: pickled config + flat params."""
    import pickle

    from gone.evolution.template import digest, template_from_parts, template_parts

    net = gone.Network([(1, 8, 8), gone.Conv2D(3, 3, activation="relu"), gone.MaxPool2D(2),
                        gone.Flatten(), gone.Dense(4, gone.activations.leaky_relu(0.2)),
                        gone.Dense(2, "softmax")], seed=1, dtype="float32", loss="cross_entropy")
    spec, flat = pickle.loads(pickle.dumps(template_parts(net)))
    twin = template_from_parts(spec, flat)
    x = np.random.default_rng(0).normal(size=(5, 1, 8, 8))
    assert np.array_equal(twin.predict(x), net.predict(x)) and twin.dtype == net.dtype
    assert twin.layers[3].activation.params == {"alpha": 0.2} and twin.loss.name == "cross_entropy"
    assert digest(spec, flat) == digest(*template_parts(net))
    other = net.copy()
    other.flat[0] += 1
    assert digest(*template_parts(other)) != digest(spec, flat)
