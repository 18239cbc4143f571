"""Games whose players are gone networks: ``gone_games.flappy`` (Flappy Bird) and ``gone_games.snake``.

Importing ``games`` registers the Gymnasium environments when Gymnasium is
installed (the ``games`` extra), so ``gymnasium.make("gone/FlappyBird-v0")``
and ``gymnasium.make("gone/Snake-v0")`` work after ``import games``; without Gymnasium nothing is registered.
"""

from __future__ import annotations

ENV_IDS = {"gone/FlappyBird-v0": "gone_games.flappy.env:FlappyBirdEnv",
           "gone/Snake-v0": "gone_games.snake.env:SnakeEnv"}


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


register_envs()
