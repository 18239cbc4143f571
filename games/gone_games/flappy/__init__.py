"""Flappy Bird, played by gone networks and learnt by neuroevolution.

- :mod:`gone_games.flappy.rules`: constants, the order of a frame, pure functions of one bird;
- :mod:`gone_games.flappy.sim`: ``Game`` (one bird, plain objects) and ``FlockSim`` (N birds
  on one or several games, in numpy arrays), bit for bit the same;
- :mod:`gone_games.flappy.fitness`: ``play``/``play_generation`` (a population plays) and
  the vectorised ``FlappyFitness`` with its held-out test of champions;
- :mod:`gone_games.flappy.evolve`: ``evolve`` with tuned ``SETTINGS`` and ``default_brain``;
- :mod:`gone_games.flappy.env`: the Gymnasium environment ``gone/FlappyBird-v0``
  (imported on demand: it needs Gymnasium).

    from gone_games.flappy.evolve import evolve
    champion = evolve(seed=0).best    # passes 100 pipes in 9 of 10 unseen games

(``gone_games.flappy.evolve`` stays the module: the function is not re-exported
here, so it cannot shadow its own module.)
"""

from . import rules
from .evolve import SETTINGS, default_brain, make_population
from .fitness import FlappyFitness, play, play_generation
from .sim import FlockSim, Game, Snapshot

__all__ = ["FlappyFitness", "FlockSim", "Game", "SETTINGS", "Snapshot", "default_brain",
           "make_population", "play", "play_generation", "rules"]
