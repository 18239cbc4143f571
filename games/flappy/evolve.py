"""Evolve Flappy Bird brains with gone's genetic algorithm, with tuned defaults.

    result = evolve(seed=0)                 # until a champion passes 100 pipes
    result.best.save("flappy.gone")         # a gone.Network: 5 inputs -> 2 outputs

:data:`SETTINGS` holds the defaults (a CLI can expose each as a flag); they
were chosen by timing runs to a 100-pipe champion over several seeds on a
2-core CPU (see benchmarks/flappy.py).
"""

from __future__ import annotations

import gone

from . import rules as R
from .sim import FlappyFitness, check_brains

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
    """Evolve brains until a champion passes ``target`` pipes (or ``generations``/``max_time``).

    Args:
        population: birds per generation.
        generations: stop after this many generations (None: no limit).
        target: pipes the champion must pass in one game (None: no target).
        seed: int or Generator; the whole run (weights, pipes) follows from it.
        callbacks, progress, checkpoint: as ``gone.Population.run``.
        brain: the template network (default :func:`default_brain`).
        max_score: pipes after which a game stops (default ``target``, else 100).
        max_time: stop after this many seconds.
        fitness: the FlappyFitness to use (default one with ``max_score``);
            pass your own to read each generation's scores from ``fitness.last``.
        **ga: overrides of SETTINGS' GA keys (selection, elitism, mutation_std, ...).

    Returns the ``gone.evolution.EvolutionResult`` (``best`` is the champion network).
    """
    pop = make_population(brain, population, seed, **ga)
    if fitness is None:
        cap = max_score if max_score is not None else (target if target is not None else 100)
        fitness = FlappyFitness(max_score=cap)
    return pop.run(fitness, generations, target=None if target is None else R.fitness_target(target),
                   max_time=max_time, vectorized=True, callbacks=list(callbacks),
                   progress=progress, checkpoint=checkpoint)


def champion_score(result) -> int:
    """Pipes the best network of ``result`` passed in its best game (from its fitness)."""
    f = float(result.best_fitness)
    k = int(f // R.SCORE_WEIGHT)
    while k > 0 and R.fitness_target(k) > f:
        k -= 1
    return k

