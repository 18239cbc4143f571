"""`gone evolve`: solving XOR, files it writes, errors, and resuming after SIGKILL / SIGTERM."""

import csv
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import gone
from gone.evolution.population import STATS

GONE = [sys.executable, "-m", "gone"]
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def run(*args, cwd=None, timeout=120):
    return subprocess.run([*GONE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_evolve_xor_solves_it_and_saves_the_best(tmp_path):
    result = run("evolve", "xor", "--save", "best.gone", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    net = gone.load(tmp_path / "best.gone")
    out = net.predict(XOR_X)
    assert np.all(np.abs(out - XOR_Y) < 0.15)
    rows = re.findall(r"^\s+(\d) xor (\d) = ([\d.]+)\s+\(target (\d)\)$", result.stdout, re.M)
    assert [(int(a), int(b), int(t)) for a, b, _, t in rows] == [
        (0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    assert np.allclose([float(v) for _, _, v, _ in rows], out[:, 0], atol=5e-4)
    assert "(target)" in result.stdout.splitlines()[0]  # stopped because it reached the target
    assert "saved best.gone" in result.stdout


def test_history_plot_and_info_of_a_checkpoint(tmp_path):
    result = run("evolve", "xor", "--generations", "6", "--target", "none", "--population", "20",
                 "--history", "h.csv", "--plot", "f.png", "--checkpoint", "c.gone", "--quiet",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "h.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["generation"]) for r in rows] == list(range(6))
    assert tuple(rows[0]) == STATS
    pop = gone.load_population(tmp_path / "c.gone")
    assert [float(r["best"]) for r in rows] == [h["best"] for h in pop.history]
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    info = run("info", "c.gone", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "population:    20 networks, strategy ga" in info.stdout
    assert "generation:    6 evaluated, 120 evaluations" in info.stdout


@pytest.mark.parametrize("args, message", [
    (["xor", "--mutation-rate", "2"], "argument --mutation-rate: must be in [0, 1], got 2"),
    (["xor", "--mutation-std", "-1"], "argument --mutation-std: must be > 0, got -1"),
    (["xor", "--mutation-std", "0"], "argument --mutation-std: must be > 0, got 0"),
    (["xor", "--target", "nan"], "argument --target: must be a finite number or 'none'"),
    (["xor", "--seed", "-1"], "argument --seed: must be a whole number in [0, 2**63), got -1"),
    (["xor", "--population", "1"], "population size must be an integer >= 2"),
    (["xor", "--elitism", "100"], "elitism (100) must be smaller than the population (100)"),
    (["xor", "--strategy", "es", "--population", "7"], "even population"),
    (["xor", "--max-time", "-1"], "argument --max-time: must be > 0, got -1"),
    ([], "give a task"),
])
def test_bad_option_values_are_one_line_errors(args, message, tmp_path):
    result = run("evolve", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(("gone: error: ", "gone evolve: error: "))
    assert result.stderr.count("\n") == 1
    assert message in result.stderr


def test_unparsable_option_value_exits_2():
    result = run("evolve", "xor", "--population", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--population: must be >= 1" in result.stderr.splitlines()[-1]


def test_resume_of_a_plain_network_is_a_readable_error(tmp_path):
    gone.Network([2, gone.Dense(4, "tanh"), 1], seed=0).save(tmp_path / "net.gone")
    result = run("evolve", "--resume", "net.gone", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "gone: error: net.gone: holds a network, not a population\n"


def test_resume_of_a_population_not_made_by_the_cli_is_a_readable_error(tmp_path):
    gone.Population(gone.Network([2, 1], seed=0), 4, seed=0).save(tmp_path / "pop.gone")
    result = run("evolve", "--resume", "pop.gone", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "not a checkpoint of 'gone evolve'" in result.stderr


# --- interrupted runs -------------------------------------------------------------------

SLOW_RUN = ["evolve", "xor", "--population", "10000", "--generations", "300", "--target", "none",
            "--checkpoint-every", "5", "--seed", "1", "--quiet"]


def start(path, cwd):
    return subprocess.Popen([*GONE, *SLOW_RUN, "--checkpoint", path], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_generation(proc, path, generation, timeout=60):
    """Poll the checkpoint until it holds ``generation`` or more; the process must still run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted; make it slower"
        if path.exists() and gone.load_population(path).generation >= generation:
            return
        time.sleep(0.01)
    raise AssertionError(f"no checkpoint at generation {generation} within {timeout} s")


def test_resume_after_sigkill_is_bit_identical(tmp_path):
    reference = start("ref.gone", tmp_path)  # uninterrupted, on the other core meanwhile
    victim = start("c.gone", tmp_path)
    try:
        wait_for_generation(victim, tmp_path / "c.gone", 10)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
        killed_at = gone.load_population(tmp_path / "c.gone").generation
        assert 10 <= killed_at < 300 and killed_at % 5 == 0
        resumed = run("evolve", "--resume", "c.gone", cwd=tmp_path, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert reference.wait(timeout=300) == 0, reference.stderr.read()
    finally:
        for proc in (reference, victim):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    a = gone.load_population(tmp_path / "ref.gone")
    b = gone.load_population(tmp_path / "c.gone")
    assert a.generation == b.generation == 300
    assert np.array_equal(a.genomes, b.genomes)
    assert np.array_equal(a.fitness, b.fitness)
    assert np.array_equal(a.hall_of_fame.genomes, b.hall_of_fame.genomes)
    assert a.evaluations == b.evaluations == 300 * 10000


def test_sigterm_writes_the_checkpoint_and_exits_143(tmp_path):
    proc = start("t.gone", tmp_path)
    try:
        wait_for_generation(proc, tmp_path / "t.gone", 5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "terminated" in stderr and "Traceback" not in stderr
    pop = gone.load_population(tmp_path / "t.gone")
    assert 5 <= pop.generation < 300 and len(pop.history) == pop.generation
    resumed = run("evolve", "--resume", "t.gone", cwd=tmp_path, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert gone.load_population(tmp_path / "t.gone").generation == 300


# --- resuming with flags (outputs from the command line only) --------------------------

def checkpoint_of_5(tmp_path):
    result = run("evolve", "xor", "--generations", "5", "--target", "none", "--population", "20",
                 "--checkpoint", "c.gone", "--history", "old.csv", "--save", "old.gone",
                 "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("old.csv", "old.gone"):
        (tmp_path / name).unlink()


def test_resume_extends_a_finished_run_and_writes_only_the_outputs_given(tmp_path):
    checkpoint_of_5(tmp_path)
    same = run("evolve", "--resume", "c.gone", cwd=tmp_path)
    assert same.returncode == 0 and "already holds 5 generations" in same.stderr
    more = run("evolve", "--resume", "c.gone", "--generations", "9", "--save", "best.gone",
               "--history", "h.csv", "--quiet", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert gone.load_population(tmp_path / "c.gone").generation == 9
    with open(tmp_path / "h.csv", newline="") as f:
        assert [int(r["generation"]) for r in csv.DictReader(f)] == list(range(9))
    assert gone.load(tmp_path / "best.gone").n_params == 17
    # The paths the first run wrote are stored nowhere and written by no resume.
    assert not (tmp_path / "old.csv").exists() and not (tmp_path / "old.gone").exists()
    assert "old.gone" not in (tmp_path / "c.gone").read_bytes().decode("latin-1")


def test_resume_to_another_checkpoint_leaves_the_file_it_read(tmp_path):
    checkpoint_of_5(tmp_path)
    before = (tmp_path / "c.gone").read_bytes()
    result = run("evolve", "--resume", "c.gone", "--generations", "7", "--checkpoint", "d.gone",
                 "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c.gone").read_bytes() == before
    assert gone.load_population(tmp_path / "d.gone").generation == 7


def test_resume_honours_a_new_target(tmp_path):
    checkpoint_of_5(tmp_path)
    result = run("evolve", "--resume", "c.gone", "--generations", "400", "--target", "-0.2",
                 "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(target)" in result.stdout.splitlines()[0]
    pop = gone.load_population(tmp_path / "c.gone")
    assert pop.best_fitness >= -0.2 and pop.generation < 400


def test_resume_refuses_flags_that_contradict_the_file_and_names_them(tmp_path):
    checkpoint_of_5(tmp_path)
    result = run("evolve", "CartPole-v1", "--resume", "c.gone", "--population", "30",
                 "--strategy", "es", "--mutation-rate", "0.2", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    for name in ("the task (file: 'xor'", "--population (file: 20", "--strategy (file: 'ga'"):
        assert name in result.stderr
    assert "--mutation-rate" not in result.stderr  # the same value as the file's is fine
    same = run("evolve", "xor", "--resume", "c.gone", "--population", "20", "--generations", "6",
               "--quiet", cwd=tmp_path)
    assert same.returncode == 0, same.stderr


def test_resume_imports_no_module_the_file_names(tmp_path):
    checkpoint_of_5(tmp_path)
    pop = gone.load_population(tmp_path / "c.gone")
    settings = json.loads(pop.settings["gone evolve"])
    settings.update(task="this:Foo-v0", save=str(tmp_path / "planted.gone"))
    pop.settings["gone evolve"] = json.dumps(settings)
    pop.save(tmp_path / "bad.gone")
    result = run("evolve", "--resume", "bad.gone", "--generations", "6", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "imports the Python module 'this'" in result.stderr
    assert "Beautiful is better" not in result.stdout + result.stderr  # `import this` never ran
    assert not (tmp_path / "planted.gone").exists()


def test_ctrl_c_without_a_checkpoint_does_not_claim_one(tmp_path):
    proc = subprocess.Popen([*GONE, *SLOW_RUN[:-1], "--history", "h.csv"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "h.csv").exists() and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and "Traceback" not in err
    assert "interrupted" in err and "checkpoint holds" not in err
    assert "--checkpoint FILE" in err
    assert "checkpoint" not in out


@pytest.mark.parametrize("name, magic", [("f.svg", b"<?xml"), ("f.pdf", b"%PDF"),
                                         ("f.png", b"\x89PNG")])
def test_plot_extension_picks_the_format(tmp_path, name, magic):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    result = run("evolve", "xor", "--generations", "3", "--target", "none", "--quiet",
                 "--plot", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_bytes().startswith(magic)
