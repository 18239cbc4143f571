"""Flappy Bird simulators: one bird as plain objects, a flock as numpy arrays.

:class:`Game` is the readable reference (one :class:`Bird`, float32 scalars);
:class:`FlockSim` plays N birds on one or several games (pipe sequences) with
one numpy operation per rule for all living birds, and must agree with N
``Game`` objects bit for bit. Both follow the frame order of
:mod:`gone_games.flappy.rules` (the original's). The pipes' x positions never
depend on the birds or the heights, so every game of a FlockSim shares them;
only the heights differ from game to game. Whole populations play in
:mod:`gone_games.flappy.fitness`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gone

from . import rules as R

F32 = np.float32


@dataclass(frozen=True)
class Snapshot:
    """What a view draws: one frame of a game, as arrays.

    ``bird_y``, ``bird_v``, ``alive``, ``score``, ``frames``: ``(n_birds,)``;
    ``pipe_x``, ``pipe_top``: ``(3,)`` left edges and top-pipe heights;
    ``next_pipe``: index of the pipe living birds must pass next; ``frame``: frames played.
    """

    frame: int
    bird_y: np.ndarray
    bird_v: np.ndarray
    alive: np.ndarray
    score: np.ndarray
    frames: np.ndarray
    pipe_x: np.ndarray
    pipe_top: np.ndarray
    next_pipe: int


class Pipes:
    """The three pipes of ``len(rngs)`` games: ``x[i]`` float32 left edges (shared by
    every game), ``tops[g, i]`` int heights of game ``g``.

    ``front`` is the index of the leftmost pipe, the next to be recycled; game
    ``g``'s heights come from ``rngs[g]``, so its seed fixes its whole pipe sequence.
    """

    def __init__(self, rngs):
        self.rngs = list(rngs)
        self.x = R.initial_pipe_x()
        self.tops = np.array([[R.new_pipe_top(r) for _ in range(R.N_PIPES)] for r in self.rngs])
        self.front = 0

    @property
    def top(self) -> list[int]:
        """Game 0's heights ``[3]`` (the one game of a :class:`Game`)."""
        return [int(t) for t in self.tops[0]]

    def scroll(self) -> None:
        """Step 1 of a frame: every pipe moves 2.3 px left (float32)."""
        self.x = [R.scroll(x) for x in self.x]

    def recycle(self) -> bool:
        """Step 5: the front pipe, once off screen, comes back behind the back one
        with a new height in every game. True if it did."""
        f = self.front
        if not R.off_screen(self.x[f]):
            return False
        self.x[f] = R.recycled_x(self.x[(f - 1) % R.N_PIPES])
        self.tops[:, f] = [R.new_pipe_top(r) for r in self.rngs]
        self.front = (f + 1) % R.N_PIPES
        return True


class Bird:
    """One bird: ``y`` (top edge) and ``v`` float32, ``alive``, ``score``, ``frames``
    and the index ``target`` of its next pipe (the first not behind it)."""

    def __init__(self):
        self.y, self.v = R.BIRD_START_Y, R.START_VELOCITY
        self.alive, self.score, self.frames, self.target = True, 0, 0, 0

    def move(self, flap: bool) -> None:
        """Step 4 of a frame: flap or not, gravity, ``y += v`` (a dead bird stays put)."""
        if self.alive:
            self.v = R.next_velocity(self.v, flap)
            self.y = self.y + self.v

    def check(self, pipes: Pipes, moved: bool = True) -> None:
        """Steps 2-3 after the pipes scrolled: die, or count the move and score."""
        if not self.alive:
            return
        # Every pipe is checked, as the original does: the reference stays naive.
        if R.crashes(self.y, pipes.x, pipes.top):
            self.alive = False
            return
        self.frames += int(moved)
        if R.behind(pipes.x[self.target]):
            self.score += 1
            self.target = (self.target + 1) % R.N_PIPES

    def observe(self, pipes: Pipes) -> np.ndarray:
        """The 5 brain inputs ``(5,)`` float64 (see ``rules.observation``)."""
        t = self.target
        return np.array(R.observation(self.y, self.v, pipes.x[t], pipes.top[t]))


class Game:
    """One bird on its own pipes; ``seed`` is an int, a Generator or None.

    Between calls the game is ready for the bird's decision: :meth:`observe`,
    then :meth:`step` with the choice.
    """

    def __init__(self, seed=None):
        self.pipes = Pipes([gone.make_rng(seed)])
        self.bird = Bird()
        self.frame = 0
        self.pipes.scroll()                    # the first frame's steps 1-3
        self.bird.check(self.pipes, moved=False)

    @property
    def alive(self) -> bool:
        return self.bird.alive

    def observe(self) -> np.ndarray:
        """The bird's 5 inputs ``(5,)``."""
        return self.bird.observe(self.pipes)

    def step(self, flap: bool) -> bool:
        """Play one frame; returns whether the bird is still alive. A no-op once it is dead."""
        if not self.bird.alive:
            return False
        self.bird.move(bool(flap))             # 4. this frame's move
        self.pipes.recycle()                   # 5.
        self.pipes.scroll()                    # 1-3 of the next frame
        self.bird.check(self.pipes)
        self.frame += 1
        return self.bird.alive

    def snapshot(self) -> Snapshot:
        b, p = self.bird, self.pipes
        return Snapshot(self.frame, np.array([b.y]), np.array([b.v]), np.array([b.alive]),
                        np.array([b.score]), np.array([b.frames]), np.array(p.x),
                        np.array(p.top), b.target)


def _game_seeds(seed):
    """One seed (int, Generator, None) or a list/array of seeds -> a list of seeds."""
    if isinstance(seed, (list, tuple, np.ndarray)):
        if not len(seed):
            raise gone.ConfigError("a FlockSim needs at least one game seed")
        return list(seed)
    return [seed]


class FlockSim:
    """``n_birds`` birds on the games of ``seed`` (one seed, or a list: one game per
    seed), simulated with numpy; bird ``i`` plays game ``game[i]`` (default ``i % n_games``).

    All birds share x and the pipes' x, so they pass pipes together: living
    birds all have the score ``passed`` and ``frame`` frames. Only the living
    birds' ``y``/``v`` (float32) are stepped, in arrays compacted whenever birds
    die; a dead bird's state is written once to the full ``(n_birds,)`` arrays.

    Public views (copies): ``y``, ``v``, ``alive``, ``score``, ``frames``
    ``(n_birds,)``; ``observe() -> (n_birds, 5)``; ``step(flap (n_birds,))``.
    The fast path is ``alive_ids``, ``observe_alive() -> (n_alive, 5)`` and
    ``step_alive(flap (n_alive,))``.
    """

    def __init__(self, n_birds: int, seed=None, game=None):
        if int(n_birds) != n_birds or n_birds < 1:
            raise gone.ConfigError(f"n_birds must be a positive integer, got {n_birds!r}")
        n = self.n_birds = int(n_birds)
        seeds = _game_seeds(seed)
        self.pipes = Pipes([gone.make_rng(s) for s in seeds])
        self.n_games = len(seeds)
        game = np.arange(n) % self.n_games if game is None else np.asarray(game, dtype=np.int64)
        if game.shape != (n,) or game.min() < 0 or game.max() >= self.n_games:
            raise gone.ConfigError(f"game must be ({n},) ints in [0, {self.n_games}), got {game!r}")
        self.game = game
        self.frame, self.passed, self.next_pipe = 0, 0, 0
        self.alive_ids = np.arange(n)
        self._g = game.copy()                                       # living birds' games
        self._y, self._v = np.full(n, R.BIRD_START_Y), np.full(n, R.START_VELOCITY)
        self._end_y, self._end_v = self._y.copy(), self._v.copy()   # of dead birds
        self._alive = np.ones(n, dtype=bool)
        self._score = np.zeros(n, dtype=np.int64)
        self._frames = np.zeros(n, dtype=np.int64)
        self._obs_all = np.empty((n, R.N_INPUTS))
        self._aim()
        self.pipes.scroll()                    # the first frame's steps 1-3
        self._collide()

    # --- state ---------------------------------------------------------------------
    @property
    def n_alive(self) -> int:
        return len(self.alive_ids)

    @property
    def done(self) -> bool:
        """True once every bird is dead."""
        return len(self.alive_ids) == 0

    def _full(self, ended: np.ndarray, living) -> np.ndarray:
        out = ended.copy()
        out[self.alive_ids] = living
        return out

    @property
    def y(self) -> np.ndarray:
        return self._full(self._end_y, self._y)

    @property
    def v(self) -> np.ndarray:
        return self._full(self._end_v, self._v)

    @property
    def alive(self) -> np.ndarray:
        return self._alive.copy()

    @property
    def score(self) -> np.ndarray:
        return self._full(self._score, self.passed)

    @property
    def frames(self) -> np.ndarray:
        return self._full(self._frames, self.frame)

    @property
    def fitness(self) -> np.ndarray:
        """``rules.fitness(frames, score)`` ``(n_birds,)``."""
        return R.fitness(self.frames, self.score)

    def results(self) -> dict:
        """``{"score", "frames", "fitness"}``, each ``(n_birds,)``."""
        frames, score = self.frames, self.score
        return {"score": score, "frames": frames, "fitness": R.fitness(frames, score)}

    def snapshot(self, game: int = 0) -> Snapshot:
        """The birds of game ``game`` and its pipes (what a view draws)."""
        mine, p = self.game == game, self.pipes
        return Snapshot(self.frame, self.y[mine], self.v[mine], self._alive[mine],
                        self.score[mine], self.frames[mine], np.array(p.x),
                        p.tops[game].copy(), self.next_pipe)

    # --- one frame -------------------------------------------------------------------
    def _aim(self) -> None:
        """Cache the living birds' next-pipe heights ``(n_alive,)`` (float32 and float64).

        The next pipe changes only on scoring, so one fancy index per pipe
        passed replaces one per frame.
        """
        self._top32 = self.pipes.tops[self._g, self.next_pipe].astype(F32)
        self._top64 = self._top32.astype(np.float64)

    def observe_alive(self) -> np.ndarray:
        """The living birds' inputs ``(n_alive, 5)`` in ``alive_ids`` order.

        The array is a buffer reused by the next call: copy it to keep it.
        """
        t = self.next_pipe
        return _inputs(self._y, self._v, self.pipes.x[t], self._top64,
                       self._obs_all[:len(self.alive_ids)])

    def observe(self) -> np.ndarray:
        """Every bird's inputs ``(n_birds, 5)`` (a dead bird's from where it died)."""
        t = self.next_pipe
        return _inputs(self.y, self.v, self.pipes.x[t], self.pipes.tops[self.game, t],
                       np.empty((self.n_birds, R.N_INPUTS)))

    def step(self, flap) -> None:
        """One frame for every bird; ``flap`` ``(n_birds,)`` bool (dead birds' entries ignored)."""
        flap = np.asarray(flap, dtype=bool)
        if flap.shape != (self.n_birds,):
            raise gone.ShapeError(f"flap must have shape ({self.n_birds},), got {flap.shape}")
        self.step_alive(flap[self.alive_ids])

    def step_alive(self, flap: np.ndarray) -> None:
        """One frame for the living birds; ``flap`` ``(n_alive,)`` bool in ``alive_ids`` order."""
        if not len(self.alive_ids):
            return
        y, v = self._y, self._v
        np.copyto(v, R.FLAP_VELOCITY, where=flap)       # 4. decide and move
        np.add(v, R.GRAVITY, out=v, where=v < R.GRAVITY_LIMIT)
        y += v
        self.pipes.recycle()                            # 5. recycle
        self.pipes.scroll()                             # 1. next frame: scroll
        self._collide()                                 # 2-3. collisions, scoring
        self.frame += 1

    def _collide(self) -> None:
        """Steps 2-3: bury the birds that crash (with the frames they had), then score."""
        y = self._y
        bottom = y + F32(R.BIRD_SIZE)
        dead = (y < R.SKY) | (bottom > R.GROUND_TOP)
        # Pipes are 300 px apart and the bird 30 wide: only the next pipe can overlap
        # it (the one before is behind it, the one after 300 px away).
        if R.overlaps_columns(self.pipes.x[self.next_pipe]):
            top = self._top32
            dead |= (y < top + F32(R.TOP_PIPE_EXTRA)) | (bottom > top + F32(R.BOTTOM_PIPE_OFFSET))
        if dead.any():
            self._bury(dead)
        if len(self.alive_ids) and R.behind(self.pipes.x[self.next_pipe]):
            self.passed += 1
            self.next_pipe = (self.next_pipe + 1) % R.N_PIPES
            self._aim()

    def _bury(self, dead: np.ndarray) -> None:
        """Record the birds that died this frame and drop them from the living arrays."""
        ids = self.alive_ids[dead]
        self._end_y[ids], self._end_v[ids] = self._y[dead], self._v[dead]
        self._alive[ids] = False
        self._score[ids], self._frames[ids] = self.passed, self.frame
        keep = ~dead
        self.alive_ids, self._g = self.alive_ids[keep], self._g[keep]
        self._y, self._v = self._y[keep], self._v[keep]
        self._top32, self._top64 = self._top32[keep], self._top64[keep]


def _inputs(y: np.ndarray, v: np.ndarray, pipe_x, top: np.ndarray,
            out: np.ndarray) -> np.ndarray:
    """``rules.observation`` for float32 ``y``, ``v`` and int ``top`` ``(n,)``, written
    into ``out`` ``(n, 5)`` float64."""
    # Same formulas and operand order as rules.observation, in float64, so bitwise equal.
    y64, top64 = y.astype(np.float64), np.asarray(top, dtype=np.float64)
    np.divide(y64, R.HEIGHT, out=out[:, 0])
    out[:, 1] = (float(pipe_x) - float(R.BIRD_X)) / R.WIDTH
    np.subtract(y64, top64, out=out[:, 2])
    out[:, 2] /= R.HEIGHT
    np.subtract(top64 + R.GAP_LIMIT, y64, out=out[:, 3])
    out[:, 3] /= R.HEIGHT
    np.divide(v.astype(np.float64), R.MAX_VELOCITY, out=out[:, 4])
    return out


def check_brains(n_inputs: int, n_outputs: int) -> None:
    """ShapeError unless a brain maps the 5 inputs to 2 outputs."""
    if (n_inputs, n_outputs) != (R.N_INPUTS, R.N_OUTPUTS):
        raise gone.ShapeError(f"a Flappy Bird brain maps {R.N_INPUTS} inputs to {R.N_OUTPUTS} "
                              f"outputs, got {n_inputs} -> {n_outputs}")
