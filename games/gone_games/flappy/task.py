"""``gone evolve flappy`` and ``gone play flappy``: the Flappy Bird task gone finds through
the ``gone.plugins`` entry point (:func:`gone_games.register`). The target is in pipes."""

from __future__ import annotations

import math
import os

from gone.errors import require as _require


def require(module: str, extra: str):
    """Import an optional dependency quietly (pygame prints a banner on import unless told not to)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return _require(module, extra)


def _finite(target) -> bool:
    return target is not None and math.isfinite(target)


class FlappyTask:
    """Flappy Bird: fresh pipes every generation; the target is met only by a champion
    that passes it in 9 of 10 held-out games (see gone_games.flappy.fitness)."""

    def __init__(self):
        self._fitness = None   # the run's FlappyFitness, whose held-out tests report() prints

    @property
    def defaults(self) -> dict:
        from . import SETTINGS

        d = {k: SETTINGS[k] for k in ("population", "selection", "shaping", "elitism",
                                      "crossover_rate", "mutation_rate", "mutation_std")}
        return {**d, "hidden": str(SETTINGS["hidden"]), "target": 100, "generations": 1000}

    def network(self, s: dict):
        from .evolve import check_run, default_brain

        check_run(s["seed"], s["hidden"], s["backend"], s["target"])
        return default_brain(s["seed"], hidden=int(s["hidden"]))

    def fitness(self, s: dict):
        from .evolve import make_fitness

        # Without a target games end at 1000 pipes and no champion is tested.
        if self._fitness is None:
            self._fitness = (make_fitness(int(s["target"])) if _finite(s["target"])
                             else make_fitness(1000, held_out=None))
        return self._fitness

    def fitness_target(self, s: dict):
        from .fitness import verified_target

        return verified_target(int(s["target"]), self.fitness(s).needed) if _finite(s["target"]) else None

    def callbacks(self, s: dict) -> list:
        return []

    def watch(self, pop, s: dict, generations: int, options: dict):
        require("pygame", "games")
        from .watch import watch_evolution

        return watch_evolution(pop, self.fitness(s), generations=generations,
                               save_path=s.get("save") or "champion.gone", **options)

    def report(self, pop, s: dict, result) -> str:
        from .evolve import evaluate_champion, held_out_report

        target = int(s["target"]) if _finite(s["target"]) else 100
        test = self._fitness.champion if self._fitness is not None else None
        if test is None:   # not reached (or a resumed run): test the champion now
            test = evaluate_champion(result.best, target, seed=s["seed"])
        return held_out_report(test, target)

    def play(self, net, seed: int = 0, fps: int = 60, frames: int | None = None) -> str:
        """A window: ``net`` plays (or, without a network, you do: space bar flaps)."""
        require("pygame", "games")
        from . import watch

        if net is None:
            games = watch.play_human(seed=seed, fps=fps, max_frames=frames)
        else:
            games = watch.play_model(net, seed=seed, fps=fps, max_frames=frames)
        return (f"played {len(games)} game(s); pipes passed: "
                f"{', '.join(str(g.bird.score) for g in games) or '-'}")

    def neat_task(self, s: dict):
        """``gone evolve flappy --strategy neat``: the same game, genomes that grow."""
        return FlappyNeatTask(s)


class FlappyNeatTask:
    """Flappy for gone.neat: the same fitness plays a NEAT batch as it plays stacked networks,
    fresh pipes every generation, the stop judged on held-out games."""

    def __init__(self, s: dict):
        from . import rules
        from .evolve import make_fitness
        from .fitness import verified_target

        self.points = int(s["target"]) if _finite(s["target"]) else 100
        self.fitness = make_fitness(self.points)
        self.target = verified_target(self.points, self.fitness.needed)
        self.io = (rules.N_INPUTS, rules.N_OUTPUTS)

    def default_config(self, s: dict):
        from gone.neat.defaults import control_config

        return control_config(*self.io, pop_size=100)

    def callbacks(self, s: dict) -> list:
        return [lambda pop, stats: stats["best_ever"] >= self.target]

    def report(self, pop, s: dict) -> str:
        from .evolve import held_out_report

        test = self.fitness.champion
        if test is None:
            return (f"champion: no bird passed {self.points} pipes in "
                    f"{self.fitness.needed} of {self.fitness.held_out} unseen games")
        return held_out_report(test, self.points)
