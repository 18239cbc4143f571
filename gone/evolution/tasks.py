"""What ``gone evolve TASK`` evolves for: built-in fitness functions and the task registry.

A task turns the run's settings ``s`` (a dict: flags, else the task's
``defaults``) into the pieces of a run: ``network(s)`` (the template),
``fitness(s)``, ``fitness_target(s)`` (or None), ``callbacks(s)`` and
``report(pop, s, result) -> str`` (the result on data the run did not select
on). Optional: ``watch(...)`` (a window), ``play(net, seed, fps, frames) -> str``
(``gone play``), ``neat_task(s)`` (``--strategy neat``).

Tasks are found by name in :data:`TASKS`: ``xor`` is built in, any other name
is a Gymnasium environment id (:class:`GymTask`), and installed packages add
their own through the ``gone.plugins`` entry point group: each entry point is
a function called once, which may call :func:`register_task` (the games in
``gone_games`` register ``flappy`` and ``snake`` and their Gymnasium
environments this way; gone never imports them).
"""

from __future__ import annotations

import math

import numpy as np

from .. import datasets
from ..errors import ConfigError
from ..nn.layers.dense import Dense
from ..nn.network import Network
from . import gym
from .plugins import TASKS, load_plugins, register_task


def get_task(name: str):
    """The task object for ``name``: a registered task, else a Gymnasium environment."""
    load_plugins()
    return TASKS[name]() if name in TASKS else GymTask()


def hidden_sizes(text) -> list[int]:
    """``"32,16"`` -> ``[32, 16]`` (checked: whole numbers >= 1)."""
    try:
        sizes = [int(h) for h in str(text).split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise ConfigError(f"hidden sizes must be whole numbers >= 1 separated by commas, "
                          f"got {text!r}")
    return sizes


class XorFitness:
    """Negative mean squared error on the XOR truth table (0 is perfect).

    ``XorFitness()`` takes a StackedNetworks (the fast path); ``XorFitness(vectorized=False)``
    takes one network at a time (for the process and Ray backends).
    """

    def __init__(self, vectorized: bool = True):
        self.vectorized = vectorized
        self.x, self.y = datasets.xor()

    def __call__(self, nets):
        """``(pop,)`` for a StackedNetworks, a float for one Network."""
        if self.vectorized:
            out = nets.predict(self.x)                              # (pop, 4, 1)
            return -np.mean((out - self.y) ** 2, axis=(1, 2))
        return -float(np.mean((nets.predict(self.x) - self.y) ** 2))


class XorTask:
    """XOR: fitness is the negative mean squared error over the truth table."""

    defaults = {"target": -0.005, "hidden": "4"}

    def network(self, s: dict) -> Network:
        hidden = [Dense(h, "tanh") for h in hidden_sizes(s["hidden"])]
        return Network([2, *hidden, Dense(1, "sigmoid")], seed=s["seed"])

    def fitness(self, s: dict):
        return XorFitness(vectorized=s["backend"] == "serial")

    def fitness_target(self, s: dict):
        return s["target"]

    def callbacks(self, s: dict) -> list:
        return []

    def report(self, pop, s: dict, result) -> str:
        x, y = datasets.xor()
        return "\n".join(f"  {xi[0]:.0f} xor {xi[1]:.0f} = {pi[0]:.3f}   (target {yi[0]:.0f})"
                         for xi, yi, pi in zip(x, y, result.best.predict(x)))


class GymTask:
    """A Gymnasium environment: fitness is the mean return over a few episodes."""

    defaults = {"population": 50, "generations": 200, "mutation_std": 0.2, "hidden": "16"}

    def network(self, s: dict) -> Network:
        return gym.default_network(s["task"], hidden=tuple(hidden_sizes(s["hidden"])),
                                   seed=s["seed"])

    def fitness(self, s: dict):
        cls = gym.GymFitness if s["backend"] == "serial" else gym.GymEpisodes
        return cls(s["task"], episodes=s["episodes"])

    def fitness_target(self, s: dict):
        return None  # SolvedCheck stops the run once the champion passes the evaluation

    def callbacks(self, s: dict) -> list:
        if s["target"] is None:
            s["target"] = gym.reward_threshold(s["task"])
        return [] if s["target"] is None else [SolvedCheck(s)]

    def report(self, pop, s: dict, result) -> str:
        returns = gym.GymFitness(s["task"]).evaluate(result.best, episodes=s["eval_episodes"],
                                                     seed=s["seed"] + 10_000)
        threshold = gym.reward_threshold(s["task"])
        verdict = "" if threshold is None else (
            f" (solved: {'yes' if returns.mean() >= threshold else 'no'}, threshold {threshold:g})")
        return (f"champion: mean return {np.mean(returns):.1f} +- {np.std(returns):.1f} over "
                f"{len(returns)} unseen evaluation episodes{verdict}")


class SolvedCheck:
    """Stop a gym run only when the champion's mean over the evaluation episodes reaches the target.

    A few training episodes can be lucky; this re-tests each new best on
    ``eval_episodes`` fresh episodes (seeds apart from the training ones), as
    "solved" is defined for Gymnasium tasks.
    """

    def __init__(self, s: dict):
        self.s, self.tested = s, -math.inf
        self.fitness = gym.GymFitness(s["task"])

    def __call__(self, pop, stats) -> bool:
        if stats["best_ever"] < self.s["target"] or stats["best_ever"] <= self.tested:
            return False
        self.tested = stats["best_ever"]
        returns = self.fitness.evaluate(pop.best, episodes=self.s["eval_episodes"],
                                        seed=self.s["seed"] + 10_000)
        return float(returns.mean()) >= self.s["target"]


register_task("xor", XorTask)
