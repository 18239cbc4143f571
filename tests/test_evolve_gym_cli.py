"""`gone evolve CartPole-v1` solves the task from the command line, as the README says."""

import subprocess
import sys

import numpy as np
import pytest

import gone

pytest.importorskip("gymnasium", reason="the games extra (gymnasium) is not installed")


def test_cartpole_is_solved_from_the_cli_with_defaults(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gone", "evolve", "CartPole-v1", "--save",
                             "cartpole.gone", "--quiet"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "solved: yes" in result.stdout
    # Re-test the saved champion independently on 100 fresh episodes.
    from gone.evolution import gym

    net = gone.load(tmp_path / "cartpole.gone")
    returns = gym.run_episodes(net, "CartPole-v1", np.arange(1000, 1100))
    assert returns.mean() >= 475


def test_process_backend_runs_a_gym_task(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gone", "evolve", "CartPole-v1", "--backend",
                             "process", "--workers", "2", "--generations", "2", "--target", "none",
                             "--eval-episodes", "5", "--checkpoint", "run.gone", "--quiet"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    pop = gone.load_population(tmp_path / "run.gone")
    assert pop.generation == 2 and np.isfinite(pop.fitness).all()
