"""``gone evolve TASK``: evolve networks for XOR or any Gymnasium environment.

The run's settings are saved in its checkpoints (never its output paths), so
``gone evolve --resume FILE`` continues exactly the run the file describes,
with this command line's outputs and stop conditions. Ctrl-C or SIGTERM ends
the current generation, writes the checkpoint (if there is one) and exits
with code 130.
"""

from __future__ import annotations

import sys

from ..errors import ConfigError
from ..evolution.tasks import get_task
from .args import (
    STOPPED_BY_SIGNAL,
    ExitCode,
    layer_sizes,
    non_negative_int,
    output_file,
    positive_float,
    positive_int,
    probability,
    seed,
)
from .cluster import ray_cluster
from .resume import SETTINGS_KEY, SettingKeys, resumed_settings

#: Defaults of every run; a task's own defaults override them, and flags override both.
COMMON = {"seed": 0, "strategy": "ga", "selection": "tournament", "tournament_size": 3, "elitism": 2,
          "crossover_rate": 0.5, "crossover": "layer", "mutation_rate": 0.2, "mutation_std": 0.5,
          "mutation_decay": 1.0, "shaping": "none", "sigma": 0.1, "learning_rate": 0.03,
          "hidden": "16", "episodes": 3, "eval_episodes": 100, "backend": "serial",
          "checkpoint_every": 10, "population": 100, "generations": 500, "target": None}


def _target(text: str) -> float:
    """A fitness to reach; ``none`` (never reached) runs every generation."""
    import argparse
    import math

    if text.strip().lower() == "none":
        return math.inf
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number or 'none', got {text!r}")
    return value


def add_parser(sub) -> None:
    """Register ``gone evolve`` on the subcommand parser ``sub``."""
    p = sub.add_parser(
        "evolve", help="evolve networks by a genetic algorithm or an evolution strategy",
        description="Evolve networks for a task: 'xor' (fitness = negative MSE), the games "
        "'flappy' and 'snake' (target in points), or a Gymnasium environment id such as "
        "CartPole-v1 (fitness = mean episode return). The defaults solve each.")
    p.add_argument("task", nargs="?",
                   help="xor, flappy, snake or a Gymnasium env id (omit with --resume)")
    p.add_argument("--population", type=positive_int, help="individuals (xor 100, gym 50)")
    p.add_argument("--generations", type=positive_int, help="at most this many in the whole run "
                   "(xor 500, gym 200); with --resume, raise it to run more")
    p.add_argument("--target", type=_target, help="stop when the best fitness reaches it "
                   "('none' to run every generation; xor -0.005, gym: the env's threshold)")
    p.add_argument("--max-time", type=positive_float, help="stop after this many seconds")
    p.add_argument("--stagnation", type=positive_int, help="stop after N generations without progress")
    p.add_argument("--seed", type=seed)
    p.add_argument("--strategy", choices=["ga", "es", "neat"],
                   help="neat grows topologies (settings from --config, see gone.neat)")
    p.add_argument("--config", metavar="INI", help="neat: a neat-python config file, read as is")
    p.add_argument("--draw", metavar="FILE", type=output_file(".svg", ".png"),
                   help="neat: draw the champion (.svg or .png)")
    p.add_argument("--selection", choices=["roulette", "tournament", "rank", "truncation"])
    p.add_argument("--tournament-size", type=positive_int, help="entrants per tournament (3)")
    p.add_argument("--elitism", type=non_negative_int, help="best individuals kept unchanged")
    p.add_argument("--crossover-rate", type=probability, help="share of children by crossover")
    p.add_argument("--crossover", choices=["layer", "uniform"])
    p.add_argument("--mutation-rate", type=probability, help="probability a gene mutates")
    p.add_argument("--mutation-std", type=positive_float, help="std of the Gaussian noise (xor 0.5, gym 0.2)")
    p.add_argument("--mutation-decay", type=positive_float, help="std multiplier per generation")
    p.add_argument("--shaping", choices=["none", "square", "centered_ranks"])
    p.add_argument("--sigma", type=positive_float, help="ES noise std")
    p.add_argument("--learning-rate", type=positive_float, help="ES Adam step size")
    p.add_argument("--hidden", type=layer_sizes,
                   help="hidden layer sizes, e.g. 16 or 32,16 (xor 4, gym 16; flappy one size)")
    p.add_argument("--episodes", type=positive_int, help="gym episodes per evaluation")
    p.add_argument("--eval-episodes", type=positive_int,
                   help="gym episodes to test the champion on at the end")
    p.add_argument("--backend", choices=["serial", "process", "ray"],
                   help="serial runs the whole population vectorised")
    p.add_argument("--workers", type=positive_int, help="processes or Ray workers")
    p.add_argument("--address", metavar="HOST:PORT", help="with --backend ray: join the running "
                   "Ray cluster at HOST:PORT (from `ray start --head`) or ray://HOST:PORT")
    p.add_argument("--checkpoint", metavar="FILE", type=output_file(".gone"),
                   help="save the run here (resumable)")
    p.add_argument("--checkpoint-every", type=positive_int, metavar="N")
    p.add_argument("--resume", metavar="FILE", help="continue the run saved in this checkpoint "
                   "(and save it there, or to --checkpoint); honours --generations, --target, "
                   "--max-time, --stagnation, --backend, --workers, the output flags and --quiet, "
                   "and refuses flags that would change the run")
    p.add_argument("--save", metavar="FILE", type=output_file(".gone"), help="save the best network (.gone)")
    p.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg", ".pdf"),
                   help="plot best/mean/min fitness per generation (the extension picks the format)")
    p.add_argument("--history", metavar="FILE", type=output_file(".csv", ".json"),
                   help="write per-generation stats (.csv or .json)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--watch", action="store_true", help="games: watch every generation play "
                   "in a window (speed keys 1-9, S skips drawing, P pauses, C saves the champion)")
    p.set_defaults(func=cmd_evolve)


# --- building and running the run -----------------------------------------------------

#: GA/ES settings: what a run is (on --resume only to be repeated, never changed); how far
#: and how this invocation runs it (flags a resumed run honours); where results go (always
#: from the command line, never from a file). See gone.cli.resume.
KEYS = SettingKeys(
    run=("task", "seed", "strategy", "selection", "tournament_size", "elitism", "crossover_rate",
         "crossover", "mutation_rate", "mutation_std", "mutation_decay", "shaping", "sigma",
         "learning_rate", "hidden", "episodes", "population"),
    invocation=("generations", "target", "max_time", "stagnation", "eval_episodes", "backend",
                "workers", "checkpoint_every", "quiet", "watch"),
    output=("save", "checkpoint", "history", "plot"))


def _settings(args, task) -> dict:
    """The run's settings: flags, else the task's defaults, else COMMON."""
    s = {k: v for k, v in vars(args).items() if k not in ("func", "command", "resume")}
    for key, value in {**COMMON, **task.defaults}.items():
        if s.get(key) is None:
            s[key] = value
    return s


def _strategy(s: dict):
    from ..evolution import ES, GA

    if s["strategy"] == "es":
        return ES(sigma=s["sigma"], learning_rate=s["learning_rate"])
    return GA(selection=s["selection"], tournament_size=s.get("tournament_size", 3),
              elitism=s["elitism"], crossover_rate=s["crossover_rate"],
              crossover=s["crossover"], mutation_rate=s["mutation_rate"],
              mutation_std=s["mutation_std"], mutation_decay=s["mutation_decay"],
              shaping=None if s["shaping"] == "none" else s["shaping"])


def _new_run(args):
    from ..evolution import Population

    if not args.task:
        raise ConfigError("give a task (xor, flappy, snake or a Gymnasium env id) or --resume FILE")
    task = get_task(args.task)
    s = _settings(args, task)
    pop = Population(task.network(s), size=s["population"], strategy=_strategy(s), seed=s["seed"])
    pop.settings[SETTINGS_KEY] = KEYS.saved(s)
    return pop, s, task


def _resumed_run(args):
    """The run saved in ``args.resume``, with this command line's invocation flags and outputs."""
    from ..format.population import load_population

    pop = load_population(args.resume)
    s = resumed_settings(args.resume, pop.settings, args, KEYS, COMMON)
    pop.settings[SETTINGS_KEY] = KEYS.saved(s)
    return pop, s, get_task(s["task"])


def _callbacks(s: dict, task) -> list:
    from ..evolution import FitnessPlot, HistoryWriter

    cbs = []
    if s.get("history"):
        cbs.append(HistoryWriter(s["history"]))
    if s.get("plot"):
        cbs.append(FitnessPlot(s["plot"], title=f"gone evolve {s['task']}"))
    return cbs + task.callbacks(s)


def _run(pop, s: dict, task, checkpoint, cluster=None):
    """Evolve for the generations the settings have left; the result."""
    from ..evolution import EvolutionResult

    remaining, target = s["generations"] - pop.generation, task.fitness_target(s)
    if remaining <= 0 or (target is not None and pop.best_fitness >= target):
        reason = "generations" if remaining <= 0 else "target"
        return EvolutionResult(pop.best, pop.best_fitness, pop.generation, reason, pop.history)
    options = dict(target=target, max_time=s.get("max_time"),
                   stagnation=s.get("stagnation"), backend=cluster or s["backend"],
                   workers=s.get("workers"), callbacks=_callbacks(s, task), progress=not s.get("quiet"),
                   checkpoint=checkpoint, checkpoint_every=s["checkpoint_every"],
                   handle_signals=True)
    if s.get("watch"):
        if not hasattr(task, "watch"):
            raise ConfigError(f"--watch is for the games (flappy, snake), not {s['task']!r}")
        return task.watch(pop, s, remaining, options)
    return pop.run(task.fitness(s), remaining, **options)


def cmd_evolve(args) -> int:
    from .neat import is_neat_file

    if args.strategy == "neat" or (args.resume and is_neat_file(args.resume)):
        from .neat import evolve

        return evolve(args)
    if args.config or args.draw:
        raise ConfigError("--config and --draw are NEAT settings (give --strategy neat)")
    pop, s, task = _resumed_run(args) if args.resume else _new_run(args)
    checkpoint = s.get("checkpoint")
    if args.resume and s["generations"] <= pop.generation:
        print(f"gone: {args.resume} already holds {pop.generation} generations; pass "
              f"--generations N with N > {pop.generation} to run more", file=sys.stderr)
    cluster = ray_cluster(args, s)
    try:
        result = _run(pop, s, task, checkpoint, cluster)
    finally:
        if cluster is not None:
            cluster.close()
    best = result.best
    print(f"stopped after generation {pop.generation} ({result.stop_reason}); "
          f"best fitness {result.best_fitness:.6g} (generation {best.metadata['generation']}), "
          f"{pop.evaluations} evaluations in {result.seconds:.1f} s")
    print(task.report(pop, s, result))
    if s.get("save"):
        best.metadata["notes"] = f"evolved by gone evolve {s['task']}"
        best.save(s["save"])
        print(f"saved {s['save']}")
    if checkpoint:
        print(f"checkpoint {checkpoint} (resume with: gone evolve --resume {checkpoint})")
    if result.stop_reason in STOPPED_BY_SIGNAL:
        kept = ("the checkpoint holds the run so far" if checkpoint else
                "nothing of the run was saved but what is printed above "
                "(--checkpoint FILE makes a run resumable)")
        print(f"gone: {result.stop_reason} after generation {pop.generation}; {kept}",
              file=sys.stderr)
        return STOPPED_BY_SIGNAL[result.stop_reason]
    return ExitCode.OK
