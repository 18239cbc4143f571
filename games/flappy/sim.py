"""Flappy Bird simulators: one bird as plain objects, a flock as numpy arrays.

:class:`Game` is the readable reference (one :class:`Bird`, plain Python
floats); :class:`FlockSim` plays N birds on one shared pipe sequence with one
numpy operation per rule for all living birds, and must agree with N
``Game`` objects frame by frame. Both follow the frame order documented in
:mod:`games.flappy.rules`. :func:`play_generation` runs a whole population's
brains (one stacked forward pass per frame), and :class:`FlappyFitness` wraps
it as a vectorised fitness for ``gone.Population.run``::

    pop = gone.Population(evolve.default_brain(0), 200, seed=0)
    pop.run(FlappyFitness(max_score=100), target=rules.fitness_target(100))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gone

from . import rules as R


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
    """The three pipes, a ring of Python floats: ``x[i]`` left edge, ``top[i]`` height.

    ``front`` is the index of the leftmost pipe, the next to be recycled;
    new heights come from ``rng``, so a seed fixes the whole pipe sequence.
    """

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.x = R.initial_pipe_x()
        self.top = [R.new_pipe_top(rng) for _ in range(R.N_PIPES)]
        self.front = 0

    def advance(self) -> None:
        """Steps 4-5 of a frame: scroll every pipe, recycle the front one once off screen."""
        x = self.x
        for i in range(R.N_PIPES):
            x[i] -= R.SCROLL_SPEED
        f = self.front
        if R.off_screen(x[f]):
            x[f] = R.recycled_x(x[(f - 1) % R.N_PIPES])
            self.top[f] = R.new_pipe_top(self.rng)
            self.front = (f + 1) % R.N_PIPES


class Bird:
    """One bird: ``y`` (top edge), ``v``, ``alive``, ``score``, ``frames`` and the
    index ``target`` of its next pipe not yet passed."""

    def __init__(self):
        self.y, self.v = R.BIRD_START_Y, R.START_VELOCITY
        self.alive, self.score, self.frames, self.target = True, 0, 0, 0

    def move(self, flap: bool) -> None:
        """Steps 2-3 of a frame (a dead bird stays put)."""
        if self.alive:
            self.v = R.next_velocity(self.v, flap)
            self.y += self.v

    def check(self, pipes: Pipes) -> None:
        """Steps 6-8 of a frame, after the pipes moved: die, score, count the frame."""
        if not self.alive:
            return
        # Every pipe is checked, not just the target: the reference stays naive.
        if R.touches_bounds(self.y) or any(
                R.touches_pipe(self.y, x, top) for x, top in zip(pipes.x, pipes.top)):
            self.alive = False
            return
        if R.has_passed(pipes.x[self.target]):
            self.score += 1
            self.target = (self.target + 1) % R.N_PIPES
        self.frames += 1

    def observe(self, pipes: Pipes) -> np.ndarray:
        """The 5 brain inputs ``(5,)`` float64 (see ``rules.observation``)."""
        t = self.target
        return np.array(R.observation(self.y, self.v, pipes.x[t], pipes.top[t]))


class Game:
    """One bird on its own pipes; ``seed`` is an int, a Generator or None."""

    def __init__(self, seed=None):
        self.pipes = Pipes(gone.make_rng(seed))
        self.bird = Bird()
        self.frame = 0

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
        self.bird.move(bool(flap))
        self.pipes.advance()
        self.bird.check(self.pipes)
        self.frame += 1
        return self.bird.alive

    def snapshot(self) -> Snapshot:
        b, p = self.bird, self.pipes
        return Snapshot(self.frame, np.array([b.y]), np.array([b.v]), np.array([b.alive]),
                        np.array([b.score]), np.array([b.frames]), np.array(p.x),
                        np.array(p.top), b.target)


class FlockSim:
    """``n_birds`` birds on one pipe sequence drawn from ``seed``, simulated with numpy.

    All birds share x, so they pass pipes together: living birds all have the
    score ``passed`` and ``frame`` frames. Only the living birds' ``y``/``v``
    are stepped, in arrays compacted whenever birds die; a dead bird's state
    is written once to the full ``(n_birds,)`` arrays.

    Public views (copies): ``y``, ``v``, ``alive``, ``score``, ``frames``
    ``(n_birds,)``; ``observe() -> (n_birds, 5)``; ``step(flap (n_birds,))``.
    The fast path used by :func:`play_generation` is ``alive_ids``,
    ``observe_alive() -> (n_alive, 5)`` and ``step_alive(flap (n_alive,))``.
    """

    def __init__(self, n_birds: int, seed=None):
        if int(n_birds) != n_birds or n_birds < 1:
            raise gone.ConfigError(f"n_birds must be a positive integer, got {n_birds!r}")
        n = self.n_birds = int(n_birds)
        self.pipes = Pipes(gone.make_rng(seed))
        self.frame, self.passed, self.next_pipe = 0, 0, 0
        self.alive_ids = np.arange(n)
        self._y = np.full(n, R.BIRD_START_Y)
        self._v = np.full(n, R.START_VELOCITY)
        self._end_y, self._end_v = self._y.copy(), self._v.copy()   # of dead birds
        self._alive = np.ones(n, dtype=bool)
        self._score = np.zeros(n, dtype=np.int64)
        self._frames = np.zeros(n, dtype=np.int64)
        self._obs_all = np.empty((n, R.N_INPUTS))
        self._low_all, self._high_all = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        self._bind(n)

    def _bind(self, n: int) -> None:
        """Point the per-frame buffers at their first ``n`` rows (no allocation per frame)."""
        self._obs, self._low, self._high = self._obs_all[:n], self._low_all[:n], self._high_all[:n]

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

    def snapshot(self) -> Snapshot:
        p = self.pipes
        return Snapshot(self.frame, self.y, self.v, self.alive, self.score, self.frames,
                        np.array(p.x), np.array(p.top), self.next_pipe)

    # --- one frame -------------------------------------------------------------------
    def observe_alive(self) -> np.ndarray:
        """The living birds' inputs ``(n_alive, 5)`` in ``alive_ids`` order.

        The array is a buffer reused by the next call: copy it to keep it.
        """
        t = self.next_pipe
        return _inputs(self._y, self._v, self.pipes.x[t], self.pipes.top[t], self._obs)

    def observe(self) -> np.ndarray:
        """Every bird's inputs ``(n_birds, 5)`` (a dead bird's from where it died)."""
        t = self.next_pipe
        return _inputs(self.y, self.v, self.pipes.x[t], self.pipes.top[t],
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
        v += R.GRAVITY                                  # 2. velocity
        np.minimum(v, R.MAX_VELOCITY, out=v)
        np.copyto(v, R.FLAP_VELOCITY, where=flap)
        y += v                                          # 3. position
        self.pipes.advance()                            # 4-5. scroll, recycle
        x, top = self.pipes.x[self.next_pipe], self.pipes.top[self.next_pipe]
        # 6. collisions. Pipes are 300 px apart and the bird 30 wide, so only
        # the next pipe can touch it: sky, ground and that pipe fold into one
        # band [low, high] outside which a bird dies.
        low, high = R.SKY_LIMIT, R.GROUND_LIMIT
        if R.overlaps_pipe(x):
            low, high = max(low, top), min(high, top + R.GAP_LIMIT)
        np.less_equal(y, low, out=self._low)
        np.greater_equal(y, high, out=self._high)
        np.logical_or(self._low, self._high, out=self._low)
        if self._low.any():
            self._bury(self._low)
        if len(self.alive_ids) and R.has_passed(x):     # 7. scoring
            self.passed += 1
            self.next_pipe = (self.next_pipe + 1) % R.N_PIPES
        self.frame += 1                                 # 8. frames

    def _bury(self, dead: np.ndarray) -> None:
        """Record the birds that died this frame and drop them from the living arrays."""
        ids = self.alive_ids[dead]
        self._end_y[ids], self._end_v[ids] = self._y[dead], self._v[dead]
        self._alive[ids] = False
        self._score[ids], self._frames[ids] = self.passed, self.frame
        keep = ~dead
        self.alive_ids, self._y, self._v = self.alive_ids[keep], self._y[keep], self._v[keep]
        self._bind(len(self.alive_ids))


def _inputs(y: np.ndarray, v: np.ndarray, pipe_x: float, top: float,
            out: np.ndarray) -> np.ndarray:
    """``rules.observation`` for arrays ``y``, ``v`` ``(n,)`` written into ``out`` ``(n, 5)``."""
    # Same formulas and operand order as rules.observation, so bitwise equal.
    np.divide(y, R.HEIGHT, out=out[:, 0])
    out[:, 1] = (pipe_x - R.BIRD_X) / R.WIDTH
    np.subtract(y, top, out=out[:, 2])
    out[:, 2] /= R.HEIGHT
    np.subtract(top + R.GAP_LIMIT, y, out=out[:, 3])
    out[:, 3] /= R.HEIGHT
    np.divide(v, R.MAX_VELOCITY, out=out[:, 4])
    return out


def check_brains(n_inputs: int, n_outputs: int) -> None:
    """ShapeError unless a brain maps the 5 inputs to 2 outputs."""
    if (n_inputs, n_outputs) != (R.N_INPUTS, R.N_OUTPUTS):
        raise gone.ShapeError(f"a Flappy Bird brain maps {R.N_INPUTS} inputs to {R.N_OUTPUTS} "
                              f"outputs, got {n_inputs} -> {n_outputs}")


def play_generation(stacked: gone.StackedNetworks, seed=None, max_score: int | None = None,
                    max_frames: int | None = None, on_frame=None) -> dict:
    """Every brain of ``stacked`` plays one bird on the pipes of ``seed``.

    Each frame is one stacked forward pass over the living birds' brains. The
    game stops when every bird is dead, when the living birds reach
    ``max_score`` pipes, after ``max_frames`` frames, or when ``on_frame``
    returns True. ``on_frame(sim)``, if given, is called with the
    :class:`FlockSim` after every frame (a viewer's hook: it must only read
    the sim, so watching a game never changes it).
    Returns ``{"score", "frames", "fitness"}``, each ``(pop,)``.
    """
    check_brains(stacked.n_inputs, stacked.n_outputs)
    sim = FlockSim(stacked.size, seed)
    brains, n = stacked, stacked.size
    while not sim.done:
        if (max_score is not None and sim.passed >= max_score) or \
                (max_frames is not None and sim.frame >= max_frames):
            break
        if sim.n_alive != n:   # birds died: keep only the living brains (a copy of their rows)
            n = sim.n_alive
            brains = (brains.select(sim.alive_ids) if hasattr(brains, "select")  # NEAT batches
                      else gone.StackedNetworks(stacked.template, stacked.genomes[sim.alive_ids]))
        out = brains.predict_each(sim.observe_alive())
        sim.step_alive(R.flaps(out))
        if on_frame is not None and on_frame(sim):
            break
    return sim.results()


class FlappyFitness:
    """A vectorised fitness for ``gone.Population``: ``(stacked, rng) -> (pop,)``.

    Each generation plays once on pipes from ``seed`` if given, else from a
    seed drawn from ``rng`` (different pipes every generation, reproducible
    from the population's seed). ``last`` holds the latest generation's
    ``play_generation`` result (scores for progress lines). ``on_frame`` is
    passed to ``play_generation`` (``games.flappy.watch`` sets it to draw).
    """

    vectorized = True

    def __init__(self, max_score: int | None = 100, seed: int | None = None,
                 max_frames: int | None = None, on_frame=None):
        self.max_score, self.seed, self.max_frames = max_score, seed, max_frames
        self.on_frame = on_frame
        self.last: dict | None = None

    def __call__(self, stacked, rng) -> np.ndarray:
        seed = self.seed if self.seed is not None else int(rng.integers(2**31))
        self.last = play_generation(stacked, seed, self.max_score, self.max_frames, self.on_frame)
        return self.last["fitness"]
