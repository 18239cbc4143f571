"""`gone evolve flappy|snake` and `gone play` from the command line, as the README shows them."""

import os
import re
import subprocess
import sys

import pytest

import gone


def gone_cli(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "gone", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def test_evolve_flappy_reaches_100_pipes_and_resumes(tmp_path):
    result = gone_cli("evolve", "flappy", "--save", "flappy.gone", "--checkpoint", "run.gone",
                      "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"champion: (\d+) pipes", result.stdout).group(1) == "100"
    net = gone.load(tmp_path / "flappy.gone")
    assert (net.n_inputs, net.n_outputs) == (5, 2)
    pop = gone.load_population(tmp_path / "run.gone")
    from games.flappy import rules

    assert pop.best_fitness >= rules.fitness_target(100)
    again = gone_cli("evolve", "--resume", "run.gone", "--quiet", cwd=tmp_path)
    assert again.returncode == 0 and "(target)" in again.stdout  # nothing left to do


def test_evolve_snake_with_a_small_target(tmp_path):
    result = gone_cli("evolve", "snake", "--target", "5", "--save", "snake.gone", "--quiet",
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(target)" in result.stdout
    assert gone.load(tmp_path / "snake.gone").n_inputs == 11


def test_play_flappy_champion_headless(tmp_path):
    pytest.importorskip("pygame", reason="the games extra (pygame) is not installed")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    evolved = gone_cli("evolve", "flappy", "--save", "f.gone", "--quiet", cwd=tmp_path)
    assert evolved.returncode == 0, evolved.stderr
    result = gone_cli("play", "flappy", "--model", "f.gone", "--fps", "0", "--frames", "600",
                      cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    # 600 frames pass the first pipe (at frame ~333) for a champion that survives.
    scores = [int(s) for s in re.search(r"pipes passed: ([\d, ]+)", result.stdout).group(1).split(",")]
    assert max(scores) >= 1 and "Hello from the pygame" not in result.stdout


def test_evolve_watch_needs_a_game(tmp_path):
    result = gone_cli("evolve", "xor", "--watch", cwd=tmp_path)
    assert result.returncode == 2 and "--watch is for the games" in result.stderr
