"""``gone evolve TASK --strategy neat``: the command's work, callable from Python too.

Tasks: ``xor`` (neat-python's XOR example config unless ``--config``), any
Gymnasium id such as ``CartPole-v1`` (mean return over ``--episodes`` seeds
per generation; solved when the champion's mean over ``--eval-episodes``
unseen episodes reaches the target, the env's threshold by default), and
game tasks that offer ``neat_task`` (flappy). The run's settings go into
its checkpoints, so ``--resume FILE`` continues exactly that run.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from ..errors import ConfigError
from ..evolution.plugins import TASKS, load_plugins
from ..format.neat import is_neat, load_population, save_champion
from ..neat.config import read_config
from ..neat.population import NeatPopulation
from ..neat.reporters import StdOutReporter
from .args import STOPPED_BY_SIGNAL, ExitCode
from .cluster import ray_cluster
from .resume import SETTINGS_KEY, SettingKeys, resumed_settings

#: NEAT settings (see gone.cli.resume): the config is kept in the checkpoint itself, and its
#: path with the run so that --resume refuses another one.
KEYS = SettingKeys(
    run=("task", "strategy", "config", "population", "seed", "episodes"),
    invocation=("generations", "target", "max_time", "stagnation", "eval_episodes", "backend",
                "workers", "checkpoint_every", "quiet"),
    output=("save", "checkpoint", "history", "plot", "draw"))
_DEFAULTS = {"seed": 0, "generations": 300, "episodes": 3, "eval_episodes": 100,
             "backend": "serial", "checkpoint_every": 10}
_GA_ONLY = ("selection", "tournament_size", "elitism", "crossover_rate", "crossover",
            "mutation_rate", "mutation_std", "mutation_decay", "shaping", "sigma",
            "learning_rate", "hidden")


class _Xor:
    def __init__(self, s):
        from ..neat.tasks import XorFitness

        self.fitness, self.target, self.io = XorFitness(), None, (2, 1)

    def default_config(self, s):
        from ..neat.defaults import xor_config

        return xor_config()

    def callbacks(self, s):
        return []

    def report(self, pop, s) -> str:
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        out = pop.best_graph().propagate(x)[:, 0]
        return "\n".join(f"  {xi[0]:.0f} xor {xi[1]:.0f} = {yi:.3f}   "
                         f"(target {int(xi[0]) ^ int(xi[1])})" for xi, yi in zip(x, out))


class _Gym:
    def __init__(self, s):
        from ..evolution import gym
        from ..neat.tasks import GymFitness

        self.io = gym.space_sizes(s["task"])
        self.fitness = GymFitness(s["task"], episodes=s["episodes"])
        if s["backend"] != "serial":  # one genome per call, on worker processes
            self.fitness = gym.GymEpisodes(s["task"], episodes=s["episodes"])
        self.scorer = GymFitness(s["task"])
        self.threshold = gym.reward_threshold(s["task"])     # what "solved" means (or None)
        self.target = s["target"] if s["target"] is not None else self.threshold

    def default_config(self, s):
        from ..neat.defaults import control_config

        return control_config(*self.io, pop_size=50)

    def unseen(self, genome, pop, s):
        return self.scorer.evaluate(genome, pop.config, episodes=s["eval_episodes"],
                                    seed=s["seed"] + 10_000)

    def callbacks(self, s):
        if self.target is None:
            return []
        tested: set[int] = set()

        def solved(pop, stats) -> bool:
            # Training episodes can be lucky, so a generation's champion at the target
            # plays unseen episodes (each genome once); the first that passes becomes
            # the run's champion. Many genomes tie at CartPole's maximum, so every
            # generation's champion gets its turn, not only a strictly better one.
            champion = pop.champion
            if stats["best"] < self.target or champion.key in tested:
                return False
            tested.add(champion.key)
            if float(self.unseen(champion, pop, s).mean()) < self.target:
                return False
            champion.extra = {"generation": stats["generation"], "verified": "unseen episodes"}
            pop.best = champion
            return True
        return [solved]

    def report(self, pop, s) -> str:
        returns = self.unseen(pop.best, pop, s)
        # judged on the run's target, or with --target none on the env's threshold (as GA runs)
        goal, name = ((self.target, "target") if self.target is not None and np.isfinite(self.target)
                      else (self.threshold, "threshold"))
        verdict = "" if goal is None else (
            f" (solved: {'yes' if returns.mean() >= goal else 'no'}, {name} {goal:g})")
        return (f"champion: mean return {returns.mean():.1f} +- {returns.std():.1f} over "
                f"{len(returns)} unseen episodes{verdict}")


def _task(s: dict):
    key = s["task"].lower()
    if key == "xor":
        return _Xor(s)
    load_plugins()
    if key in TASKS:
        game = TASKS[key]()
        if not hasattr(game, "neat_task"):
            raise ConfigError(f"{s['task']} has no NEAT task yet (try xor, flappy or a "
                              "Gymnasium id)")
        return game.neat_task(s)
    return _Gym(s)


def _refuse_ga_es_flags(args) -> None:
    given = [k for k in _GA_ONLY if getattr(args, k, None) is not None]
    if given:
        raise ConfigError(f"--{given[0].replace('_', '-')} is a GA/ES setting; NEAT reads its "
                          "settings from --config (a neat-python INI file)")
    if getattr(args, "watch", False):
        raise ConfigError("--watch shows GA/ES generations; for NEAT, save the champion "
                          "(--save champ.gone) and watch it: gone play flappy --model champ.gone")


def _settings(args) -> dict:
    _refuse_ga_es_flags(args)
    if not args.task:
        raise ConfigError("give a task (xor, flappy or a Gymnasium env id) or --resume FILE")
    s = {k: getattr(args, k, None) for k in (*KEYS.run, *KEYS.invocation, *KEYS.output)}
    s["strategy"] = "neat"
    return {k: (_DEFAULTS.get(k) if v is None else v) for k, v in s.items()}


def _with_target(config, task, target):
    """XOR's ``--target`` is its config's fitness threshold (``none``: run every generation)."""
    if not isinstance(task, _Xor) or target is None:
        return config
    return (replace(config, no_fitness_termination=True) if np.isinf(target)
            else replace(config, no_fitness_termination=False, fitness_threshold=target))


def _new(args):
    s = _settings(args)
    task = _task(s)
    config = read_config(s["config"]) if s["config"] else task.default_config(s)
    if s["population"]:
        config = replace(config, pop_size=s["population"])
    config = _with_target(config, task, s["target"])
    n_in, n_out = config.genome.num_inputs, config.genome.num_outputs
    if (n_in, n_out) != tuple(task.io):
        raise ConfigError(f"{s['config'] or 'the config'}: num_inputs = {n_in}, num_outputs = "
                          f"{n_out}, but {s['task']} needs {task.io[0]} and {task.io[1]}")
    pop = NeatPopulation(config, seed=s["seed"])
    s["population"] = config.pop_size       # the size the run has, given or from the config
    pop.settings[SETTINGS_KEY] = KEYS.saved(s)
    return pop, s, task


def _resumed(args):
    """The run saved in ``args.resume``, with this command line's stop conditions and outputs
    (see :mod:`gone.cli.resume`); a new XOR ``--target`` becomes its fitness threshold."""
    _refuse_ga_es_flags(args)
    pop = load_population(args.resume)
    s = resumed_settings(args.resume, pop.settings, args, KEYS, _DEFAULTS,
                         "gone evolve --strategy neat", implied={"strategy": "neat"})
    task = _task(s)
    pop.config = _with_target(pop.config, task, s["target"])
    pop.settings[SETTINGS_KEY] = KEYS.saved(s)
    return pop, s, task


def is_neat_file(path) -> bool:
    """Whether ``path`` is a NEAT checkpoint (for ``gone evolve --resume``)."""
    from ..format import network as _io

    return is_neat(_io.decode(_io.read_bytes(path), str(path)))


def evolve(args) -> int:
    """Run ``gone evolve`` with ``--strategy neat`` (or resume a NEAT checkpoint); exit code.

    Game tasks (plugins) take part when they offer ``neat_task(settings)``.
    """
    from ..evolution import FitnessPlot, HistoryWriter

    pop, s, task = _resumed(args) if args.resume else _new(args)
    checkpoint = s["checkpoint"]
    cbs = [*task.callbacks(s)]
    if s.get("history"):
        cbs.append(HistoryWriter(s["history"]))
    if s.get("plot"):
        from pathlib import Path

        from ..neat.reporters import SpeciesPlot

        plot = Path(s["plot"])
        cbs.append(FitnessPlot(plot, title=f"gone evolve {s['task']} --strategy neat"))
        cbs.append(SpeciesPlot(plot.with_name(plot.stem + "-species" + plot.suffix)))
    remaining = s["generations"] - pop.generation
    result = None
    cluster = ray_cluster(args, s)
    try:
        if remaining > 0 and not pop.solved:
            result = pop.run(task.fitness, remaining, max_time=s["max_time"],
                             stagnation=s["stagnation"], backend=cluster or s["backend"],
                             workers=s["workers"], callbacks=cbs, progress=not s["quiet"],
                             checkpoint=checkpoint, checkpoint_every=s["checkpoint_every"])
    finally:
        if cluster is not None:
            cluster.close()
    reason = result.stop_reason if result else ("target" if pop.solved else "generations")
    _summary(pop, reason, result)
    print(task.report(pop, s))
    if s.get("draw"):
        from ..neat.draw import draw

        g = pop.config.genome
        draw(pop.best, s["draw"], g.num_inputs, g.num_outputs)
        print(f"drew the champion in {s['draw']}")
    if s.get("save"):
        save_champion(pop, s["save"])
        print(f"saved {s['save']} (a graph network: gone info {s['save']})")
    if checkpoint:
        print(f"checkpoint {checkpoint} (resume with: gone evolve --resume {checkpoint})")
    if reason in STOPPED_BY_SIGNAL:
        kept = ("the checkpoint holds the run so far" if checkpoint else
                "nothing of the run was saved but what is printed above")
        print(f"gone: {reason}; {kept}", file=sys.stderr)
        return STOPPED_BY_SIGNAL[reason]
    return ExitCode.OK


def _summary(pop, reason: str, result) -> None:
    best, h = pop.best, pop.history
    nodes, conns = best.size()
    hidden = nodes - pop.config.genome.num_outputs
    print(f"NEAT stopped after generation {h[-1]['generation']} ({reason}); best fitness "
          f"{best.fitness:.6g} (generation {best.extra.get('generation')}, species "
          f"{best.extra.get('species')}), {pop.evaluations} evaluations"
          + (f" in {result.seconds:.1f} s" if result else ""))
    print(f"champion: {nodes} nodes ({hidden} hidden), {conns} enabled connections; "
          f"{len(pop.species.species)} species now")
    phases = {k: 1e3 * float(np.mean([row[k] for row in h]))
              for k in ("evaluate_s", "speciate_s", "reproduce_s")}
    print("mean time per generation: " + ", ".join(
        f"{k[:-2]} {v:.2f} ms" for k, v in phases.items()))
    if not pop.solved:
        StdOutReporter().on_generation(pop, h[-1])
