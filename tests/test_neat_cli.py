"""`gone evolve ... --strategy neat`: XOR, CartPole, flappy, configs, champions, checkpoints."""

import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from neat_configs import XOR

from gone.format import graph as graph_io
from gone.format.neat import load_population

GONE = [sys.executable, "-m", "gone"]


def run(*args, cwd=None, timeout=300):
    return subprocess.run([*GONE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_xor_with_neat_pythons_config_solves_saves_and_info_shows_it(tmp_path):
    (tmp_path / "neat-config.ini").write_text(XOR)
    r = run("evolve", "xor", "--strategy", "neat", "--config", "neat-config.ini", "--seed", "4",
            "--save", "best.gone", "--checkpoint", "run.gone", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(target)" in r.stdout and "mean time per generation: evaluate" in r.stdout
    graph = graph_io.load(tmp_path / "best.gone")
    out = graph.propagate(np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]]))[:, 0]
    assert np.all(np.round(out) == [0, 1, 1, 0])
    info = run("info", "best.gone", "--json", cwd=tmp_path)
    d = json.loads(info.stdout)
    assert d["neat_champion"]["nodes"] == graph.n_neurons
    assert d["neat_champion"]["connections"] == graph.n_params - graph.n_neurons
    assert d["neat_champion"]["species"]
    info = run("info", "run.gone", cwd=tmp_path)
    assert "neat run:" in info.stdout and "solved True" in info.stdout


def test_unknown_config_key_is_one_line_with_the_line_number(tmp_path):
    (tmp_path / "bad.ini").write_text(XOR.replace("node_add_prob ", "node_ad_prob "))
    r = run("evolve", "xor", "--strategy", "neat", "--config", "bad.ini", cwd=tmp_path)
    assert r.returncode == 2
    assert "bad.ini: line" in r.stderr and "node_ad_prob" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_ga_flags_are_refused_with_neat(tmp_path):
    r = run("evolve", "xor", "--strategy", "neat", "--mutation-rate", "0.3", cwd=tmp_path)
    assert r.returncode == 2 and "--config" in r.stderr


def test_sigkill_then_resume_gives_the_same_run(tmp_path):
    """Killed mid-run, resumed from its checkpoint: the same generations as a run never stopped."""
    args = ["evolve", "xor", "--strategy", "neat", "--population", "60", "--target", "none",
            "--generations", "40", "--seed", "2", "--checkpoint-every", "1", "--quiet"]
    full = run(*args, "--checkpoint", "full.gone", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    proc = subprocess.Popen([*GONE, *args, "--checkpoint", "k.gone"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "k.gone").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_population(tmp_path / "k.gone").generation
    r = run("evolve", "--resume", "k.gone", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a, b = load_population(tmp_path / "full.gone"), load_population(tmp_path / "k.gone")
    assert killed_at <= b.generation == a.generation
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    for k in a.genomes:
        assert np.array_equal(a.genomes[k].weight, b.genomes[k].weight)


def test_cartpole_with_neat_is_solved_on_unseen_episodes(tmp_path):
    pytest.importorskip("gymnasium", reason="gymnasium (the games extra) is not installed")
    r = run("evolve", "CartPole-v1", "--strategy", "neat", "--quiet", "--save", "cp.gone",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if "unseen episodes" in l)
    assert "solved: yes" in line
    assert float(line.split("mean return ")[1].split()[0]) >= 475


def test_flappy_with_neat_reaches_a_small_target(tmp_path):
    r = run("evolve", "flappy", "--strategy", "neat", "--target", "5", "--generations", "300",
            "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    found = re.search(r"champion: (\d+)\+ pipes in (\d+)/10 unseen games", r.stdout)
    assert found, r.stdout
    assert int(found[1]) == 5 and int(found[2]) >= 9    # judged on games it was not selected on
