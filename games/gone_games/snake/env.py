"""Snake as a Gymnasium environment, ``gone/Snake-v0`` (needs the ``games`` extra).

    env = SnakeEnv(render_mode="rgb_array")
    obs, info = env.reset(seed=0)                 # obs (11,) float32 in [0, 1]
    obs, reward, terminated, truncated, info = env.step(0)

- Observation: ``Box(0, 1, (11,), float32)``, the brain inputs of
  :func:`gone_games.snake.rules.observe` (danger straight/left/right, heading
  one-hot right/down/left/up, food left/right/up/down of the head).
- Action: ``Discrete(3)``: 0 straight, 1 turn left, 2 turn right.
- Reward: +1 per food; -1 when the snake dies on a wall or on itself; 0 otherwise.
- Terminated: the snake died on a wall or itself, or filled the board.
- Truncated (no penalty): starvation (the hunger counter is not in the
  observation, so it is a time limit, not a state of the game) or ``max_steps``.
- ``info``: ``score``, ``length``, ``steps`` and ``cause`` (a name of
  :data:`gone_games.snake.rules.CAUSES`).
"""

from __future__ import annotations

import numpy as np

from gone.errors import ConfigError, require

from . import rules as R
from .sim import SnakeGame

gym = require("gymnasium", "games")

#: The id :mod:`games` registers this environment under.
ENV_ID = "gone/Snake-v0"


class SnakeEnv(gym.Env):
    """Snake on a ``size x size`` board (or ``(rows, cols)``), at most ``max_steps`` steps an episode."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 15}

    def __init__(self, render_mode: str | None = None, size=12, max_steps: int = 10_000):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode must be None, 'human' or 'rgb_array', got {render_mode!r}")
        if int(max_steps) != max_steps or max_steps < 1:
            raise ConfigError(f"max_steps must be a positive integer, got {max_steps!r}")
        self.size, self.max_steps = R.check_size(size), int(max_steps)
        self.render_mode = render_mode
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(R.N_OBS,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(R.N_ACTIONS)
        self.game: SnakeGame | None = None
        self._window = None

    def _obs(self) -> np.ndarray:
        return self.game.observation().astype(np.float32)

    def _info(self) -> dict:
        g = self.game
        return {"score": g.score, "length": g.length, "steps": g.steps, "cause": R.CAUSES[g.cause]}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        # the food comes from the env's np_random, so reset(seed=s) replays the same game
        self.game = SnakeGame(self.np_random, self.size)
        if self.render_mode == "human":
            self.render()
        return self._obs(), self._info()

    def step(self, action):
        if self.game is None:
            raise ConfigError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ConfigError(f"action must be 0, 1 or 2 (Discrete(3)), got {action!r}")
        ate = self.game.step(int(action))
        cause = self.game.cause
        reward = float(ate) - (1.0 if cause in (R.WALL, R.SELF) else 0.0)
        terminated = cause in (R.WALL, R.SELF, R.WON)
        truncated = cause == R.STARVED or (not terminated and self.game.steps >= self.max_steps)
        if self.render_mode == "human":
            self.render()
        return self._obs(), reward, terminated, truncated, self._info()

    def render(self):
        if self.render_mode is None or self.game is None:
            return None
        from . import view

        if self.render_mode == "rgb_array":
            return view.render_rgb(self.game)
        if self._window is None:
            self._window = view.Window(self.size, fps=self.metadata["render_fps"])
        self._window.events()  # keep the window responsive; closing it is the caller's job
        self._window.show(self.game, f"gone: Snake  score {self.game.score}")
        return None

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None
