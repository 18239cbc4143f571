"""``gone evolve TASK``: evolve networks for XOR or any Gymnasium environment.

The run's settings are saved in its checkpoints, so ``gone evolve --resume
FILE`` continues exactly the run the file describes. Ctrl-C or SIGTERM ends
the current generation, writes the checkpoint and exits with code 130.
"""

from __future__ import annotations

import json
import sys

from .errors import ConfigError

EXIT_OK, EXIT_INTERRUPTED = 0, 130

#: Defaults of every run; a task's own defaults override them, and flags override both.
COMMON = {"seed": 0, "strategy": "ga", "selection": "tournament", "tournament_size": 3, "elitism": 2,
          "crossover_rate": 0.5, "crossover": "layer", "mutation_rate": 0.2, "mutation_std": 0.5,
          "mutation_decay": 1.0, "shaping": "none", "sigma": 0.1, "learning_rate": 0.03,
          "hidden": "16", "episodes": 3, "eval_episodes": 100, "backend": "serial",
          "checkpoint_every": 10, "population": 100, "generations": 500, "target": None}
_SETTINGS_KEY = "gone evolve"


def _target(text: str) -> float:
    """A fitness to reach; ``none`` (never reached) runs every generation."""
    return float("inf") if text.lower() == "none" else float(text)


def add_parser(sub, positive_int) -> None:
    """Register ``gone evolve`` on the subcommand parser ``sub``."""
    p = sub.add_parser(
        "evolve", help="evolve networks by a genetic algorithm or an evolution strategy",
        description="Evolve networks for a task: 'xor' (fitness = negative MSE), the games "
        "'flappy' and 'snake' (target in points), or a Gymnasium environment id such as "
        "CartPole-v1 (fitness = mean episode return). The defaults solve each.")
    p.add_argument("task", nargs="?",
                   help="xor, flappy, snake or a Gymnasium env id (omit with --resume)")
    p.add_argument("--population", type=positive_int, help="individuals (xor 100, gym 50)")
    p.add_argument("--generations", type=positive_int, help="at most this many (xor 500, gym 200)")
    p.add_argument("--target", type=_target, help="stop when the best fitness reaches it "
                   "('none' to run every generation; xor -0.005, gym: the env's threshold)")
    p.add_argument("--max-time", type=float, help="stop after this many seconds")
    p.add_argument("--stagnation", type=positive_int, help="stop after N generations without progress")
    p.add_argument("--seed", type=int)
    p.add_argument("--strategy", choices=["ga", "es"])
    p.add_argument("--selection", choices=["roulette", "tournament", "rank", "truncation"])
    p.add_argument("--tournament-size", type=positive_int, help="entrants per tournament (3)")
    p.add_argument("--elitism", type=int, help="best individuals kept unchanged")
    p.add_argument("--crossover-rate", type=float, help="share of children by crossover")
    p.add_argument("--crossover", choices=["layer", "uniform"])
    p.add_argument("--mutation-rate", type=float, help="probability a gene mutates")
    p.add_argument("--mutation-std", type=float, help="std of the Gaussian noise (xor 0.5, gym 0.2)")
    p.add_argument("--mutation-decay", type=float, help="std multiplier per generation")
    p.add_argument("--shaping", choices=["none", "square", "centered_ranks"])
    p.add_argument("--sigma", type=float, help="ES noise std")
    p.add_argument("--learning-rate", type=float, help="ES Adam step size")
    p.add_argument("--hidden", help="hidden layer sizes for gym tasks, e.g. 16 or 32,16")
    p.add_argument("--episodes", type=positive_int, help="gym episodes per evaluation")
    p.add_argument("--eval-episodes", type=positive_int,
                   help="gym episodes to test the champion on at the end")
    p.add_argument("--backend", choices=["serial", "process", "ray"],
                   help="serial runs the whole population vectorised")
    p.add_argument("--workers", type=positive_int, help="processes or Ray workers")
    p.add_argument("--address", metavar="HOST:PORT", help="with --backend ray: join the running "
                   "Ray cluster at HOST:PORT (from `ray start --head`) or ray://HOST:PORT")
    p.add_argument("--checkpoint", metavar="FILE", help="save the run here (resumable)")
    p.add_argument("--checkpoint-every", type=positive_int, metavar="N")
    p.add_argument("--resume", metavar="FILE", help="continue the run saved in this checkpoint")
    p.add_argument("--save", metavar="FILE", help="save the best network (.gone)")
    p.add_argument("--plot", metavar="PNG", help="plot best/mean/min fitness per generation")
    p.add_argument("--history", metavar="FILE", help="write per-generation stats (.csv or .json)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--watch", action="store_true", help="games: watch every generation play "
                   "in a window (speed keys 1-9, S skips drawing, P pauses, C saves the champion)")
    p.set_defaults(func=cmd_evolve)


# --- the tasks --------------------------------------------------------------------

class XorTask:
    """XOR: fitness is the negative mean squared error over the truth table."""

    defaults = {"target": -0.005}

    def network(self, s: dict):
        import gone

        return gone.Network([2, gone.Dense(4, "tanh"), gone.Dense(1, "sigmoid")], seed=s["seed"])

    def fitness(self, s: dict):
        from .evolution.tasks import XorFitness

        return XorFitness(vectorized=s["backend"] == "serial")

    def fitness_target(self, s: dict):
        return s["target"]

    def callbacks(self, s: dict) -> list:
        return []

    def report(self, pop, s: dict, result) -> None:
        from . import datasets

        x, y = datasets.xor()
        for xi, yi, pi in zip(x, y, result.best.predict(x)):
            print(f"  {xi[0]:.0f} xor {xi[1]:.0f} = {pi[0]:.3f}   (target {yi[0]:.0f})")


class GymTask:
    """A Gymnasium environment: fitness is the mean return over a few episodes."""

    defaults = {"population": 50, "generations": 200, "mutation_std": 0.2}

    def network(self, s: dict):
        from .evolution import gym

        try:
            hidden = tuple(int(h) for h in str(s["hidden"]).split(",") if h.strip())
        except ValueError:
            raise ConfigError(f"--hidden must be sizes separated by commas, got {s['hidden']!r}") from None
        return gym.default_network(s["task"], hidden=hidden, seed=s["seed"])

    def fitness(self, s: dict):
        from .evolution import gym

        cls = gym.GymFitness if s["backend"] == "serial" else gym.GymEpisodes
        return cls(s["task"], episodes=s["episodes"])

    def fitness_target(self, s: dict):
        return None  # _SolvedCheck stops the run once the champion passes the evaluation

    def callbacks(self, s: dict) -> list:
        from .evolution import gym

        if s["target"] is None:
            s["target"] = gym.reward_threshold(s["task"])
        return [] if s["target"] is None else [_SolvedCheck(s)]

    def report(self, pop, s: dict, result) -> None:
        import numpy as np

        from .evolution import gym

        returns = gym.GymFitness(s["task"]).evaluate(result.best, episodes=s["eval_episodes"],
                                                     seed=s["seed"] + 10_000)
        threshold = gym.reward_threshold(s["task"])
        verdict = "" if threshold is None else (
            f" (solved: {'yes' if returns.mean() >= threshold else 'no'}, threshold {threshold:g})")
        print(f"champion: mean return {np.mean(returns):.1f} +- {np.std(returns):.1f} over "
              f"{len(returns)} evaluation episodes{verdict}")


class _SolvedCheck:
    """Stop a gym run only when the champion's mean over the evaluation episodes reaches the target.

    A few training episodes can be lucky; this re-tests each new best on
    ``eval_episodes`` fresh episodes, as "solved" is defined for Gymnasium tasks.
    """

    def __init__(self, s: dict):
        from .evolution import gym

        self.s, self.tested = s, float("-inf")
        self.fitness = gym.GymFitness(s["task"])

    def __call__(self, pop, stats) -> bool:
        if stats["best_ever"] < self.s["target"] or stats["best_ever"] <= self.tested:
            return False
        self.tested = stats["best_ever"]
        returns = self.fitness.evaluate(pop.best, episodes=self.s["eval_episodes"],
                                        seed=self.s["seed"] + 10_000)
        return float(returns.mean()) >= self.s["target"]


def get_task(name: str):
    """The task object for a task name: xor, a game, or a Gymnasium env id."""
    from .cli_games import GAME_TASKS

    key = name.lower()
    if key == "xor":
        return XorTask()
    if key in GAME_TASKS:
        return GAME_TASKS[key]()
    return GymTask()


# --- building and running the run -----------------------------------------------------

def _settings(args, task) -> dict:
    """The run's settings: flags, else the task's defaults, else COMMON (what a checkpoint stores)."""
    s = {k: v for k, v in vars(args).items() if k not in ("func", "command", "resume", "address")}
    for key, value in {**COMMON, **task.defaults}.items():
        if s.get(key) is None:
            s[key] = value
    return s


def _strategy(s: dict):
    from .evolution import ES, GA

    if s["strategy"] == "es":
        return ES(sigma=s["sigma"], learning_rate=s["learning_rate"])
    return GA(selection=s["selection"], tournament_size=s.get("tournament_size", 3),
              elitism=s["elitism"], crossover_rate=s["crossover_rate"],
              crossover=s["crossover"], mutation_rate=s["mutation_rate"],
              mutation_std=s["mutation_std"], mutation_decay=s["mutation_decay"],
              shaping=None if s["shaping"] == "none" else s["shaping"])


def _new_run(args):
    from .evolution import Population

    if not args.task:
        raise ConfigError("give a task (xor, flappy, snake or a Gymnasium env id) or --resume FILE")
    task = get_task(args.task)
    s = _settings(args, task)
    pop = Population(task.network(s), size=s["population"], strategy=_strategy(s), seed=s["seed"])
    pop.settings[_SETTINGS_KEY] = json.dumps(s, sort_keys=True)
    return pop, s, task


def _resumed_run(args):
    from .checkpoint import load_population

    pop = load_population(args.resume)
    if _SETTINGS_KEY not in pop.settings:
        raise ConfigError(f"{args.resume}: not a checkpoint of 'gone evolve' (no run settings in it)")
    s = json.loads(pop.settings[_SETTINGS_KEY])
    s["watch"] = args.watch  # how to show the run is not part of the run
    return pop, s, get_task(s["task"])


def _callbacks(s: dict, task) -> list:
    from .evolution import FitnessPlot, HistoryWriter

    cbs = []
    if s.get("history"):
        cbs.append(HistoryWriter(s["history"]))
    if s.get("plot"):
        cbs.append(FitnessPlot(s["plot"], title=f"gone evolve {s['task']}"))
    return cbs + task.callbacks(s)


def _ray_cluster(args, s: dict):
    """A RayBackend joined to ``--address`` (kept out of the run settings: where a run
    is computed is not part of it), or None."""
    if not getattr(args, "address", None):
        return None
    if s["backend"] != "ray":
        raise ConfigError("--address is the Ray cluster to join: use it with --backend ray")
    from .evolution.backends import RayBackend

    return RayBackend(address=args.address, workers=s.get("workers"))


def _run(pop, s: dict, task, checkpoint, cluster=None):
    """Evolve for the generations the settings have left; the result."""
    from .evolution import EvolutionResult

    remaining, target = s["generations"] - pop.generation, task.fitness_target(s)
    if remaining <= 0 or (target is not None and pop.best_fitness >= target):
        reason = "generations" if remaining <= 0 else "target"
        return EvolutionResult(pop.best, pop.best_fitness, pop.generation, reason, pop.history)
    options = dict(target=target, max_time=s.get("max_time"),
                   stagnation=s.get("stagnation"), backend=cluster or s["backend"],
                   workers=s.get("workers"),
                   callbacks=_callbacks(s, task), progress=not s.get("quiet"),
                   checkpoint=checkpoint, checkpoint_every=s["checkpoint_every"])
    if s.get("watch"):
        if not hasattr(task, "watch"):
            raise ConfigError(f"--watch is for the games (flappy, snake), not {s['task']!r}")
        return task.watch(pop, s, remaining, options)
    return pop.run(task.fitness(s), remaining, **options)


def cmd_evolve(args) -> int:
    pop, s, task = _resumed_run(args) if args.resume else _new_run(args)
    checkpoint = args.resume or s.get("checkpoint")
    cluster = _ray_cluster(args, s)
    try:
        result = _run(pop, s, task, checkpoint, cluster)
    finally:
        if cluster is not None:
            cluster.close()
    best = result.best
    print(f"stopped after generation {pop.generation} ({result.stop_reason}); "
          f"best fitness {result.best_fitness:.6g} (generation {best.metadata['generation']}), "
          f"{pop.evaluations} evaluations in {result.seconds:.1f} s")
    task.report(pop, s, result)
    if s.get("save"):
        best.metadata["notes"] = f"evolved by gone evolve {s['task']}"
        best.save(s["save"])
        print(f"saved {s['save']}")
    if checkpoint:
        print(f"checkpoint {checkpoint} (resume with: gone evolve --resume {checkpoint})")
    if result.stop_reason == "interrupted":
        print("gone: interrupted; the checkpoint holds the run so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK
