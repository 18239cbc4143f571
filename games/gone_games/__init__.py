"""Games whose players are gone networks: ``gone_games.flappy`` (Flappy Bird) and ``gone_games.snake``.

The games plug into gone from outside: the ``gone.plugins`` entry point of this
distribution names :func:`register`, which gone calls the first time it looks
up a task or a Gymnasium environment. It registers the tasks ``flappy`` and
``snake`` (``gone evolve``, ``gone play``) and, when Gymnasium is installed
(the ``games`` extra), the environments ``gone/FlappyBird-v0`` and
``gone/Snake-v0``. Importing this package registers nothing by itself.
"""

from __future__ import annotations

ENV_IDS = {"gone/FlappyBird-v0": "gone_games.flappy.env:FlappyBirdEnv",
           "gone/Snake-v0": "gone_games.snake.env:SnakeEnv"}


def register() -> None:
    """Register the games' tasks with gone and their environments with Gymnasium (idempotent)."""
    from gone.evolution.plugins import register_task

    from .flappy.task import FlappyTask
    from .snake.task import SnakeTask

    register_task("flappy", FlappyTask)
    register_task("snake", SnakeTask)
    register_envs()


def register_envs() -> None:
    """Register ``ENV_IDS`` with Gymnasium once; a no-op without Gymnasium or when done."""
    try:
        import gymnasium
    except ImportError:  # the games extra is optional
        return
    for env_id, entry_point in ENV_IDS.items():
        # The registry warns on re-registration (a module reload): check first.
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point)
