"""Snake's rules as constants and pure functions, shared by the single game and the vectorised sim.

The board is ``H x W`` cells addressed ``(row, col)``, row 0 at the top. The
snake lives in an integer *countdown grid* ``(H, W)``: a cell's value is the
number of steps it stays occupied (the head holds ``length``, the tail tip
``1``, a free cell ``0``). Moving is then "every positive cell minus one, the
new head gets ``length``", with no list of body cells to shift.

Directions are absolute, in clockwise order (:data:`DIRECTIONS`), so turning
right is ``+1`` and turning left is ``-1`` modulo 4. Actions are relative to
the heading: ``0`` straight, ``1`` turn left, ``2`` turn right.

One step, in this order (:class:`~gone_games.snake.sim.SnakeGame` and
:class:`~gone_games.snake.sim.SnakeSim` both follow it exactly):

1. the heading turns by the action; the new head is one cell that way;
2. the snake dies (``WALL``) if the new head is off the board, or (``SELF``)
   if it is a body cell that does not move away this step, a cell of value
   >= 2 (the tail tip, value 1, moves away: a snake may chase its own tail).
   A dying snake does not move: its last frame stays on the board;
3. it eats when the new head is the food cell. Otherwise its body moves
   (every positive cell minus one, the tail tip frees its cell);
   when it eats the body stays and the length grows by one;
4. the new head cell gets the (new) length; score += 1 if it ate;
5. hunger (steps since the last food) resets when it ate, else grows by one;
   at :func:`starve_limit` the snake dies (``STARVED``) so loopers end;
6. after eating, new food goes on a free cell chosen uniformly (the free cell
   of highest random priority, :func:`place_food`); with no free cell left
   the board is full and the game ends (``WON``).

Every function here works on scalars and, elementwise, on arrays of games.
"""

from __future__ import annotations

import numpy as np

from gone.errors import ConfigError

#: Default board size ``(rows, cols)``.
SIZE = (12, 12)
#: A new snake's length; it starts in the middle heading right.
START_LENGTH = 3
#: ``(d_row, d_col)`` per direction, clockwise: right, down, left, up.
DIRECTIONS = np.array([[0, 1], [1, 0], [0, -1], [-1, 0]], dtype=np.int64)
RIGHT, DOWN, LEFT, UP = 0, 1, 2, 3
#: Relative actions and the heading change each makes.
STRAIGHT, TURN_LEFT, TURN_RIGHT = 0, 1, 2
TURNS = np.array([0, -1, 1], dtype=np.int64)
N_ACTIONS = 3
#: Why a game ended (``ALIVE`` while it runs).
ALIVE, WALL, SELF, STARVED, WON = 0, 1, 2, 3, 4
CAUSES = ("alive", "wall", "self", "starved", "won")
#: Starvation: a snake dies after ``STARVE_BASE + STARVE_PER_LENGTH * length`` steps without food.
STARVE_BASE, STARVE_PER_LENGTH = 100, 10
#: Fitness: points per food, per step survived, and the most steps that count.
FOOD_POINTS, STEP_POINTS, STEP_CAP = 100.0, 0.1, 200
#: Observation size (see :func:`observe`).
N_OBS = 11


def check_size(size) -> tuple[int, int]:
    """``(rows, cols)`` from an int or a pair; the start snake must fit with room for food."""
    rows, cols = (size, size) if np.ndim(size) == 0 else tuple(size)
    if int(rows) != rows or int(cols) != cols or rows < 3 or cols < START_LENGTH + 2:
        raise ConfigError(f"the board must be at least 3 x {START_LENGTH + 2} cells, got {size!r}")
    return int(rows), int(cols)


def start_cells(size) -> np.ndarray:
    """The start snake's cells ``(START_LENGTH, 2)``, head first: middle row, heading right."""
    rows, cols = size
    r, c = rows // 2, cols // 2
    return np.array([[r, c - k] for k in range(START_LENGTH)], dtype=np.int64)


def grid_from_cells(cells, size) -> np.ndarray:
    """The countdown grid ``(H, W)`` of a snake given as cells ``(length, 2)``, head first."""
    cells = np.asarray(cells, dtype=np.int64)
    grid = np.zeros(size, dtype=np.int64)
    grid[cells[:, 0], cells[:, 1]] = np.arange(len(cells), 0, -1)
    return grid


def turn(direction, action):
    """The new heading after a relative action (scalars or arrays)."""
    return (direction + TURNS[action]) % 4


def ahead(head, direction):
    """The cell one step from ``head (..., 2)`` in ``direction (...)``: ``(..., 2)``."""
    return head + DIRECTIONS[direction]


def off_board(cell, size):
    """True where ``cell (..., 2)`` lies outside an ``H x W`` board: ``(...)``."""
    rows, cols = size
    r, c = cell[..., 0], cell[..., 1]
    return (r < 0) | (r >= rows) | (c < 0) | (c >= cols)


def kills(value_at_cell, off):
    """Whether moving onto a cell kills: off the board, or a body cell of value >= 2."""
    return off | (value_at_cell >= 2)


def danger(grid, head, direction):
    """Whether moving straight / left / right kills, for ``grid (..., H, W)``: ``(..., 3)`` bool.

    ``head (..., 2)`` and ``direction (...)`` belong to the same games as ``grid``.
    """
    rows, cols = grid.shape[-2:]
    heading = turn(np.asarray(direction)[..., None], np.arange(N_ACTIONS))  # (..., 3)
    cells = ahead(np.asarray(head)[..., None, :], heading)                # (..., 3, 2)
    off = off_board(cells, (rows, cols))
    flat = np.clip(cells[..., 0], 0, rows - 1) * cols + np.clip(cells[..., 1], 0, cols - 1)
    value = np.take_along_axis(grid.reshape(*grid.shape[:-2], rows * cols), flat, axis=-1)
    return kills(value, off)


def starve_limit(length):
    """Steps without food after which a snake of ``length`` starves."""
    return STARVE_BASE + STARVE_PER_LENGTH * length


def place_food(occupied, priorities):
    """The flat index of the free cell with the highest priority; -1 where none is free.

    ``occupied`` (..., H*W) bool, ``priorities`` (..., H*W) uniform [0, 1) draws;
    occupied cells get priority -1 so argmax picks a uniformly random free cell.
    """
    masked = np.where(occupied, -1.0, priorities)
    best = np.argmax(masked, axis=-1)
    return np.where(np.take_along_axis(masked, best[..., None], -1)[..., 0] >= 0, best, -1)


def relative_action(direction, wanted):
    """The relative action that heads towards absolute direction ``wanted`` (reversing: straight)."""
    delta = (wanted - direction) % 4
    return np.where(delta == 1, TURN_RIGHT, np.where(delta == 3, TURN_LEFT, STRAIGHT))


def observe(danger, direction, head, food):
    """The brain's 11 inputs in [0, 1] per game: ``(..., 11)`` float64.

    Args:
        danger: ``(..., 3)`` bool: moving straight / left / right kills (:func:`kills`).
        direction: ``(...)`` heading; one-hot in :data:`DIRECTIONS` order (right, down, left, up).
        head, food: ``(..., 2)`` cells; the last 4 inputs say whether the food lies
            left, right, up or down of the head (absolute board directions).
    """
    onehot = np.arange(4) == np.asarray(direction)[..., None]
    df = np.asarray(food) - np.asarray(head)
    where = np.stack([df[..., 1] < 0, df[..., 1] > 0, df[..., 0] < 0, df[..., 0] > 0], axis=-1)
    return np.concatenate([danger, onehot, where], axis=-1).astype(np.float64)


def fitness(score, steps):
    """``FOOD_POINTS * score + STEP_POINTS * min(steps, STEP_CAP)``.

    Food dominates: the whole step bonus (20 points) is worth less than one
    food (100), so surviving teaches wall avoidance early without rewarding
    snakes that only wander; starvation already ends loopers.
    """
    return FOOD_POINTS * np.asarray(score) + STEP_POINTS * np.minimum(steps, STEP_CAP)
