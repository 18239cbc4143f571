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


def test_evolve_flappy_reaches_100_pipes_in_unseen_games_and_resumes(tmp_path):
    result = gone_cli("evolve", "flappy", "--save", "flappy.gone", "--checkpoint", "run.gone",
                      "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    passed = re.search(r"champion: 100\+ pipes in (\d+)/10 unseen games, median", result.stdout)
    assert passed and int(passed.group(1)) >= 9 and "(target)" in result.stdout
    net = gone.load(tmp_path / "flappy.gone")
    assert (net.n_inputs, net.n_outputs) == (5, 2)
    from gone_games.flappy.evolve import evaluate_champion
    from gone_games.flappy.fitness import verified_target

    # the saved network is the tested champion: it passes fresh unseen games too
    assert evaluate_champion(net, 100, seed=77)["passed"] >= 8
    pop = gone.load_population(tmp_path / "run.gone")
    assert pop.best_fitness >= verified_target(100, 9)
    again = gone_cli("evolve", "--resume", "run.gone", "--quiet", cwd=tmp_path)
    assert again.returncode == 0 and "(target)" in again.stdout  # nothing left to do
    assert "unseen games" in again.stdout


def test_python_m_games_flappy_evolve_runs_gone_evolve_flappy(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gone_games.flappy.evolve", "--target", "5",
                             "--save", "f.gone", "--quiet"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "champion: 5+ pipes in" in result.stdout and (tmp_path / "f.gone").exists()


@pytest.mark.parametrize("args, message", [
    (("evolve", "flappy", "--backend", "process"), "--backend process does not apply to flappy"),
    (("evolve", "flappy", "--seed", "-1"), "argument --seed: must be a whole number in [0, 2**63)"),
    (("evolve", "flappy", "--target", "nan"), "argument --target: must be a finite number or 'none'"),
    (("evolve", "flappy", "--target", "2.5"), "--target for flappy is pipes, an integer >= 1"),
    (("evolve", "flappy", "--target", "0"), "--target for flappy is pipes, an integer >= 1"),
    (("evolve", "snake", "--target", "-3"), "--target for snake is food on average"),
    (("play", "flappy", "--fps", "0"), "argument --fps: must be >= 1, got 0"),
    (("play", "flappy", "--fps", "1001"), "argument --fps: must be between 1 and 1000, got 1001"),
    (("play", "flappy", "--frames", "-1"), "argument --frames: must be >= 1, got -1"),
    (("play", "snake", "--seed", "-2"), "argument --seed: must be a whole number in [0, 2**63)"),
])
def test_settings_a_game_cannot_honour_are_refused(tmp_path, args, message):
    result = gone_cli(*args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


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
    result = gone_cli("play", "flappy", "--model", "f.gone", "--fps", "1000", "--frames", "600",
                      cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    # 600 frames pass the first pipe (at frame ~333) for a champion that survives.
    scores = [int(s) for s in re.search(r"pipes passed: ([\d, ]+)", result.stdout).group(1).split(",")]
    assert max(scores) >= 1 and "Hello from the pygame" not in result.stdout


def test_evolve_watch_needs_a_game(tmp_path):
    result = gone_cli("evolve", "xor", "--watch", cwd=tmp_path)
    assert result.returncode == 2 and "--watch is for the games" in result.stderr
