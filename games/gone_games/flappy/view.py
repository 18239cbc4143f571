"""Flappy Bird on screen with pygame (the ``games`` extra), imported only when drawing.

    from gone_games.flappy.view import draw, render_rgb
    frame = render_rgb(FlockSim(50, seed=0).snapshot())   # (900, 800, 3) uint8, no window
    draw(window_surface, game.snapshot(), hud={"score": 3})

Everything is drawn from a :class:`~gone_games.flappy.sim.Snapshot` in the
simulator's own pixel coordinates (see :mod:`gone_games.flappy.rules`): a view
reads a game, it never moves one. A flock's birds are drawn semi-transparent
so that a crowd on one path reads darker than a straggler; a single bird is
opaque. Nothing here sets SDL environment variables; headless callers set
``SDL_VIDEODRIVER=dummy`` themselves.
"""

from __future__ import annotations

import os

import numpy as np

from gone.errors import require

from . import rules as R

SKY = (112, 197, 206)
GROUND = (222, 216, 149)
GRASS = (94, 180, 62)          # a strip on top of the ground
PIPE = (84, 178, 58)
PIPE_BORDER = (44, 108, 30)    # the PIPE_BORDER px around every pipe (rules.PIPE_BORDER)
BIRD = (245, 120, 35)
BIRD_EDGE = (150, 50, 10)      # each bird's 2 px outline
TEXT = (60, 45, 20)            # the HUD, on the ground
BIRD_ALPHA = 90                # opacity of each bird of a flock (0-255) ...
BIRD_EDGE_ALPHA = 170          # ... and of its outline, so single birds stand out
BIRD_EDGE_WIDTH = 2
GRASS_HEIGHT = 6
FONT_SIZE = 28
LINE_HEIGHT = 27


def _pygame():
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # no banner mid-run
    return require("pygame", "games")


def _pipe(pygame, surface, x: int, y: int, height: int) -> None:
    """One pipe: its body (x, y, 70, height) inside a PIPE_BORDER px border drawn
    around it, as the original draws it (the border is part of the pipe for collisions)."""
    if height <= 0:
        return
    b = R.PIPE_BORDER
    pygame.draw.rect(surface, PIPE_BORDER, (x - b, y - b, R.PIPE_WIDTH + 2 * b, height + 2 * b))
    pygame.draw.rect(surface, PIPE, (x, y, R.PIPE_WIDTH, height))


def draw_pipes(pygame, surface, pipe_x, pipe_top) -> None:
    """The top pipe (y in [0, top]) and bottom pipe (from top + gap to the ground) of each
    pair, each with its border: what a bird touches is what is drawn."""
    for x, top in zip(pipe_x, pipe_top):
        x, top = int(round(float(x))), int(round(float(top)))
        _pipe(pygame, surface, x, 0, top)
        _pipe(pygame, surface, x, top + R.PIPE_GAP, R.GROUND_Y - top - R.PIPE_GAP)


def draw_birds(pygame, surface, state) -> None:
    """Every living bird as a BIRD_SIZE square; semi-transparent when the state has several birds."""
    ys = np.asarray(state.bird_y)[np.asarray(state.alive, dtype=bool)]
    x, size, e = int(R.BIRD_X), R.BIRD_SIZE, BIRD_EDGE_WIDTH
    inner = (e, e, size - 2 * e, size - 2 * e)
    if len(state.bird_y) == 1:
        for y in ys:
            y = int(round(float(y)))
            pygame.draw.rect(surface, BIRD_EDGE, (x, y, size, size))
            pygame.draw.rect(surface, BIRD, (x + e, y + e, size - 2 * e, size - 2 * e))
        return
    sprite = pygame.Surface((size, size), pygame.SRCALPHA)
    sprite.fill((*BIRD_EDGE, BIRD_EDGE_ALPHA))
    sprite.fill((*BIRD, BIRD_ALPHA), inner)
    surface.blits([(sprite, (x, int(round(float(y))))) for y in ys], doreturn=False)


def draw_hud(pygame, surface, hud: dict) -> None:
    """``hud`` as text on the ground, clear of the birds: its entries on one
    ``label: value`` line, then the values of ``"message"`` and of ``"help"``
    on lines of their own."""
    if not pygame.font.get_init():
        pygame.font.init()
    font = pygame.font.Font(None, FONT_SIZE)

    values = "   ".join(f"{k}: {v}" for k, v in hud.items() if k not in ("message", "help"))
    lines = (values, hud.get("message"), hud.get("help"))
    for i, line in enumerate(lines):
        if line:
            surface.blit(font.render(str(line), True, TEXT),
                         (10, R.GROUND_Y + GRASS_HEIGHT + 6 + i * LINE_HEIGHT))


def draw(surface, state, hud: dict | None = None) -> None:
    """Draw one frame of ``state`` (a Snapshot) onto an 800x900 ``surface``.

    Sky, the three pipe pairs with their darker 3 px borders, the ground (the
    bottom 100 px), every living bird, and the ``hud`` text if given (see
    :func:`draw_hud`).
    """
    pygame = _pygame()
    surface.fill(SKY)
    draw_pipes(pygame, surface, state.pipe_x, state.pipe_top)
    pygame.draw.rect(surface, GROUND, (0, R.GROUND_Y, R.WIDTH, R.GROUND_HEIGHT))
    pygame.draw.rect(surface, GRASS, (0, R.GROUND_Y, R.WIDTH, GRASS_HEIGHT))
    draw_birds(pygame, surface, state)
    if hud:
        draw_hud(pygame, surface, hud)


def render_rgb(state, hud: dict | None = None) -> np.ndarray:
    """The frame as an image ``(900, 800, 3)`` uint8, drawn offscreen (no window)."""
    pygame = _pygame()
    surface = pygame.Surface((R.WIDTH, R.HEIGHT))
    draw(surface, state, hud)
    # surfarray is indexed (x, y): transpose to rows first like every image array
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2), dtype=np.uint8)
