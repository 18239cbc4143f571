"""Flappy Bird as a Gymnasium environment, ``gone/FlappyBird-v0`` (registered through gone's
``gone.plugins`` entry point, :func:`gone_games.register`).

- observation: ``Box(rules.INPUT_LOW, rules.INPUT_HIGH)`` float32, the 5 brain
  inputs of ``rules.observation`` (bounds from the game's geometry: input 4,
  v / 9, reaches 1.02 since v can reach 9.2);
- action: ``Discrete(2)``, 0 = do nothing, 1 = flap;
- reward: +1 for each frame survived and +``PIPE_REWARD`` (100) for each pipe
  passed; 0 on the fatal frame;
- terminated when the bird dies; truncated after ``max_frames`` frames if
  given (default None: never, a perfect bird plays forever; or pass
  ``max_episode_steps`` to ``gymnasium.make``).

Pipe heights come from the environment's ``np_random``: ``reset(seed=s)``
replays the same pipes. Rendering draws with ``gone_games.flappy.view.draw(surface,
snapshot)`` (pygame, the ``games`` extra), imported only when rendering.
"""

from __future__ import annotations

import importlib
import os

import gymnasium
import numpy as np

import gone

from . import rules as R
from .sim import Game

PIPE_REWARD = 100.0


class FlappyBirdEnv(gymnasium.Env):
    """One bird; see the module docstring for spaces, rewards and episode ends."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 60}

    def __init__(self, render_mode: str | None = None, max_frames: int | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise gone.ConfigError(f"unknown render_mode {render_mode!r}; use None, "
                                   f"{', '.join(map(repr, self.metadata['render_modes']))}")
        if max_frames is not None and (int(max_frames) != max_frames or max_frames < 1):
            raise gone.ConfigError(f"max_frames must be a positive integer or None, got {max_frames!r}")
        self.render_mode, self.max_frames = render_mode, max_frames
        self.observation_space = gymnasium.spaces.Box(np.array(R.INPUT_LOW, np.float32),
                                                      np.array(R.INPUT_HIGH, np.float32))
        self.action_space = gymnasium.spaces.Discrete(2)
        self.game: Game | None = None
        self._surface = None   # pygame surface, created on the first render
        self._clock = None

    def _obs(self) -> np.ndarray:
        return self.game.observe().astype(np.float32)

    def _info(self) -> dict:
        return {"score": self.game.bird.score, "frames": self.game.bird.frames}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.game = Game(self.np_random)
        if self.render_mode == "human":
            self.render()
        return self._obs(), self._info()

    def step(self, action):
        if self.game is None:
            raise gone.ConfigError("call reset() before step()")
        if not self.action_space.contains(action):
            raise gone.ConfigError(f"action must be 0 (nothing) or 1 (flap), got {action!r}")
        score = self.game.bird.score
        alive = self.game.step(bool(action))
        reward = (1.0 if alive else 0.0) + PIPE_REWARD * (self.game.bird.score - score)
        truncated = alive and self.max_frames is not None and self.game.frame >= self.max_frames
        if self.render_mode == "human":
            self.render()
        return self._obs(), reward, not alive, bool(truncated), self._info()

    def render(self):
        """None without a render_mode; an ``(900, 800, 3)`` uint8 frame for ``"rgb_array"``."""
        if self.render_mode is None or self.game is None:
            return None
        pygame, view = _pygame_and_view()
        if self._surface is None:
            if self.render_mode == "human":
                pygame.init()
                self._surface = pygame.display.set_mode((R.WIDTH, R.HEIGHT))
                pygame.display.set_caption("gone: Flappy Bird")
                self._clock = pygame.time.Clock()
            else:
                self._surface = pygame.Surface((R.WIDTH, R.HEIGHT))
        view.draw(self._surface, self.game.snapshot())
        if self.render_mode == "human":
            pygame.event.pump()
            pygame.display.flip()
            self._clock.tick(self.metadata["render_fps"])
            return None
        # surfarray is (width, height, 3): transpose to image rows (height, width, 3).
        return np.transpose(pygame.surfarray.array3d(self._surface), (1, 0, 2)).copy()

    def close(self):
        if self._surface is not None:
            import pygame

            if self.render_mode == "human":
                pygame.display.quit()
            self._surface = None


def _pygame_and_view():
    """``(pygame, gone_games.flappy.view)``, or DependencyMissing saying which is missing."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # no banner in the middle of a run
    try:
        import pygame
    except ImportError as exc:
        raise gone.DependencyMissing("rendering Flappy Bird needs pygame; install it with: "
                                     "pip install 'gone-nn[games]'") from exc
    try:   # through sys.modules, so a test can stand in for the view
        view = importlib.import_module(f"{__package__}.view")
    except ImportError as exc:
        raise gone.DependencyMissing(f"rendering Flappy Bird needs gone_games.flappy.view: {exc}") from exc
    return pygame, view
