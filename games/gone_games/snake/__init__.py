"""Snake evolved by neuroevolution: gone's second game, built like Flappy Bird.

- :mod:`~gone_games.snake.rules`: the board, the moves and the order of a step;
- :mod:`~gone_games.snake.sim`: one game, ``n`` games in arrays, and the fitness;
- :mod:`~gone_games.snake.evolve`: evolve a brain with gone's :class:`~gone.Population`;
- :mod:`~gone_games.snake.view`: pygame drawing, watching a champion, playing by hand;
- :mod:`~gone_games.snake.env`: a Gymnasium environment (``gone/Snake-v0``).

pygame and Gymnasium are imported only by ``view`` and ``env``.
"""

from .sim import SnakeFitness, SnakeGame, SnakeSim, default_brain, play, play_generation

__all__ = ["SnakeFitness", "SnakeGame", "SnakeSim", "default_brain", "play", "play_generation"]
