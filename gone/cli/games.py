"""The games in the CLI: ``gone evolve flappy|snake`` and ``gone play flappy|snake``.

The games live in the ``games`` package beside ``gone`` (installed with it);
drawing them needs pygame, the ``games`` extra. The task objects plug into
``gone evolve`` (see :mod:`gone.cli_evolve`); their target is in points
(pipes passed, food eaten), not raw fitness.
"""

from __future__ import annotations

import math
import os

from ..errors import ConfigError
from ..errors import require as _require

EXIT_OK = 0
MAX_FPS = 1000


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
        from gone_games.flappy import SETTINGS

        d = {k: SETTINGS[k] for k in ("population", "selection", "shaping", "elitism",
                                      "crossover_rate", "mutation_rate", "mutation_std")}
        return {**d, "hidden": str(SETTINGS["hidden"]), "target": 100, "generations": 1000}

    def network(self, s: dict):
        from gone_games.flappy.evolve import check_run, default_brain

        check_run(s["seed"], s["hidden"], s["backend"], s["target"])
        return default_brain(s["seed"], hidden=int(s["hidden"]))

    def fitness(self, s: dict):
        from gone_games.flappy.evolve import make_fitness

        # Without a target games end at 1000 pipes and no champion is tested.
        if self._fitness is None:
            self._fitness = (make_fitness(int(s["target"])) if _finite(s["target"])
                             else make_fitness(1000, held_out=None))
        return self._fitness

    def fitness_target(self, s: dict):
        from gone_games.flappy.fitness import verified_target

        return verified_target(int(s["target"]), self.fitness(s).needed) if _finite(s["target"]) else None

    def callbacks(self, s: dict) -> list:
        return []

    def watch(self, pop, s: dict, generations: int, options: dict):
        require("pygame", "games")
        from gone_games.flappy.watch import watch_evolution

        return watch_evolution(pop, self.fitness(s), generations=generations,
                               save_path=s.get("save") or "champion.gone", **options)

    def report(self, pop, s: dict, result) -> None:
        from gone_games.flappy.evolve import evaluate_champion, held_out_report

        target = int(s["target"]) if _finite(s["target"]) else 100
        test = self._fitness.champion if self._fitness is not None else None
        if test is None:   # not reached (or a resumed run): test the champion now
            test = evaluate_champion(result.best, target, seed=s["seed"])
        print(held_out_report(test, target))

    def neat_task(self, s: dict):
        """``gone evolve flappy --strategy neat``: the same game, genomes that grow."""
        return _FlappyNeat(s)


class _FlappyNeat:
    """Flappy for gone.neat: the same fitness plays a NEAT batch as it plays stacked networks,
    fresh pipes every generation, the stop judged on held-out games."""

    def __init__(self, s: dict):
        from gone_games.flappy import rules
        from gone_games.flappy.evolve import make_fitness
        from gone_games.flappy.fitness import verified_target

        self.points = int(s["target"]) if _finite(s["target"]) else 100
        self.fitness = make_fitness(self.points)
        self.target = verified_target(self.points, self.fitness.needed)
        self.io = (rules.N_INPUTS, rules.N_OUTPUTS)

    def default_config(self, s: dict):
        from ..neat.defaults import control_config

        return control_config(*self.io, pop_size=100)

    def callbacks(self, s: dict) -> list:
        return [lambda pop, stats: stats["best_ever"] >= self.target]

    def report(self, pop, s: dict) -> None:
        from gone_games.flappy.evolve import held_out_report

        test = self.fitness.champion
        if test is None:
            print(f"champion: no bird passed {self.points} pipes in "
                  f"{self.fitness.needed} of {self.fitness.held_out} unseen games")
        else:
            print(held_out_report(test, self.points))


class SnakeTask:
    """Snake: each network plays 3 fresh games per generation; fitness = 100 x food + steps
    bonus; the target (food on average) is met only in 10 held-out games."""

    def __init__(self):
        self._fitness = None   # the run's SnakeFitness, whose held-out test report() prints

    @property
    def defaults(self) -> dict:
        from gone_games.snake.evolve import SETTINGS

        d = {k: SETTINGS[k] for k in ("population", "generations", "selection", "tournament_size",
                                      "elitism", "crossover_rate", "mutation_rate", "mutation_std")}
        return {**d, "target": 25}

    def network(self, s: dict):
        from gone_games.snake.sim import default_brain

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
        from gone_games.snake.evolve import SETTINGS
        from gone_games.snake.sim import SnakeFitness

        if self._fitness is None:
            target = float(s["target"]) if _finite(s["target"]) else None
            self._fitness = SnakeFitness(max_steps=SETTINGS["max_steps"], games=SETTINGS["games"],
                                         target=target)
        return self._fitness

    def fitness_target(self, s: dict):
        from gone_games.snake.sim import verified_target

        return verified_target(float(s["target"])) if _finite(s["target"]) else None

    def callbacks(self, s: dict) -> list:
        return []

    def watch(self, pop, s: dict, generations: int, options: dict):
        """Evolve, showing each new champion play one game in a window (Esc stops the run)."""
        require("pygame", "games")
        from gone_games.snake import view

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
        from gone_games.snake.evolve import evaluate_champion, held_out_report

        test = self._fitness.champion if self._fitness is not None else None
        if test is None:   # not reached (or a resumed run): test the champion now
            test = evaluate_champion(result.best, seed=s["seed"])
        print(held_out_report(test, s["target"] if _finite(s["target"]) else None))


GAME_TASKS = {"flappy": FlappyTask, "snake": SnakeTask}


def add_parser(sub) -> None:
    """Register ``gone play`` on the subcommand parser ``sub``."""
    p = sub.add_parser("play", help="watch a saved champion play a game, or play it yourself",
                       description="Open a window: with --model, the saved network plays; "
                       "without, you play (space bar to flap in flappy, arrows in snake).")
    p.add_argument("game", choices=sorted(GAME_TASKS))
    p.add_argument("--model", metavar="FILE", help="a .gone network evolved for the game")
    p.add_argument("--seed", type=int, default=0, help="the level (pipes, food) to play")
    p.add_argument("--fps", type=int, default=60, help=f"frames drawn per second, 1-{MAX_FPS} (60)")
    p.add_argument("--frames", type=int, help="flappy: stop after this many frames (demos, tests)")
    p.set_defaults(func=cmd_play)


def cmd_play(args) -> int:
    if not 1 <= args.fps <= MAX_FPS:
        raise ConfigError(f"--fps must be between 1 and {MAX_FPS} (frames drawn per second), "
                          f"got {args.fps}")
    if args.frames is not None and args.frames < 1:
        raise ConfigError(f"--frames must be 1 or more, got {args.frames}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be 0 or more, got {args.seed}")
    require("pygame", "games")
    import gone

    net = gone.load(args.model) if args.model else None
    if args.game == "flappy":
        from gone_games.flappy import watch

        play = watch.play_human if net is None else (
            lambda **kw: watch.play_model(net, **kw))
        games = play(seed=args.seed, fps=args.fps, max_frames=args.frames)
        print(f"played {len(games)} game(s); pipes passed: "
              f"{', '.join(str(g.bird.score) for g in games) or '-'}")
    else:
        from gone_games.snake import view

        if net is not None:
            view.watch(net, seed=args.seed, fps=args.fps)
        else:
            view.play_human(seed=args.seed)
    return EXIT_OK
