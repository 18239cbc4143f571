"""The games in the CLI: ``gone evolve flappy|snake`` and ``gone play flappy|snake``.

The games live in the ``games`` package beside ``gone`` (installed with it);
drawing them needs pygame, the ``games`` extra. The task objects plug into
``gone evolve`` (see :mod:`gone.cli_evolve`); their target is in points
(pipes passed, food eaten), not raw fitness.
"""

from __future__ import annotations

import math
import os

from .errors import ConfigError
from .errors import require as _require

EXIT_OK = 0


def require(module: str, extra: str):
    """Import an optional dependency quietly (pygame prints a banner on import unless told not to)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return _require(module, extra)


def _finite(target) -> bool:
    return target is not None and math.isfinite(target)


class FlappyTask:
    """Flappy Bird: a flock shares one pipe sequence; fitness = frames + 1000 x pipes."""

    @property
    def defaults(self) -> dict:
        from games.flappy import SETTINGS

        d = {k: SETTINGS[k] for k in ("population", "selection", "shaping", "elitism",
                                      "crossover_rate", "mutation_rate", "mutation_std")}
        return {**d, "hidden": str(SETTINGS["hidden"]), "target": 100, "generations": 1000}

    def network(self, s: dict):
        from games.flappy import default_brain

        try:
            return default_brain(s["seed"], hidden=int(s["hidden"]))
        except ValueError:
            raise ConfigError(f"--hidden for flappy is one size, got {s['hidden']!r}") from None

    def fitness(self, s: dict):
        from games.flappy import FlappyFitness

        # Games end when a bird reaches the target (or 1000 pipes without one).
        return FlappyFitness(max_score=int(s["target"]) if _finite(s["target"]) else 1000)

    def fitness_target(self, s: dict):
        from games.flappy import rules

        return rules.fitness_target(int(s["target"])) if _finite(s["target"]) else None

    def callbacks(self, s: dict) -> list:
        return []

    def watch(self, pop, s: dict, generations: int, options: dict):
        require("pygame", "games")
        from games.flappy.watch import watch_evolution

        return watch_evolution(pop, self.fitness(s), generations=generations,
                               save_path=s.get("save") or "champion.gone", **options)

    def report(self, pop, s: dict, result) -> None:
        from games.flappy.evolve import champion_score

        print(f"champion: {champion_score(result)} pipes in its best game "
              f"(target {s['target']:g})")

    def neat_task(self, s: dict):
        """``gone evolve flappy --strategy neat``: the same game, genomes that grow."""
        return _FlappyNeat(s)


class _FlappyNeat:
    """Flappy for gone.neat: FlappyFitness plays a NEAT batch as it plays stacked networks."""

    def __init__(self, s: dict):
        from games.flappy import FlappyFitness, rules

        self.points = int(s["target"]) if _finite(s["target"]) else 100
        self.fitness = FlappyFitness(max_score=self.points)
        self.target = rules.fitness_target(self.points)
        self.io = (rules.N_INPUTS, rules.N_OUTPUTS)

    def default_config(self, s: dict):
        from .neat.defaults import control_config

        return control_config(*self.io, pop_size=100)

    def callbacks(self, s: dict) -> list:
        return [lambda pop, stats: stats["best_ever"] >= self.target]

    def report(self, pop, s: dict) -> None:
        from types import SimpleNamespace

        from games.flappy.evolve import champion_score

        pipes = champion_score(SimpleNamespace(best_fitness=pop.best.fitness))
        print(f"champion: {pipes} pipes in its best game (target {self.points})")


class SnakeTask:
    """Snake: each network plays 3 games per generation; fitness = 100 x food + steps bonus."""

    @property
    def defaults(self) -> dict:
        from games.snake.evolve import SETTINGS

        d = {k: SETTINGS[k] for k in ("population", "generations", "selection", "tournament_size",
                                      "elitism", "crossover_rate", "mutation_rate", "mutation_std")}
        return {**d, "target": 25}

    def network(self, s: dict):
        from games.snake.sim import default_brain

        return default_brain(s["seed"])

    def fitness(self, s: dict):
        from games.snake.evolve import SETTINGS
        from games.snake.sim import SnakeFitness

        return SnakeFitness(max_steps=SETTINGS["max_steps"], games=SETTINGS["games"])

    def fitness_target(self, s: dict):
        from games.snake.evolve import target_for

        return target_for(int(s["target"])) if _finite(s["target"]) else None

    def callbacks(self, s: dict) -> list:
        return []

    def watch(self, pop, s: dict, generations: int, options: dict):
        """Evolve, showing each new champion play one game in a window (Esc stops the run)."""
        require("pygame", "games")
        from games.snake import view

        shown = {"fitness": float("-inf")}

        def show_champion(pop, stats) -> bool:
            if stats["best_ever"] <= shown["fitness"]:
                return False
            shown["fitness"] = stats["best_ever"]
            played = view.watch(pop.best, seed=s["seed"] + pop.generation, fps=60, games=1)
            return not played  # the window was closed: stop the run

        options = {**options, "callbacks": [*options["callbacks"], show_champion]}
        return pop.run(self.fitness(s), generations, **options)

    def report(self, pop, s: dict, result) -> None:
        import numpy as np

        from games.snake.sim import play

        scores = [play(result.best, seed=s["seed"] + 10_000 + i, max_steps=1000).score
                  for i in range(20)]
        print(f"champion: {np.mean(scores):.1f} food on average over 20 new games "
              f"(best {max(scores)}; target {s['target']:g})")


GAME_TASKS = {"flappy": FlappyTask, "snake": SnakeTask}


def add_parser(sub) -> None:
    """Register ``gone play`` on the subcommand parser ``sub``."""
    p = sub.add_parser("play", help="watch a saved champion play a game, or play it yourself",
                       description="Open a window: with --model, the saved network plays; "
                       "without, you play (space bar to flap in flappy, arrows in snake).")
    p.add_argument("game", choices=sorted(GAME_TASKS))
    p.add_argument("--model", metavar="FILE", help="a .gone network evolved for the game")
    p.add_argument("--seed", type=int, default=0, help="the level (pipes, food) to play")
    p.add_argument("--fps", type=int, default=60)
    p.add_argument("--frames", type=int, help="flappy: stop after this many frames (demos, tests)")
    p.set_defaults(func=cmd_play)


def cmd_play(args) -> int:
    require("pygame", "games")
    import gone

    net = gone.load(args.model) if args.model else None
    if args.game == "flappy":
        from games.flappy import watch

        play = watch.play_human if net is None else (
            lambda **kw: watch.play_model(net, **kw))
        games = play(seed=args.seed, fps=args.fps, max_frames=args.frames)
        print(f"played {len(games)} game(s); pipes passed: "
              f"{', '.join(str(g.bird.score) for g in games) or '-'}")
    else:
        from games.snake import view

        if net is not None:
            view.watch(net, seed=args.seed, fps=args.fps)
        else:
            view.play_human(seed=args.seed)
    return EXIT_OK
