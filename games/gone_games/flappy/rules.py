"""Flappy Bird's rules, as in the original Go game (flappy-go, played by flappy-ai).

Coordinates are pixels in an 800x900 window, x to the right and y down, kept
in float32 as the original keeps them (raylib rectangles). The ground is the
rectangle (0, 800, 800, 100). The bird is a 30x30 square whose top-left
corner stays at x = 60 and starts at y = 450 with velocity 1 (px per frame,
positive downwards). Three pipes scroll left at 2.3 px per frame, starting at
x = 350, 650 and 950. A pipe is 70 px wide; its ``top`` (the top pipe's
height) is an integer uniform in [120, 450], both ends included, and the
opening below it is 120 px. For collisions each pipe is widened by its 3 px
border on both sides: the top pipe is the rectangle (x-3, 0, 76, top+3), the
bottom one (x-3, top+117, 76, 903-top). Two rectangles collide by raylib's
strict overlap test (``a.x < b.x+b.w and a.x+a.w > b.x`` and the same in y),
so touching edges is not a crash.

One frame, in the order of flappy-ai's ``Game.Update``:

1. scroll: every pipe's ``x -= 2.3``;
2. collisions: a living bird dies if it overlaps a pipe or the ground, or is
   above the sky (``y < 0``); a dead bird stays where it died;
3. (gone's scoring) a living bird whose next pipe is now behind it (the
   pipe's right edge, border included, at or left of the bird's left edge)
   has passed it: score + 1;
4. decide and move: each living bird's brain sees its 5 inputs
   (:func:`observation`, about its next pipe: the first one not yet passed)
   and may flap (``v = -6.9``); then ``if v < 9: v += 0.35`` and ``y += v``,
   so a falling bird's velocity stops growing at 9.2 after a flap;
5. recycle: once the front pipe is off screen (``x + 70 + 3 <= 0``) it comes
   back behind the back pipe at ``int(back_x) + 300`` with a new height.

The simulators (:mod:`gone_games.flappy.sim`) start a game by running steps 1-3
once, so a game's state between calls is "ready for a decision", and a step
is 4, 5, then 1-3 of the next frame. A bird's ``frames`` counts the moves it
survived; fitness is ``frames + SCORE_WEIGHT * score`` (:func:`fitness`).

Where gone differs from the original, by design: the original's bird has
no pipe score (its fitness counts frames) and looks at the front pipe until
that pipe leaves the screen, with inputs in absolute values; gone's brain
sees the 5 signed inputs of :func:`observation` about the first pipe it can
still hit.
"""

from __future__ import annotations

import functools

import numpy as np

F32 = np.float32

WIDTH, HEIGHT = 800, 900
GROUND_HEIGHT = 100
GROUND_Y = HEIGHT - GROUND_HEIGHT          # 800: the ground's top edge

BIRD_SIZE = 30
BIRD_X = F32(60)                           # left edge, fixed (the original's BirdSize * 2)
BIRD_START_Y = F32(450)                    # top edge at the start (Height / 2)
START_VELOCITY = F32(1)
GRAVITY = F32(0.35)
GRAVITY_LIMIT = F32(9)                     # gravity applies while v < 9 (so v can reach 9.2)
MAX_VELOCITY = 9.0                         # scales input 4 (v / 9)
FLAP_VELOCITY = F32(-6.9)

PIPE_WIDTH = 70
PIPE_BORDER = 3                            # widens each pipe on both sides for collisions
PIPE_GAP = 120                             # vertical: top pipe's bottom to bottom pipe's top
PIPE_MIN_TOP, PIPE_MAX_TOP = 120, 450      # a pipe's height, both ends included
PIPE_SPACING = 230                         # horizontal gap between consecutive pipes
PIPE_PITCH = PIPE_WIDTH + PIPE_SPACING     # 300: left edge to left edge
SCROLL_SPEED = F32(2.3)
N_PIPES = 3
INITIAL_PIPE_X = (350, 650, 950)           # HorizontalGap + 4 BirdSize, then every 300

# Collision rectangles (float32, as raylib's): bird (60, y, 30, 30); pipe
# columns (x - 3, x + 73); top pipe rows [0, top + 3); bottom pipe rows from
# top + 117 (to 1020, below everything); the ground's rows from 800.
BIRD_RIGHT = BIRD_X + F32(BIRD_SIZE)       # 90
COLLISION_WIDTH = F32(PIPE_WIDTH + 2 * PIPE_BORDER)   # 76
TOP_PIPE_EXTRA = PIPE_BORDER               # top pipe's rectangle ends at top + 3
BOTTOM_PIPE_OFFSET = PIPE_GAP - PIPE_BORDER  # bottom pipe's rectangle starts at top + 117
GROUND_TOP = F32(GROUND_Y)
SKY = F32(0)                               # dead when y < 0

GAP_LIMIT = float(PIPE_GAP - BIRD_SIZE)    # 90: input 3 measures from top + 90
N_INPUTS, N_OUTPUTS = 5, 2                 # a brain maps the 5 inputs below to 2 outputs
SCORE_WEIGHT = 1000                        # fitness per pipe passed (frames count 1 each)


def new_pipe_top(rng: np.random.Generator) -> int:
    """A pipe's height: an integer uniform in [120, 450], both ends included
    (raylib's ``GetRandomValue(120, 450)``)."""
    return int(rng.integers(PIPE_MIN_TOP, PIPE_MAX_TOP + 1))


def initial_pipe_x() -> list:
    """Left edges of the three pipes at the start, float32: 350, 650, 950."""
    return [F32(x) for x in INITIAL_PIPE_X]


def scroll(pipe_x):
    """A pipe's (or an array of pipes') left edge after one frame's scroll, float32."""
    return pipe_x - SCROLL_SPEED


def next_velocity(v, flap: bool) -> np.float32:
    """One bird's velocity after its decision: a flap sets -6.9, then gravity
    adds 0.35 while v < 9 (so v can reach 9.2). float32, as the original."""
    v = FLAP_VELOCITY if flap else F32(v)
    return v + GRAVITY if v < GRAVITY_LIMIT else v


def off_screen(pipe_x) -> bool:
    """True once a pipe, border included, is off the left edge: ``x + 70 + 3 <= 0``."""
    return (pipe_x + F32(PIPE_WIDTH)) + F32(PIPE_BORDER) <= 0


def recycled_x(back_x) -> np.float32:
    """Where a recycled pipe comes back: the back pipe's x truncated to an integer, + 300."""
    return F32(int(back_x) + PIPE_PITCH)


def overlaps_columns(pipe_x) -> bool:
    """True while a pipe's widened columns (x - 3, x + 73) overlap the bird's (60, 90), strictly."""
    left = pipe_x - F32(PIPE_BORDER)
    return bool(left < BIRD_RIGHT and left + COLLISION_WIDTH > BIRD_X)


def behind(pipe_x) -> bool:
    """True once a pipe's right edge, border included, is at or left of the bird's left edge.

    The first pipe not behind the bird is its next pipe: the one it can still hit.
    """
    return bool((pipe_x - F32(PIPE_BORDER)) + COLLISION_WIDTH <= BIRD_X)


def crashes(y, pipe_x, top) -> bool:
    """True when a bird at ``y`` (float32) dies: above the sky, on the ground, or in a pipe.

    ``pipe_x``/``top`` are the pipes' left edges and heights (one pipe or several).
    """
    bottom = y + F32(BIRD_SIZE)
    if y < SKY or bottom > GROUND_TOP:
        return True
    for x, t in zip(np.atleast_1d(pipe_x), np.atleast_1d(top)):
        if overlaps_columns(x) and (y < F32(t + TOP_PIPE_EXTRA)
                                    or bottom > F32(t + BOTTOM_PIPE_OFFSET)):
            return True
    return False


def observation(y, v, pipe_x, top) -> tuple[float, ...]:
    """The 5 brain inputs (float64) for a bird and its next pipe.

    0. ``y / 900``: the bird's height (its top edge), in [-0.01, 0.87];
    1. ``(pipe_x - 60) / 800``: horizontal distance from the bird's left edge to
       the pipe's left edge, in [-0.1, 0.37] (negative once the bird is inside);
    2. ``(y - top) / 900``: the bird's top below the top pipe's lower edge
       (> 0 is clear of it; the 3 px border is not counted);
    3. ``(top + 90 - y) / 900``: the bird's bottom above the bottom pipe's upper
       edge (> 0 is clear of it, border not counted);
    4. ``v / 9``: velocity (positive = falling), in [-0.73, 1.03] (v reaches 9.2).

    These are gone's inputs, not the original's: they are signed where
    flappy-ai takes absolute values, and describe the first pipe not yet passed.
    """
    y, v, pipe_x, top = float(y), float(v), float(pipe_x), float(top)
    return (y / HEIGHT, (pipe_x - float(BIRD_X)) / WIDTH, (y - top) / HEIGHT,
            (top + GAP_LIMIT - y) / HEIGHT, v / MAX_VELOCITY)


#: The inputs' bounds (``observation``'s ranges, rounded outwards), e.g. for a Gymnasium Box.
INPUT_LOW = (-0.1, -0.1, -0.6, -0.7, -0.8)
INPUT_HIGH = (0.9, 0.4, 0.8, 0.7, 1.1)


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


@functools.lru_cache(maxsize=64)
def pass_frames(score: int) -> tuple[int, ...]:
    """``frames`` of a living bird at the moment it passes pipes 1..``score``.

    Pipe positions do not depend on heights or birds, so every game passes
    its k-th pipe at the same frame: this replays the pipes' x alone.
    """
    x, front, target, frames, out = initial_pipe_x(), 0, 0, 0, []
    x = [scroll(p) for p in x]                       # the game's first steps 1-3
    while len(out) < score:
        if off_screen(x[front]):                     # 5. recycle (after the move)
            x[front] = recycled_x(x[(front - 1) % N_PIPES])
            front = (front + 1) % N_PIPES
        x = [scroll(p) for p in x]                   # 1. next frame's scroll
        frames += 1                                  # 2. the move survived
        if behind(x[target]):                        # 3. scoring
            out.append(frames)
            target = (target + 1) % N_PIPES
    return tuple(out)


def fitness_target(score: int) -> float:
    """The fitness of a bird the moment it passes its ``score``-th pipe; no bird
    with fewer pipes reaches it (a ``Population.run(target=...)``)."""
    if score <= 0:
        return 0.0
    return float(fitness(pass_frames(score)[-1], score))
