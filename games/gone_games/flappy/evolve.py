"""Evolve Flappy Bird brains with gone's genetic algorithm, with tuned defaults.

    result = evolve(seed=0)     # until a champion passes 100 pipes in 9 of 10 unseen games
    result.best.save("flappy.gone")         # a gone.Network: 5 inputs -> 2 outputs

or from a shell, ``python -m gone_games.flappy.evolve --save flappy.gone`` (the same
as ``gone evolve flappy --save flappy.gone``).

:data:`SETTINGS` holds the defaults (a CLI can expose each as a flag); they
were chosen by timing runs to a 100-pipe champion over several seeds on a
2-core CPU (see benchmarks/flappy.py).
"""

from __future__ import annotations

import sys

import numpy as np

import gone

from . import rules as R
from .fitness import FlappyFitness, held_out_seeds, play_network, verified_target
from .sim import check_brains

#: Default settings of :func:`evolve`: population size, network and GA.
SETTINGS = {
    "population": 200,
    "hidden": 8,
    # The Go demo's scheme, fitness-proportionate selection of squared
    # fitness, beat tournaments (3 or 5) and truncation: median 12 generations
    # to 100 pipes over 20 seeds, against 28-42 for tournaments.
    "selection": "roulette",
    "shaping": "square",
    "tournament_size": 3,     # used only with selection="tournament"
    "elitism": 2,
    "crossover_rate": 0.5,
    "mutation_rate": 0.1,
    "mutation_std": 0.5,
    # Selection and the stop test (see gone_games.flappy.fitness): each bird plays
    # `games` fresh games per generation; a champion must pass the target in
    # `needed` of `held_out` games never used for selection.
    "games": 1,
    "held_out": 10,
    "needed": 9,
}

GA_KEYS = ("selection", "tournament_size", "elitism", "crossover_rate", "mutation_rate",
           "mutation_std", "shaping")


def default_brain(seed=None, hidden: int = SETTINGS["hidden"]) -> gone.Network:
    """The default brain: 5 inputs, ``hidden`` tanh units, 2 linear outputs (flap if out0 > out1).

    tanh keeps the hidden units centred and saturating, so mutations of any
    size change behaviour smoothly; two linear outputs compared to each other
    make "flap" a sign decision with no threshold to learn.
    """
    return gone.Network([R.N_INPUTS, gone.Dense(hidden, "tanh"), gone.Dense(R.N_OUTPUTS)],
                        seed=seed)


def check_run(seed, hidden, backend: str = "serial", target=None) -> None:
    """ConfigError, naming the valid values, for settings a Flappy run cannot honour.

    The whole flock plays in one process, vectorised (one stacked forward pass
    per frame), so there is nothing for ``--backend process`` or ``ray`` to
    spread: they are refused rather than silently ignored.
    """
    if backend not in (None, "serial"):
        raise gone.ConfigError(f"--backend {backend} does not apply to flappy: its whole flock "
                               "plays vectorised in one process (use the default, serial)")
    if int(seed) != seed or seed < 0:
        raise gone.ConfigError(f"--seed must be an integer >= 0, got {seed!r}")
    if target is not None and target != float("inf") and not (target >= 1 and target == int(target)):
        raise gone.ConfigError(f"--target for flappy is pipes, an integer >= 1 (or 'none'), "
                               f"got {target!r}")
    try:
        size = int(hidden)
    except (TypeError, ValueError):
        raise gone.ConfigError(f"--hidden for flappy is one size (an integer >= 1), "
                               f"got {hidden!r}") from None
    if size < 1:
        raise gone.ConfigError(f"--hidden for flappy must be >= 1, got {hidden!r}")


def make_population(brain: gone.Network | None = None, population: int = SETTINGS["population"],
                    seed=0, **ga) -> gone.Population:
    """A ``gone.Population`` of ``brain``'s architecture with the GA settings (SETTINGS by default)."""
    unknown = set(ga) - set(GA_KEYS)
    if unknown:
        raise gone.ConfigError(f"unknown GA setting(s) {sorted(unknown)}; known: {', '.join(GA_KEYS)}")
    rng = gone.make_rng(seed)
    if brain is None:
        brain = default_brain(int(rng.integers(2**31)))
    check_brains(brain.n_inputs, brain.n_outputs)
    settings = {k: ga.get(k, SETTINGS[k]) for k in GA_KEYS}
    pop = gone.Population(brain, population, strategy=gone.GA(**settings), seed=rng)
    pop.settings.update(game="flappy", **{k: str(v) for k, v in settings.items()})
    return pop


def evolve(population: int = SETTINGS["population"], generations: int | None = None,
           target: int | None = 100, seed=0, callbacks=(), progress: bool = False,
           checkpoint=None, brain: gone.Network | None = None, max_score: int | None = None,
           max_time: float | None = None, fitness: FlappyFitness | None = None, **ga):
    """Evolve brains until a champion passes ``target`` pipes in 9 of 10 unseen games.

    Args:
        population: birds per generation.
        generations: stop after this many generations (None: no limit).
        target: pipes the champion must pass in at least ``SETTINGS["needed"]`` of
            ``SETTINGS["held_out"]`` held-out games (None: no target).
        seed: int or Generator; the whole run (weights, pipes) follows from it.
        callbacks, progress, checkpoint: as ``gone.Population.run``.
        brain: the template network (default :func:`default_brain`).
        max_score: pipes after which a game stops (default ``target``, else 100).
        max_time: stop after this many seconds.
        fitness: the FlappyFitness to use (default one with ``max_score`` and
            SETTINGS' ``games``/``held_out``/``needed``); pass your own to read
            ``fitness.last`` (each generation's scores) and ``fitness.champion``.
        **ga: overrides of SETTINGS' GA keys (selection, elitism, mutation_std, ...).

    Returns the ``gone.evolution.EvolutionResult``; ``best`` is the champion
    network, the one that passed the held-out games when the target was reached.
    """
    pop = make_population(brain, population, seed, **ga)
    if fitness is None:
        fitness = make_fitness(target if max_score is None else max_score)
    goal = None
    if target is not None:
        if fitness.max_score != target or not fitness.held_out:
            raise gone.ConfigError(f"a target of {target} pipes needs a fitness whose games stop "
                                   f"at {target} pipes and that tests champions on held-out games")
        goal = verified_target(target, fitness.needed)
    return pop.run(fitness, generations, target=goal, max_time=max_time, vectorized=True,
                   callbacks=list(callbacks), progress=progress, checkpoint=checkpoint)


def make_fitness(target: int | None = 100, **options) -> FlappyFitness:
    """The default FlappyFitness for a run to ``target`` pipes (SETTINGS' games and held-out test)."""
    settings = {k: SETTINGS[k] for k in ("games", "held_out", "needed")}
    return FlappyFitness(max_score=100 if target is None else int(target), **{**settings, **options})


def held_out_report(test: dict, target: int) -> str:
    """One line for a held-out test: ``champion: 100+ pipes in 10/10 unseen games, median 100+``.

    Games stop at the target, so a score of ``target`` reads ``target+``.
    """
    scores = np.asarray(test["scores"])
    median = float(np.median(scores))
    shown = f"{target}+" if median >= target else f"{median:g}"
    return (f"champion: {target}+ pipes in {test['passed']}/{len(scores)} unseen games, "
            f"median {shown} (games stop at {target}; unseen: seeds never used for selection)")


def evaluate_champion(net: gone.Network, target: int, seed: int = 0,
                  games: int = SETTINGS["held_out"]) -> dict:
    """``net`` plays ``games`` held-out games (seeds from ``seed``, in the held-out range)."""
    seeds = held_out_seeds(np.random.default_rng([seed, 10]), games)
    scores = play_network(net, seeds, max_score=target)
    return {"seeds": seeds.tolist(), "scores": scores.tolist(),
            "passed": int((scores >= target).sum())}


def main(argv=None) -> int:
    """``python -m gone_games.flappy.evolve [FLAGS]`` is ``gone evolve flappy [FLAGS]``."""
    from gone.cli import main as gone_main

    return gone_main(["evolve", "flappy", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
