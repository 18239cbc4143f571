"""Whole populations play Flappy Bird: selection games, and held-out games for the champion.

:func:`play` runs every brain of a ``StackedNetworks`` on every game of a
list of seeds in one :class:`~gone_games.flappy.sim.FlockSim` (one stacked forward
pass per frame). :class:`FlappyFitness` is the vectorised fitness for
``gone.Population``: each generation every bird plays ``games`` games on
fresh pipes, and a bird that reaches the target in all of them is tested on
``held_out`` games it was never selected on.

Seeds. Selection games use seeds in ``[0, 2**31)``; held-out games use seeds
in ``[2**31, 2**32)`` (:data:`HELD_OUT_BASE` plus a draw), so a held-out game
can never be a game some bird was selected on. Both are drawn from the
generation's Generator, so a run is reproducible from its seed and every
held-out test plays games never played before in the run (up to 31-bit
collisions of random draws).
"""

from __future__ import annotations

import hashlib

import numpy as np

import gone

from . import rules as R
from .sim import FlockSim, check_brains

SELECTION_SEEDS = 2**31      # selection games: seeds in [0, 2**31)
HELD_OUT_BASE = 2**31        # held-out games: seeds in [2**31, 2**32)


def held_out_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` seeds for held-out games, disjoint from every selection seed by their range."""
    return HELD_OUT_BASE + rng.integers(0, 2**31, size=n)


def play(stacked: gone.StackedNetworks, seeds, max_score: int | None = None,
         max_frames: int | None = None, on_frame=None) -> dict:
    """Every brain of ``stacked`` plays every game of ``seeds`` (a list, one game each).

    Games stop when every bird is dead, when the living birds reach
    ``max_score`` pipes, after ``max_frames`` frames, or when ``on_frame(sim)``
    (called after every frame; it must only read the sim) returns True.
    Returns ``{"score", "frames", "fitness"}``, each ``(pop, n_games)``.
    """
    check_brains(stacked.n_inputs, stacked.n_outputs)
    seeds = list(seeds)
    k = len(seeds)
    sim = FlockSim(stacked.size * k, seeds)          # bird i * k + g: brain i, game g
    birds = _repeat(stacked, k) if k > 1 else stacked   # one brain per bird
    brains, n = birds, sim.n_birds
    while not sim.done:
        if (max_score is not None and sim.passed >= max_score) or \
                (max_frames is not None and sim.frame >= max_frames):
            break
        if sim.n_alive != n:   # birds died: keep only the living brains (a copy of their rows)
            n = sim.n_alive
            brains = birds.select(sim.alive_ids)
        sim.step_alive(R.flaps(brains.predict_each(sim.observe_alive())))
        if on_frame is not None and on_frame(sim):
            break
    return {key: value.reshape(stacked.size, k) for key, value in sim.results().items()}


def _repeat(brains, k: int):
    """Each brain ``k`` times in a row: stacked networks or a NEAT batch (``gone.neat``)."""
    if hasattr(brains, "repeat"):
        return brains.repeat(k)
    return gone.StackedNetworks(brains.template, np.repeat(brains.genomes, k, axis=0))


def _fingerprint(genome) -> bytes:
    """A digest of one individual: a genome row, or a NEAT genome's gene arrays."""
    if isinstance(genome, np.ndarray):
        return hashlib.sha1(genome.tobytes()).digest()
    arrays = (genome.nodes, genome.bias, genome.response, genome.act, genome.agg,
              genome.src, genome.dst, genome.weight, genome.enabled)
    return hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).digest()


def play_generation(stacked: gone.StackedNetworks, seed=None, max_score: int | None = None,
                    max_frames: int | None = None, on_frame=None) -> dict:
    """Every brain plays one game, the pipes of ``seed``: :func:`play` with ``(pop,)`` results."""
    return {key: value[:, 0] for key, value in
            play(stacked, [seed], max_score, max_frames, on_frame).items()}


def play_network(net: gone.Network, seeds, max_score: int | None = None,
                 max_frames: int | None = None) -> np.ndarray:
    """Pipes passed by one network in each game of ``seeds`` ``(n_games,)`` (for replays)."""
    stacked = gone.StackedNetworks(net, net.genome()[None])
    return play(stacked, seeds, max_score, max_frames)["score"][0]


def verified_target(target: int, needed: int) -> float:
    """The fitness a champion gets once it passes ``target`` pipes in ``needed`` held-out games.

    A verified champion's fitness is its total over the held-out games
    (each stopped at the target), at least ``needed * fitness_target(target)``;
    a selection fitness (a mean over games stopped at the target) is at most
    ``fitness_target(target)``, so only a verified champion reaches this.
    """
    return needed * R.fitness_target(target)


class FlappyFitness:
    """A vectorised fitness for ``gone.Population``: ``(stacked, rng) -> (pop,)``.

    Each generation every bird plays ``games`` games on fresh pipes (seeds drawn
    from ``rng``; or ``seed, seed+1, ...`` every generation if ``seed`` is
    given), stopped at ``max_score`` pipes; its fitness is the mean of
    ``frames + 1000 x pipes`` over them. With ``held_out`` set and a
    ``max_score``, the best bird that passed ``max_score`` in all its games and
    was never tested before plays ``held_out`` unseen games (see the module
    docstring); if it passes ``max_score`` in at least ``needed`` of them its
    fitness becomes its held-out total, which reaches :func:`verified_target`
    and ends a run with ``target=verified_target(...)``. That fitness only
    counts in the generation where the run stops.

    ``last``: the latest :func:`play` result (``(pop, games)`` arrays);
    ``tests``: every held-out test ``{"generation", "seeds", "scores", "passed"}``;
    ``champion``: the test that passed, or None. ``on_frame`` is passed to
    :func:`play` for selection games only (``gone_games.flappy.watch`` draws with it).
    """

    vectorized = True

    def __init__(self, max_score: int | None = 100, seed: int | None = None,
                 max_frames: int | None = None, on_frame=None, *, games: int = 1,
                 held_out: int | None = 10, needed: int = 9):
        if int(games) != games or games < 1:
            raise gone.ConfigError(f"games must be a positive integer, got {games!r}")
        if held_out is not None and not 2 <= needed <= held_out:
            raise gone.ConfigError(f"needed must be in [2, held_out={held_out}], got {needed!r}")
        if seed is not None and not 0 <= seed < SELECTION_SEEDS - games:
            raise gone.ConfigError(f"seed must be in [0, 2**31 - games), got {seed!r}")
        self.max_score, self.seed, self.max_frames = max_score, seed, max_frames
        self.on_frame, self.games = on_frame, int(games)
        self.held_out, self.needed = held_out, needed
        self.last: dict | None = None
        self.tests: list[dict] = []
        self.champion: dict | None = None
        self.selection_seeds: list[int] = []     # every selection game's seed, in order
        self._tested: set[bytes] = set()
        self._generation = 0

    def __call__(self, stacked, rng) -> np.ndarray:
        seeds = (list(range(self.seed, self.seed + self.games)) if self.seed is not None
                 else rng.integers(0, SELECTION_SEEDS, size=self.games))
        self.selection_seeds.extend(int(s) for s in seeds)
        self.last = play(stacked, seeds, self.max_score, self.max_frames, self.on_frame)
        fitness = self.last["fitness"].mean(axis=1)
        if self.held_out and self.max_score is not None and self.champion is None:
            self._test_best(stacked, fitness, rng)
        self._generation += 1
        return fitness

    def _test_best(self, stacked, fitness: np.ndarray, rng) -> None:
        """Test the best untested bird that passed the target in all its games; mark a winner."""
        reached = np.flatnonzero((self.last["score"] >= self.max_score).all(axis=1))
        for i in reached[np.argsort(-fitness[reached], kind="stable")]:
            key = _fingerprint(stacked.genomes[i])
            if key in self._tested:
                continue
            self._tested.add(key)
            seeds = held_out_seeds(rng, self.held_out)
            played = play(stacked.select([i]), seeds, self.max_score)
            scores = played["score"][0]
            test = {"generation": self._generation, "seeds": seeds.tolist(),
                    "scores": scores.tolist(), "passed": int((scores >= self.max_score).sum())}
            self.tests.append(test)
            if test["passed"] >= self.needed:
                self.champion = test
                fitness[i] = played["fitness"][0].sum()
            return
