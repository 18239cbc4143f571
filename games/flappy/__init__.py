"""Flappy Bird, played by gone networks and learnt by neuroevolution.

- :mod:`games.flappy.rules`: constants, the order of a frame, pure functions of one bird;
- :mod:`games.flappy.sim`: ``Game`` (one bird, plain objects), ``FlockSim`` (N birds
  in numpy arrays), ``play_generation`` and the vectorised ``FlappyFitness``;
- :mod:`games.flappy.evolve`: ``evolve`` with tuned ``SETTINGS`` and ``default_brain``;
- :mod:`games.flappy.env`: the Gymnasium environment ``gone/FlappyBird-v0``
  (imported on demand: it needs Gymnasium).

    from games.flappy.evolve import evolve
    champion = evolve(seed=0).best        # passes 100 pipes in one game

(``games.flappy.evolve`` stays the module: the function is not re-exported
here, so it cannot shadow its own module.)
"""

from . import rules
from .evolve import SETTINGS, default_brain, make_population
from .sim import FlappyFitness, FlockSim, Game, Snapshot, play_generation

__all__ = ["FlappyFitness", "FlockSim", "Game", "SETTINGS", "Snapshot", "default_brain",
           "make_population", "play_generation", "rules"]
