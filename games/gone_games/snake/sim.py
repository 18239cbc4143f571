"""Snake without a screen: one plain game, n games in arrays, and the population's fitness.

:class:`SnakeGame` is one game in plain Python (for tests, the environment and
the viewer). :class:`SnakeSim` runs ``n`` independent games at once with all
state in arrays, each step a fixed number of numpy operations whatever ``n``.
Both follow the order of operations in :mod:`gone_games.snake.rules` and agree
step by step: game ``i`` of ``SnakeSim(n, seed)`` is
``SnakeGame(food_rngs(seed, n)[i])``.

Food randomness: every game owns a Generator and draws one priority grid
``random(H*W)`` per food placement; the food goes on the free cell of highest
priority. The sim draws each game's grids ``FOOD_BLOCK`` at a time
(``random((FOOD_BLOCK, H*W))`` continues the same stream as that many single
draws), so placing food for all the games that ate is one vectorised argmax;
a Python loop over games runs only at reset and once per ``FOOD_BLOCK`` foods
a game eats, never per step.

A brain sees the 11 inputs of :func:`gone_games.snake.rules.observe` and its 3
outputs pick the action by argmax: 0 straight, 1 left, 2 right.
"""

from __future__ import annotations

import numpy as np

import gone
from gone.errors import ConfigError, ShapeError

from . import rules as R

#: Priority grids a SnakeSim draws per game at once (refills are the only per-game loop).
FOOD_BLOCK = 16
#: Default step cap of a generation's games (starvation usually ends them sooner).
MAX_STEPS = 1000


def food_rngs(seed, n: int) -> list[np.random.Generator]:
    """``n`` independent food Generators spawned from ``seed`` (int, SeedSequence or None)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _check_action(action) -> int:
    if int(action) != action or not 0 <= action < R.N_ACTIONS:
        raise ConfigError(f"an action must be 0 (straight), 1 (left) or 2 (right), got {action!r}")
    return int(action)


class SnakeGame:
    """One game of Snake.

    Args:
        seed: int, Generator or None; the food positions come from it.
        size: board ``(rows, cols)`` or an int for a square board.

    State: ``grid (H, W)`` countdown grid (see :mod:`~gone_games.snake.rules`),
    ``head (2,)``, ``direction``, ``length``, ``food (2,)`` (``(-1, -1)`` once
    the board is full), ``score``, ``steps``, ``hunger``, ``cause``.
    """

    def __init__(self, seed=None, size=R.SIZE):
        self.size = R.check_size(size)
        self.rng = gone.make_rng(seed)
        self.set_state(R.start_cells(self.size), R.RIGHT)

    @classmethod
    def from_cells(cls, cells, direction: int, food=None, *, size=R.SIZE, seed=None) -> "SnakeGame":
        """A game in a hand-built position: ``cells (length, 2)`` head first, food placed or drawn."""
        game = cls(seed, size)
        game.set_state(cells, direction, food)
        return game

    def set_state(self, cells, direction: int, food=None) -> None:
        """Put the snake on ``cells`` (head first) heading ``direction``; score and steps restart."""
        cells = np.asarray(cells, dtype=np.int64)
        if cells.ndim != 2 or cells.shape[1] != 2 or not len(cells):
            raise ShapeError(f"snake cells must have shape (length, 2), got {cells.shape}")
        if R.off_board(cells, self.size).any():
            raise ConfigError(f"snake cells {cells.tolist()} leave the {self.size} board")
        self.grid = R.grid_from_cells(cells, self.size)
        self.head, self.direction, self.length = cells[0].copy(), int(direction), len(cells)
        self.score = self.steps = self.hunger = 0
        self.cause = R.ALIVE
        if food is None:
            self._place_food()
        else:
            self.food = np.asarray(food, dtype=np.int64)

    @property
    def alive(self) -> bool:
        return self.cause == R.ALIVE

    def body(self) -> np.ndarray:
        """The snake's cells ``(length, 2)``, head first."""
        cells = np.argwhere(self.grid > 0)
        return cells[np.argsort(-self.grid[cells[:, 0], cells[:, 1]], kind="stable")]

    def danger(self) -> np.ndarray:
        """``(3,)`` bool: moving straight / left / right would kill."""
        out = []
        for action in range(R.N_ACTIONS):
            cell = R.ahead(self.head, R.turn(self.direction, action))
            off = bool(R.off_board(cell, self.size))
            out.append(R.kills(0 if off else self.grid[cell[0], cell[1]], off))
        return np.array(out, dtype=bool)

    def observation(self) -> np.ndarray:
        """The brain's inputs ``(11,)`` (see :func:`gone_games.snake.rules.observe`)."""
        return R.observe(self.danger(), self.direction, self.head, self.food)

    def step(self, action: int) -> int:
        """Play one relative action; returns the food eaten (0 or 1). See the rules for the order."""
        if not self.alive:
            raise ConfigError(f"the game is over ({R.CAUSES[self.cause]}); start a new one")
        direction = int(R.turn(self.direction, _check_action(action)))
        cell = R.ahead(self.head, direction)
        self.steps += 1
        if R.off_board(cell, self.size):
            self.cause = R.WALL
            return 0
        if R.kills(self.grid[cell[0], cell[1]], False):
            self.cause = R.SELF
            return 0
        ate = bool((cell == self.food).all())
        if ate:
            self.length += 1
        else:
            self.grid[self.grid > 0] -= 1
        self.grid[cell[0], cell[1]] = self.length
        self.head, self.direction = cell, direction
        self.score += ate
        self.hunger = 0 if ate else self.hunger + 1
        if self.hunger >= R.starve_limit(self.length):
            self.cause = R.STARVED
        if ate:
            self._place_food()
        return int(ate)

    def _place_food(self) -> None:
        """Food on a uniformly random free cell, from one priority grid; WON if the board is full."""
        rows, cols = self.size
        index = int(R.place_food(self.grid.ravel() > 0, self.rng.random(rows * cols)))
        self.food = np.array(divmod(index, cols) if index >= 0 else (-1, -1), dtype=np.int64)
        if index < 0:
            self.cause = R.WON


class SnakeSim:
    """``n`` independent games in arrays, stepped together.

    Args:
        n: number of games.
        seed: int, SeedSequence or None; game ``i`` draws its food from a
            Generator of its own, made like ``food_rngs(seed, streams)[i % streams]``.
        size: board ``(rows, cols)`` or an int.
        streams: how many food streams the games share out (None: ``n``, every
            game its own). With ``streams=1`` every game gets game 0's food
            draws (each still eats its own way).

    State arrays: ``grid (n, H, W)`` int32 countdown grids, ``head (n, 2)``,
    ``direction (n,)``, ``length (n,)``, ``food (n, 2)``, ``score (n,)``,
    ``steps (n,)``, ``hunger (n,)``, ``cause (n,)``, ``alive (n,)`` bool.
    """

    def __init__(self, n: int, seed=None, size=R.SIZE, *, streams: int | None = None):
        if int(n) != n or n < 1:
            raise ConfigError(f"the number of games must be a positive integer, got {n!r}")
        streams = n if streams is None else streams
        if int(streams) != streams or not 1 <= streams <= n:
            raise ConfigError(f"streams must be an integer in [1, {n}], got {streams!r}")
        self.n, self.size = int(n), R.check_size(size)
        # a Generator per game; games sharing a stream get one made from the same SeedSequence
        sequences = np.random.SeedSequence(seed).spawn(int(streams))
        self._rngs = [np.random.default_rng(sequences[i % streams]) for i in range(self.n)]
        self.reset()

    def reset(self) -> None:
        """Every game back to the start with new food (the streams go on; a new SnakeSim replays)."""
        n, (rows, cols) = self.n, self.size
        self._index = np.arange(n)
        self.grid = np.broadcast_to(R.grid_from_cells(R.start_cells(self.size), self.size),
                                    (n, rows, cols)).astype(np.int32)
        self.head = np.tile(R.start_cells(self.size)[0], (n, 1))
        self.direction = np.full(n, R.RIGHT, dtype=np.int64)
        self.length = np.full(n, R.START_LENGTH, dtype=np.int64)
        self.score, self.steps, self.hunger, self.cause = (np.zeros(n, dtype=np.int64) for _ in range(4))
        self.food = np.full((n, 2), -1, dtype=np.int64)
        self._placed = np.zeros(n, dtype=np.int64)
        self._priorities = np.empty((n, FOOD_BLOCK, rows * cols))
        self._refill(self._index)
        self._place_food(self._index)

    @property
    def alive(self) -> np.ndarray:
        """``(n,)`` bool: the games still running."""
        return self.cause == R.ALIVE

    def observations(self) -> np.ndarray:
        """The brains' inputs ``(n, 11)`` (finished games included; their rows are ignored)."""
        danger = R.danger(self.grid, self.head, self.direction)
        return R.observe(danger, self.direction, self.head, self.food)

    def step(self, actions) -> np.ndarray:
        """One relative action per game ``(n,)`` (ignored for finished games); returns ``ate (n,)`` bool."""
        actions = np.asarray(actions)
        if actions.shape != (self.n,):
            raise ShapeError(f"step expects one action per game ({self.n},), got {actions.shape}")
        if actions.size and (actions.min() < 0 or actions.max() >= R.N_ACTIONS):
            raise ConfigError("actions must be 0 (straight), 1 (left) or 2 (right)")
        rows, cols = self.size
        alive = self.alive
        direction = R.turn(self.direction, actions)
        cell = R.ahead(self.head, direction)
        off = R.off_board(cell, self.size)
        r, c = np.clip(cell[:, 0], 0, rows - 1), np.clip(cell[:, 1], 0, cols - 1)
        die = alive & R.kills(self.grid[self._index, r, c], off)
        move = alive & ~die
        ate = move & (r == self.food[:, 0]) & (c == self.food[:, 1])
        # the body moves for snakes that neither die nor eat: tail tips reach 0 (free)
        np.maximum(self.grid - (move & ~ate)[:, None, None], 0, out=self.grid)
        self.length += ate
        movers = np.flatnonzero(move)
        self.grid[movers, r[movers], c[movers]] = self.length[movers]
        self.head[move], self.direction[move] = cell[move], direction[move]
        self.score += ate
        self.steps += alive
        self.hunger = np.where(ate, 0, self.hunger + move)
        self.cause[die] = np.where(off[die], R.WALL, R.SELF)
        self.cause[move & (self.hunger >= R.starve_limit(self.length))] = R.STARVED
        self._place_food(np.flatnonzero(ate))
        return ate

    def _place_food(self, games: np.ndarray) -> None:
        """Food for ``games`` from their next priority grid, one argmax for all; WON where full."""
        if not games.size:
            return
        rows, cols = self.size
        priorities = self._priorities[games, self._placed[games] % FOOD_BLOCK]
        index = R.place_food(self.grid[games].reshape(len(games), -1) > 0, priorities)
        self.food[games] = np.where(index[:, None] >= 0,
                                    np.stack([index // cols, index % cols], axis=1), -1)
        self.cause[games[index < 0]] = R.WON
        self._placed[games] += 1
        self._refill(games[self._placed[games] % FOOD_BLOCK == 0])

    def _refill(self, games: np.ndarray) -> None:
        """The next FOOD_BLOCK priority grids of ``games``: the one loop over games, rarely run."""
        rows, cols = self.size
        for g in games:
            self._priorities[g] = self._rngs[g].random((FOOD_BLOCK, rows * cols))


def choose_actions(outputs: np.ndarray) -> np.ndarray:
    """Actions ``(...)`` from brain outputs ``(..., 3)``: the argmax."""
    return np.argmax(outputs, axis=-1)


def play_generation(stacked, seed, max_steps: int = MAX_STEPS, size=R.SIZE, games: int = 1) -> dict:
    """Each of ``stacked``'s networks plays ``games`` games, all in one :class:`SnakeSim`.

    Game ``j`` of every network has the same food stream (``streams=games``),
    so fitness differences are the networks', not the luck of their food;
    several games per network keep one lucky game from crowning a champion.
    Returns per-network means ``(pop,)``: ``score`` (food eaten), ``steps`` and
    ``fitness`` (:func:`gone_games.snake.rules.fitness` per game, averaged).
    """
    for name, value in (("max_steps", max_steps), ("games", games)):
        if int(value) != value or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    pop, k = stacked.size, int(games)
    sim = SnakeSim(pop * k, seed, size, streams=k)  # game p*k + j: network p, stream j
    for _ in range(int(max_steps)):
        if not sim.alive.any():
            break
        outputs = stacked.predict(sim.observations().reshape(pop, k, R.N_OBS))  # (pop, k, 3)
        sim.step(choose_actions(outputs).reshape(-1))
    score, steps = sim.score.reshape(pop, k), sim.steps.reshape(pop, k)
    return {"score": score.mean(axis=1), "steps": steps.mean(axis=1),
            "fitness": R.fitness(score, steps).mean(axis=1)}


#: Selection games use seeds in [0, 2**62), held-out games seeds in [2**62, 2**63):
#: a held-out game can never be one a network was selected on.
HELD_OUT_BASE = 2**62
#: A champion that passes the held-out test gets this plus its held-out mean
#: fitness, more than any selection fitness (at most 100 x 141 food + 20).
VERIFIED = 1_000_000.0


def verified_target(food: float) -> float:
    """The fitness only a champion with ``food`` on average over its held-out games reaches."""
    return VERIFIED + float(R.fitness(food, 0))


class SnakeFitness:
    """A vectorised fitness: every network plays ``games`` games, ``fitness(stacked, rng) -> (pop,)``.

    Args:
        seed: None (default) draws a new game seed from ``rng`` each generation
            so brains cannot memorise one food sequence; an int replays the
            same games every generation.
        max_steps: step cap per game.
        games: games per network; the fitness is their mean.
        target: food on average; when given, the best untested network that
            reached it in its games plays ``held_out`` games it was never
            selected on (seeds >= ``HELD_OUT_BASE``); if it eats ``target`` on
            average there too, its fitness becomes ``VERIFIED`` + its held-out
            mean fitness, which reaches :func:`verified_target` (stop the run there).
        held_out: games of the held-out test.

    ``tests`` lists every held-out test ``{"seed", "scores", "mean"}``; ``champion``
    is the one that passed, or None.
    """

    vectorized = True

    def __init__(self, seed=None, max_steps: int = MAX_STEPS, size=R.SIZE, games: int = 1,
                 target: float | None = None, held_out: int = 10):
        if seed is not None and not 0 <= int(seed) < HELD_OUT_BASE:
            raise ConfigError(f"seed must be in [0, 2**62), got {seed!r}")
        self.seed, self.max_steps, self.size, self.games = seed, max_steps, R.check_size(size), games
        self.target, self.held_out = target, int(held_out)
        self.tests: list[dict] = []
        self.champion: dict | None = None
        self.selection_seeds: list[int] = []
        self._tested: set[bytes] = set()

    def __call__(self, stacked, rng) -> np.ndarray:
        seed = int(rng.integers(HELD_OUT_BASE)) if self.seed is None else int(self.seed)
        self.selection_seeds.append(seed)
        played = play_generation(stacked, seed, self.max_steps, self.size, self.games)
        fitness = played["fitness"]
        if self.target is not None and self.champion is None:
            self._test_best(stacked, played, rng)
        return fitness

    def _test_best(self, stacked, played: dict, rng) -> None:
        """The best untested network that reached the target plays the held-out games."""
        fitness = played["fitness"]
        reached = np.flatnonzero(played["score"] >= self.target)
        for i in reached[np.argsort(-fitness[reached], kind="stable")]:
            key = stacked.genomes[i].tobytes()
            if key in self._tested:
                continue
            self._tested.add(key)
            seed = HELD_OUT_BASE + int(rng.integers(HELD_OUT_BASE))
            one = gone.StackedNetworks(stacked.template, stacked.genomes[i:i + 1])
            scores = held_out_scores(one, seed, self.held_out, self.max_steps, self.size)
            test = {"seed": seed, "scores": scores["score"].tolist(),
                    "mean": float(scores["score"].mean())}
            self.tests.append(test)
            if test["mean"] >= self.target:
                self.champion = test
                fitness[i] = VERIFIED + float(scores["fitness"].mean())
            return


def held_out_scores(stacked, seed: int, games: int, max_steps: int = MAX_STEPS,
                    size=R.SIZE) -> dict:
    """A one-network ``stacked`` plays ``games`` games of ``seed``: ``{"score", "fitness"}`` ``(games,)``."""
    sim = SnakeSim(games, seed, size)
    for _ in range(int(max_steps)):
        if not sim.alive.any():
            break
        outputs = stacked.predict(sim.observations()[None])[0]     # (games, 3)
        sim.step(choose_actions(outputs))
    return {"score": sim.score.copy(), "fitness": R.fitness(sim.score, sim.steps)}


def default_brain(seed=None) -> gone.Network:
    """The default Snake brain: 11 inputs, 16 tanh hidden units, 3 outputs (argmax = action)."""
    return gone.Network([R.N_OBS, gone.Dense(16, "tanh"), gone.Dense(3)], seed=seed)


def play(net, seed=None, max_steps: int = MAX_STEPS, size=R.SIZE) -> SnakeGame:
    """One network plays one game to the end (or ``max_steps``); returns the finished game."""
    game = SnakeGame(seed, size)
    while game.alive and game.steps < max_steps:
        game.step(int(choose_actions(net.predict(game.observation()))))
    return game
