"""``gone evolve snake`` and ``gone play snake``: the Snake task gone finds through the
``gone.plugins`` entry point (:func:`gone_games.register`). The target is food on average."""

from __future__ import annotations

import math
import os

from gone.errors import ConfigError
from gone.errors import require as _require


def require(module: str, extra: str):
    """Import an optional dependency quietly (pygame prints a banner on import unless told not to)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return _require(module, extra)


def _finite(target) -> bool:
    return target is not None and math.isfinite(target)


class SnakeTask:
    """Snake: each network plays 3 fresh games per generation; fitness = 100 x food + steps
    bonus; the target (food on average) is met only in 10 held-out games."""

    def __init__(self):
        self._fitness = None   # the run's SnakeFitness, whose held-out test report() prints

    @property
    def defaults(self) -> dict:
        from .evolve import SETTINGS

        d = {k: SETTINGS[k] for k in ("population", "generations", "selection", "tournament_size",
                                      "elitism", "crossover_rate", "mutation_rate", "mutation_std")}
        return {**d, "target": 25}

    def network(self, s: dict):
        from .sim import default_brain

        if s["backend"] != "serial":
            raise ConfigError(f"--backend {s['backend']} does not apply to snake: every game "
                              "plays vectorised in one process (use the default, serial)")
        if s["seed"] < 0:
            raise ConfigError(f"--seed must be an integer >= 0, got {s['seed']}")
        if s["target"] is not None and not s["target"] > 0:   # catches nan too
            raise ConfigError(f"--target for snake is food on average, a number > 0 (or 'none'), "
                              f"got {s['target']!r}")
        return default_brain(s["seed"])

    def fitness(self, s: dict):
        from .evolve import SETTINGS
        from .sim import SnakeFitness

        if self._fitness is None:
            target = float(s["target"]) if _finite(s["target"]) else None
            self._fitness = SnakeFitness(max_steps=SETTINGS["max_steps"], games=SETTINGS["games"],
                                         target=target)
        return self._fitness

    def fitness_target(self, s: dict):
        from .sim import verified_target

        return verified_target(float(s["target"])) if _finite(s["target"]) else None

    def callbacks(self, s: dict) -> list:
        return []

    def watch(self, pop, s: dict, generations: int, options: dict):
        """Evolve, showing each new champion play one game in a window (Esc stops the run)."""
        require("pygame", "games")
        from . import view

        shown = {"fitness": float("-inf")}

        def show_champion(pop, stats) -> bool:
            if stats["best_ever"] <= shown["fitness"]:
                return False
            shown["fitness"] = stats["best_ever"]
            played = view.watch(pop.best, seed=s["seed"] + pop.generation, fps=60, games=1)
            return not played  # the window was closed: stop the run

        options = {**options, "callbacks": [*options["callbacks"], show_champion]}
        return pop.run(self.fitness(s), generations, **options)

    def report(self, pop, s: dict, result) -> str:
        from .evolve import evaluate_champion, held_out_report

        test = self._fitness.champion if self._fitness is not None else None
        if test is None:   # not reached (or a resumed run): test the champion now
            test = evaluate_champion(result.best, seed=s["seed"])
        return held_out_report(test, s["target"] if _finite(s["target"]) else None)

    def play(self, net, seed: int = 0, fps: int = 60, frames: int | None = None) -> str:
        """A window: ``net`` plays (or, without a network, you do: the arrow keys steer)."""
        require("pygame", "games")
        from . import view

        if net is None:
            view.play_human(seed=seed)
            return "played snake"
        view.watch(net, seed=seed, fps=fps)
        return "played snake"
