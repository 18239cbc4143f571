"""Evolve a Snake brain with gone's GA: ``python -m gone_games.snake.evolve [--watch]``.

    from gone_games.snake.evolve import evolve
    result = evolve(generations=60, seed=0)     # EvolutionResult; result.best is a gone.Network
    result.best.save("snake.gone")

Each generation every network plays ``games`` games on a fresh seed drawn from
the population's Generator (game ``j`` of every network has the same food
stream, see :func:`gone_games.snake.sim.play_generation`); its fitness is the mean
of ``100 * food + 0.1 * min(steps, 200)`` over its games. The same ``seed``
gives the same run.
"""

from __future__ import annotations

import argparse

import numpy as np

import gone

from . import rules
from .sim import HELD_OUT_BASE, SnakeFitness, default_brain, held_out_scores, verified_target

#: The defaults of :func:`evolve`.
SETTINGS = {
    "population": 200,
    "generations": 100,
    "target": None,          # stop early at this fitness; None runs every generation
    "max_steps": 1000,       # step cap per game
    "games": 3,              # games per network per generation (fitness: their mean)
    "selection": "tournament",
    "tournament_size": 5,
    "elitism": 5,
    "crossover_rate": 0.5,
    "mutation_rate": 0.1,
    "mutation_std": 0.5,
}


def target_for(food: int) -> float:
    """The fitness a champion reaches by eating ``food`` (for ``target=``)."""
    return float(rules.fitness(food, 0))


def strategy(settings: dict = SETTINGS) -> gone.GA:
    """The GA of ``settings``."""
    keys = ("selection", "tournament_size", "elitism", "crossover_rate", "mutation_rate",
            "mutation_std")
    return gone.GA(**{k: settings[k] for k in keys})


def evolve(population: int = SETTINGS["population"], generations: int = SETTINGS["generations"],
           target: float | None = SETTINGS["target"], seed=0, callbacks=(), progress: bool = False,
           checkpoint=None, max_steps: int = SETTINGS["max_steps"], games: int = SETTINGS["games"],
           food: float | None = None, fitness: SnakeFitness | None = None):
    """Evolve :func:`~gone_games.snake.sim.default_brain` networks at Snake; returns the EvolutionResult.

    Args:
        population: networks per generation.
        generations: generations to run at most.
        target: stop once the best fitness reaches it (see :func:`target_for`).
        seed: int or Generator; the whole run (weights and games) follows from it.
        callbacks / progress / checkpoint: passed to ``Population.run``.
        max_steps: step cap of one game.
        games: games each network plays per generation.
        food: stop once a champion eats this much on average over 10 games it was
            never selected on (see :class:`~gone_games.snake.sim.SnakeFitness`); use
            this or ``target`` (a raw fitness on the selection games), not both.
        fitness: the SnakeFitness to use (read ``fitness.champion`` afterwards).
    """
    rng = gone.make_rng(seed)
    pop = gone.Population(default_brain(rng), population, strategy=strategy(), seed=rng)
    if fitness is None:
        fitness = SnakeFitness(max_steps=max_steps, games=games, target=food)
    if food is not None:
        target = verified_target(food)
    return pop.run(fitness, generations, target=target,
                   callbacks=list(callbacks), progress=progress, checkpoint=checkpoint)


def evaluate_champion(net: gone.Network, seed: int = 0, games: int = 10) -> dict:
    """``net`` plays ``games`` held-out games (a seed from ``seed``, in the held-out range)."""
    held = HELD_OUT_BASE + int(np.random.default_rng([seed, 10]).integers(HELD_OUT_BASE))
    one = gone.StackedNetworks(net, net.genome()[None])
    scores = held_out_scores(one, held, games, SETTINGS["max_steps"])["score"]
    return {"seed": held, "scores": scores.tolist(), "mean": float(scores.mean())}


def held_out_report(test: dict, target: float | None) -> str:
    """``champion: 26.1 food on average over 10 unseen games (best 38; target 25)``."""
    goal = "" if target is None else f"; target {target:g}"
    return (f"champion: {test['mean']:.1f} food on average over {len(test['scores'])} unseen games "
            f"(best {max(test['scores'])}{goal}; unseen: seeds never used for selection)")


def main(argv=None) -> int:
    """Command line: evolve, report the champion, optionally save and watch it."""
    parser = argparse.ArgumentParser(prog="python -m gone_games.snake.evolve",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--population", type=int, default=SETTINGS["population"])
    parser.add_argument("--generations", type=int, default=SETTINGS["generations"])
    parser.add_argument("--food", type=int, default=None,
                        help="stop once a champion eats this much on average in 10 unseen games")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="write the champion to this .gone file")
    parser.add_argument("--watch", action="store_true", help="show the champion playing (pygame)")
    args = parser.parse_args(argv)
    fitness = SnakeFitness(max_steps=SETTINGS["max_steps"], games=SETTINGS["games"], target=args.food)
    result = evolve(args.population, args.generations, seed=args.seed, progress=True,
                    food=args.food, fitness=fitness)
    print(f"best fitness {result.best_fitness:.1f} after {result.generations} generations "
          f"({result.seconds:.1f} s, {result.stop_reason})")
    print(held_out_report(fitness.champion or evaluate_champion(result.best, args.seed), args.food))
    if args.save:
        result.best.save(args.save)
    if args.watch:
        from .view import watch

        watch(result.best, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
