"""Snake on screen with pygame (the ``games`` extra), imported only when drawing.

    from gone_games.snake.view import render_rgb, watch, play_human
    frame = render_rgb(SnakeGame(seed=0))        # (H*cell, W*cell, 3) uint8, no window
    watch(champion, seed=0, fps=15)              # a window; Escape or closing it quits
    play_human(seed=0)                           # arrow keys; Escape quits

A *state* is a :class:`~gone_games.snake.sim.SnakeGame` or a
:class:`~gone_games.snake.sim.SnakeSim` (then ``i`` picks the game, 0 by default):
anything with ``grid``, ``head`` and ``food``. Nothing here sets SDL
environment variables; headless callers set ``SDL_VIDEODRIVER=dummy`` themselves.
"""

from __future__ import annotations

import numpy as np

from gone.errors import ConfigError, require

from . import rules as R
from .sim import SnakeGame, choose_actions

#: Pixels per board cell.
CELL = 24
BACKGROUND = (18, 18, 24)
GRID_LINE = (34, 34, 44)
BODY = (46, 160, 67)
HEAD = (150, 240, 120)
FOOD = (230, 57, 70)


def _pygame():
    return require("pygame", "games")


def board(state, i: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(grid (H, W), head (2,), food (2,))`` of a game, or of game ``i`` of a SnakeSim."""
    grid, head, food = np.asarray(state.grid), np.asarray(state.head), np.asarray(state.food)
    if grid.ndim == 3:
        i = 0 if i is None else int(i)
        if not 0 <= i < len(grid):
            raise ConfigError(f"game {i} does not exist: the sim runs {len(grid)} games")
        return grid[i], head[i], food[i]
    if i not in (None, 0):
        raise ConfigError(f"a single game has no game {i}")
    return grid, head, food


def draw(surface, state, i: int | None = None) -> None:
    """Draw the board, the snake (head brighter) and the food of one game onto ``surface``.

    The cell size is the surface width over the board's columns.
    """
    pygame = _pygame()
    grid, head, food = board(state, i)
    rows, cols = grid.shape
    cell = surface.get_width() // cols
    surface.fill(BACKGROUND)
    for k in range(1, max(rows, cols)):  # faint lines between cells
        pygame.draw.line(surface, GRID_LINE, (k * cell, 0), (k * cell, rows * cell))
        pygame.draw.line(surface, GRID_LINE, (0, k * cell), (cols * cell, k * cell))

    def square(rc, colour):
        pygame.draw.rect(surface, colour, (int(rc[1]) * cell + 1, int(rc[0]) * cell + 1,
                                           cell - 2, cell - 2))

    for rc in np.argwhere(grid > 0):
        square(rc, BODY)
    square(head, HEAD)
    if food[0] >= 0:
        square(food, FOOD)


def render_rgb(state, i: int | None = None, cell: int = CELL) -> np.ndarray:
    """The board as an image ``(H*cell, W*cell, 3)`` uint8, drawn offscreen (no window)."""
    pygame = _pygame()
    rows, cols = board(state, i)[0].shape
    surface = pygame.Surface((cols * cell, rows * cell))
    draw(surface, state, i)
    # surfarray is indexed (x, y): transpose to rows first like every image array
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2), dtype=np.uint8)


class Window:
    """A pygame window showing one game per :meth:`show`, at most ``fps`` frames a second."""

    def __init__(self, size=R.SIZE, cell: int = CELL, fps: float = 15, title: str = "gone: Snake"):
        self.pygame = _pygame()
        rows, cols = R.check_size(size)
        self.pygame.display.init()
        self.screen = self.pygame.display.set_mode((cols * cell, rows * cell))
        self.pygame.display.set_caption(title)
        self.clock, self.fps = self.pygame.time.Clock(), fps

    def show(self, state, caption: str | None = None) -> None:
        """Draw ``state``, flip the display and wait for the next frame."""
        draw(self.screen, state)
        if caption is not None:
            self.pygame.display.set_caption(caption)
        self.pygame.display.flip()
        self.clock.tick(self.fps)

    def events(self) -> tuple[bool, list]:
        """``(quit, key_downs)``: quit when the window closes or Escape is pressed."""
        pg, keys, quit_ = self.pygame, [], False
        for event in pg.event.get():
            if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                quit_ = True
            elif event.type == pg.KEYDOWN:
                keys.append(event.key)
        return quit_, keys

    def close(self) -> None:
        self.pygame.display.quit()


def watch(best_net, seed: int = 0, fps: float = 15, games: int | None = None,
          size=R.SIZE, cell: int = CELL) -> list[int]:
    """Show ``best_net`` playing game after game (seeds ``seed, seed+1, ...``); returns the scores.

    Stops on window close or Escape, or after ``games`` games.
    """
    window, scores = Window(size, cell, fps), []
    try:
        while games is None or len(scores) < games:
            game = SnakeGame(seed + len(scores), size)
            while game.alive:
                quit_, _ = window.events()
                if quit_:
                    return scores
                game.step(int(choose_actions(best_net.predict(game.observation()))))
                window.show(game, f"gone: Snake  game {len(scores) + 1}  score {game.score}")
            scores.append(game.score)
    finally:
        window.close()
    return scores


def play_human(seed: int = 0, fps: float = 8, size=R.SIZE, cell: int = CELL) -> list[int]:
    """Play with the arrow keys; after a death any key starts the next game. Returns the scores."""
    window, scores = Window(size, cell, fps), []
    pg = window.pygame
    arrows = {pg.K_RIGHT: R.RIGHT, pg.K_DOWN: R.DOWN, pg.K_LEFT: R.LEFT, pg.K_UP: R.UP}
    game, wanted = SnakeGame(seed, size), R.RIGHT
    try:
        while True:
            quit_, keys = window.events()
            if quit_:
                break
            if not game.alive:
                if keys:  # any key: the next game
                    game, wanted = SnakeGame(seed + len(scores), size), R.RIGHT
                window.show(game, f"gone: Snake  score {game.score}  (game over: any key)")
                continue
            for key in keys:  # the last arrow wins; reversing onto the neck is ignored
                if key in arrows and arrows[key] != (game.direction + 2) % 4:
                    wanted = arrows[key]
            game.step(int(R.relative_action(game.direction, wanted)))
            if not game.alive:
                scores.append(game.score)
            window.show(game, f"gone: Snake  score {game.score}")
    finally:
        window.close()
    return scores
