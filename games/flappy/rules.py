"""Flappy Bird's rules: the original demo's constants and pure functions of one bird.

Coordinates are pixels in an 800x900 window, x to the right and y down. The
ground is the bottom 100 px (its top is y = 800). The bird is a 30x30 square
whose top-left corner stays at x = 60 and starts at y = 450; velocity is in px
per frame, positive downwards. Three pipes scroll left at 2.3 px per frame;
each is 70 px wide (its 3 px border belongs to the pipe) with a 120 px gap
between the top pipe's lower edge (y = ``top``) and the bottom pipe's upper
edge (y = ``top + 120``); ``top`` is uniform in [120, 450]. The first pipe
starts at the right edge (x = 800), the others 300 px apart (70 wide + 230 gap).

One frame, in this order (``sim.Game`` and ``sim.FlockSim`` both follow it):

1. decide: every living bird chooses to flap from :func:`observation` of the
   state before the frame (a brain flaps when its output 0 > output 1);
2. velocity: ``v = FLAP_VELOCITY`` on a flap, else ``min(v + GRAVITY, MAX_VELOCITY)``;
3. position: ``y += v``;
4. scroll: every pipe's ``x -= SCROLL_SPEED``;
5. recycle: the front pipe, once fully off screen (``x + PIPE_WIDTH < 0``),
   moves behind the back pipe (``x = back_x + PIPE_WIDTH + PIPE_SPACING``)
   with a new ``top`` drawn from the game's Generator;
6. collisions: a bird dies touching the sky (``y <= 0``), the ground (its
   bottom ``y + 30 >= 800``) or a pipe (closed rectangles: touching is dying);
7. scoring: a bird still alive whose left edge is past its next pipe's right
   edge (``60 > x + 70``) has passed it: score + 1, each pipe counted once;
8. frames: every bird still alive has survived one more frame.

A dead bird stays where it died, with the score and frames it had before
the fatal frame. Fitness is ``frames + SCORE_WEIGHT * score`` (see :func:`fitness`).

Comparisons are written once here as ``y <= limit`` / ``y >= limit`` with
limits that are sums of two numbers, so the object and the numpy simulators
round identically and agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

WIDTH, HEIGHT = 800, 900
GROUND_HEIGHT = 100
GROUND_Y = HEIGHT - GROUND_HEIGHT          # 800: the ground's top edge

BIRD_SIZE = 30
BIRD_X = 60.0                              # left edge, fixed
BIRD_START_Y = 450.0                       # top edge at the start
START_VELOCITY = 1.0
GRAVITY = 0.35
MAX_VELOCITY = 9.0
FLAP_VELOCITY = -6.9

PIPE_WIDTH = 70
PIPE_BORDER = 3                            # drawn darker; part of the pipe for collisions
PIPE_GAP = 120                             # vertical: top pipe's bottom to bottom pipe's top
PIPE_MIN_TOP, PIPE_MAX_TOP = 120, 450      # range of the top pipe's height
PIPE_SPACING = 230                         # horizontal gap between consecutive pipes
PIPE_PITCH = PIPE_WIDTH + PIPE_SPACING     # 300: left edge to left edge
SCROLL_SPEED = 2.3
N_PIPES = 3
FIRST_PIPE_X = float(WIDTH)                # the first pipe enters at the right edge

SKY_LIMIT = 0.0                            # dead when y <= SKY_LIMIT
GROUND_LIMIT = float(GROUND_Y - BIRD_SIZE)  # dead when y >= 770 (bottom on the ground)
GAP_LIMIT = float(PIPE_GAP - BIRD_SIZE)    # dead in a pipe when y >= top + 90

N_INPUTS, N_OUTPUTS = 5, 2                 # a brain maps the 5 inputs below to 2 outputs
SCORE_WEIGHT = 1000                        # fitness per pipe passed (frames count 1 each)


def new_pipe_top(rng: np.random.Generator) -> float:
    """A top pipe's height (its lower edge's y), uniform in [PIPE_MIN_TOP, PIPE_MAX_TOP)."""
    return float(rng.uniform(PIPE_MIN_TOP, PIPE_MAX_TOP))


def initial_pipe_x() -> list[float]:
    """Left edges of the three pipes at the start: 800, 1100, 1400."""
    return [FIRST_PIPE_X + i * PIPE_PITCH for i in range(N_PIPES)]


def next_velocity(v: float, flap: bool) -> float:
    """Velocity after one frame: a flap sets it, otherwise gravity adds up to the cap."""
    return FLAP_VELOCITY if flap else min(v + GRAVITY, MAX_VELOCITY)


def off_screen(pipe_x: float) -> bool:
    """True once a pipe is fully past the left edge (time to recycle it)."""
    return pipe_x + PIPE_WIDTH < 0


def recycled_x(back_x: float) -> float:
    """Where a recycled pipe goes: one pitch behind the back pipe."""
    return back_x + PIPE_PITCH


def overlaps_pipe(pipe_x: float) -> bool:
    """True while the bird's columns [60, 90] touch the pipe's [x, x + 70]."""
    return BIRD_X + BIRD_SIZE >= pipe_x and BIRD_X <= pipe_x + PIPE_WIDTH


def touches_bounds(y: float) -> bool:
    """True when the bird touches the sky or the ground."""
    return y <= SKY_LIMIT or y >= GROUND_LIMIT


def touches_pipe(y: float, pipe_x: float, top: float) -> bool:
    """True when the bird touches the top pipe (lower edge ``top``) or the bottom one."""
    return overlaps_pipe(pipe_x) and (y <= top or y >= top + GAP_LIMIT)


def has_passed(pipe_x: float) -> bool:
    """True once the bird's left edge is past the pipe's right edge."""
    return BIRD_X > pipe_x + PIPE_WIDTH


def observation(y: float, v: float, pipe_x: float, top: float) -> tuple[float, ...]:
    """The 5 brain inputs for a bird and its next pipe not yet passed, each in [-1, 1].

    0. ``y / 900``: the bird's height (top edge);
    1. ``(pipe_x - 60) / 800``: horizontal distance from the bird's left edge
       to the pipe's left edge (negative while the bird is inside the pipe);
    2. ``(y - top) / 900``: bird top below the top pipe's lower edge (> 0 is clear);
    3. ``(top + 90 - y) / 900``: bird bottom above the bottom pipe's upper edge (> 0 is clear);
    4. ``v / 9``: velocity (positive = falling).
    """
    return (y / HEIGHT, (pipe_x - BIRD_X) / WIDTH, (y - top) / HEIGHT,
            (top + GAP_LIMIT - y) / HEIGHT, v / MAX_VELOCITY)


def flaps(outputs: np.ndarray) -> np.ndarray:
    """Brain outputs ``(..., 2)`` -> flap decisions ``(...)`` bool: output 0 > output 1."""
    return outputs[..., 0] > outputs[..., 1]


def fitness(frames, score):
    """``frames + SCORE_WEIGHT * score`` as float64 (scalars or arrays of one shape).

    A pipe is worth 1000 frames, about 8 pipes' worth of flying, so passing one
    more pipe beats flying longer before the first, yet frames still rank the
    birds of early generations, which pass none.
    """
    return np.add(frames, np.multiply(SCORE_WEIGHT, score), dtype=np.float64)


def pass_frame(k: int) -> int:
    """The frame count at which a surviving bird passes its ``k``-th pipe (k >= 1).

    Pipe k starts at ``800 + 300 (k - 1)``; it is passed on the first frame t
    with ``x - 2.3 t + 70 < 60``. Float rounding of the scrolled positions can
    move this by one frame, which :func:`fitness_target` allows for.
    """
    return math.floor((FIRST_PIPE_X + (k - 1) * PIPE_PITCH + PIPE_WIDTH - BIRD_X) / SCROLL_SPEED) + 1


def fitness_target(score: int) -> float:
    """The fitness only a bird with at least ``score`` pipes reaches (a ``run(target=...)``).

    A bird with ``score`` pipes has flown at least ``pass_frame(score) - 1``
    frames; one with ``score - 1`` pipes died before ``pass_frame(score) + 1``,
    so its fitness is lower by at least ``SCORE_WEIGHT - 2``.
    """
    if score <= 0:
        return 0.0
    return float(fitness(pass_frame(score) - 1, score))
