"""Snake: the rules on hand-built positions, the vectorised sim against single games,
rendering, the Gymnasium environment and a short evolution."""

import pathlib
import sys

import numpy as np
import pytest

try:
    import gone_games.snake  # noqa: F401
except ImportError:  # the repo root is not on sys.path under every pytest import mode
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from gone_games.snake import rules as R
from gone_games.snake.sim import SnakeGame, SnakeSim, default_brain, food_rngs, play, play_generation

import gone

START = [(5, 5), (5, 4), (5, 3)]  # a hand-built snake, head first
FAR = (0, 0)                      # food out of the way


def test_start_position_is_the_documented_one():
    game = SnakeGame(seed=0)
    assert game.body().tolist() == [[6, 6], [6, 5], [6, 4]]  # the middle row, heading right
    assert game.direction == R.RIGHT and game.length == 3 and game.alive


@pytest.mark.parametrize("action, head, direction", [
    (R.STRAIGHT, (5, 6), R.RIGHT),
    (R.TURN_LEFT, (4, 5), R.UP),
    (R.TURN_RIGHT, (6, 5), R.DOWN),
])
def test_move_updates_head_direction_and_body(action, head, direction):
    game = SnakeGame.from_cells(START, R.RIGHT, food=FAR)
    assert game.step(action) == 0
    assert tuple(game.head) == head and game.direction == direction and game.alive
    assert game.body().tolist() == [list(head), [5, 5], [5, 4]]  # the tail cell (5, 3) is free


@pytest.mark.parametrize("cells, direction, action", [
    ([(5, 11), (5, 10), (5, 9)], R.RIGHT, R.STRAIGHT),
    ([(0, 5), (1, 5), (2, 5)], R.UP, R.STRAIGHT),
    ([(3, 0), (3, 1), (3, 2)], R.LEFT, R.STRAIGHT),
    ([(11, 4), (11, 3), (11, 2)], R.RIGHT, R.TURN_RIGHT),
])
def test_wall_kills_and_the_dead_snake_stays_put(cells, direction, action):
    game = SnakeGame.from_cells(cells, direction, food=FAR)
    assert game.danger()[action]
    game.step(action)
    assert game.cause == R.WALL and not game.alive
    assert game.body().tolist() == [list(c) for c in cells] and game.steps == 1


def test_running_into_the_body_kills_but_chasing_the_tail_tip_does_not():
    # head (5, 5) heading right; turning right enters (6, 5)
    game = SnakeGame.from_cells([(5, 5), (5, 4), (6, 4), (6, 5), (6, 6)], R.RIGHT, food=FAR)
    assert game.danger().tolist() == [False, False, True]
    game.step(R.TURN_RIGHT)
    assert game.cause == R.SELF
    # one cell shorter, (6, 5) is the tail tip, which moves away this very step
    game = SnakeGame.from_cells([(5, 5), (5, 4), (6, 4), (6, 5)], R.RIGHT, food=FAR)
    assert not game.danger()[R.TURN_RIGHT]
    game.step(R.TURN_RIGHT)
    assert game.alive and tuple(game.head) == (6, 5)


def test_eating_grows_by_one_scores_and_places_new_food_off_the_snake():
    game = SnakeGame.from_cells(START, R.RIGHT, food=(5, 6), seed=3)
    assert game.step(R.STRAIGHT) == 1
    assert game.score == 1 and game.length == 4 and game.hunger == 0
    assert game.body().tolist() == [[5, 6], [5, 5], [5, 4], [5, 3]]  # the tail stayed
    assert game.grid[tuple(game.food)] == 0 and tuple(game.food) != (5, 6)
    game.step(R.STRAIGHT)
    assert game.length == 4 and game.body().tolist()[-1] == [5, 4]  # now the tail moves again


def _all_but_one_cell():
    """A snake filling a 3 x 5 board except (2, 4), head (2, 3) heading right."""
    path = [(0, c) for c in range(5)] + [(1, c) for c in range(4, -1, -1)] + [(2, c) for c in range(4)]
    return path[::-1]


@pytest.mark.parametrize("seed", range(20))
def test_food_goes_on_the_only_free_cell(seed):
    game = SnakeGame.from_cells(_all_but_one_cell(), R.RIGHT, size=(3, 5), seed=seed)
    assert tuple(game.food) == (2, 4)


def test_filling_the_board_wins():
    game = SnakeGame.from_cells(_all_but_one_cell(), R.RIGHT, food=(2, 4), size=(3, 5), seed=0)
    game.step(R.STRAIGHT)
    assert game.cause == R.WON and game.score == 1 and (game.grid > 0).all()
    assert tuple(game.food) == (-1, -1)


def test_food_is_uniform_over_free_cells():
    counts = np.zeros(12 * 12)
    for seed in range(1500):
        game = SnakeGame(seed=seed)
        counts[game.food[0] * 12 + game.food[1]] += 1
    snake = [6 * 12 + 4, 6 * 12 + 5, 6 * 12 + 6]
    assert counts[snake].sum() == 0
    free = np.delete(counts, snake)
    assert free.min() > 0 and free.max() < 4 * free.mean()


def test_starvation_kills_a_looping_snake():
    game = SnakeGame.from_cells(START, R.RIGHT, food=FAR)
    limit = R.starve_limit(3)  # 130 steps: a length-3 snake can circle a 2 x 2 square forever
    for _ in range(limit - 1):
        game.step(R.TURN_RIGHT)
    assert game.alive and game.hunger == limit - 1
    game.step(R.TURN_RIGHT)
    assert game.cause == R.STARVED and game.score == 0


def test_relative_action_turns_towards_an_absolute_direction():
    assert R.relative_action(R.RIGHT, R.RIGHT) == R.STRAIGHT
    assert R.relative_action(R.RIGHT, R.UP) == R.TURN_LEFT
    assert R.relative_action(R.RIGHT, R.DOWN) == R.TURN_RIGHT
    assert R.relative_action(R.RIGHT, R.LEFT) == R.STRAIGHT  # no reversing onto the neck
    assert R.relative_action(np.array([R.UP, R.LEFT]), np.array([R.LEFT, R.UP])).tolist() == \
        [R.TURN_LEFT, R.TURN_RIGHT]


def test_observation_layout():
    game = SnakeGame.from_cells([(0, 5), (1, 5), (2, 5)], R.UP, food=(3, 9))
    obs = game.observation()
    assert obs.shape == (11,)
    assert obs[:3].tolist() == [1, 0, 0]                  # the wall is straight ahead
    assert obs[3:7].tolist() == [0, 0, 0, 1]              # heading up
    assert obs[7:].tolist() == [0, 1, 0, 1]               # food right of and below the head


def _greedy(obs, direction, rng, noise=0.2):
    """Head for the food, ignoring danger (so snakes eat, grow and crash), with random moves."""
    wanted = np.select([obs[:, 7] > 0, obs[:, 8] > 0, obs[:, 9] > 0, obs[:, 10] > 0],
                       [R.LEFT, R.RIGHT, R.UP, R.DOWN], direction)
    actions = R.relative_action(direction, wanted)
    return np.where(rng.random(len(obs)) < noise, rng.integers(0, 3, len(obs)), actions)


def test_vectorised_sim_matches_single_games_step_by_step(rng):
    n, size = 48, (6, 8)
    sim = SnakeSim(n, seed=7, size=size)
    singles = [SnakeGame(r, size) for r in food_rngs(7, n)]
    for _ in range(300):
        obs = sim.observations()
        assert np.array_equal(obs, [g.observation() for g in singles])
        actions = _greedy(obs, sim.direction, rng)
        sim.step(actions)
        for g, a in zip(singles, actions):
            if g.alive:
                g.step(a)
        for name in ("head", "direction", "length", "food", "score", "steps", "hunger", "cause"):
            assert np.array_equal(getattr(sim, name), [getattr(g, name) for g in singles]), name
        assert np.array_equal(sim.grid, [g.grid for g in singles])
        live = np.flatnonzero(sim.alive)
        assert (sim.grid[live, sim.food[live, 0], sim.food[live, 1]] == 0).all()  # food off snakes
        if not live.size:
            break
    causes = set(sim.cause.tolist())
    assert {R.WALL, R.SELF} <= causes and sim.score.max() >= 5  # the test exercised eating and crashes


def _greedy_scores(seed, n=32):
    sim, rng = SnakeSim(n, seed), np.random.default_rng(0)
    while sim.alive.any():
        sim.step(_greedy(sim.observations(), sim.direction, rng))
    return sim.score, sim.steps


def test_same_seed_same_food_and_scores_different_seeds_differ():
    assert np.array_equal(SnakeSim(32, 5).food, SnakeSim(32, 5).food)
    assert not np.array_equal(SnakeSim(32, 5).food, SnakeSim(32, 6).food)
    a, b, c = _greedy_scores(5), _greedy_scores(5), _greedy_scores(6)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


def test_play_generation_is_reproducible_and_shares_food():
    pop = gone.Population(default_brain(0), 40, seed=0)
    first = play_generation(pop.stacked(), seed=11, max_steps=200)
    again = play_generation(pop.stacked(), seed=11, max_steps=200)
    for key in ("score", "steps", "fitness"):
        assert first[key].shape == (40,) and np.array_equal(first[key], again[key])
    assert np.allclose(first["fitness"], R.fitness(first["score"], first["steps"]))
    shared = SnakeSim(6, 11, streams=2)
    assert np.array_equal(shared.food[0], shared.food[4]) and np.array_equal(shared.food[1], shared.food[5])
    assert np.array_equal(shared.food[1], SnakeSim(6, 11).food[1])  # stream j is game j's own


def test_several_games_per_network_average_games_played_one_by_one():
    pop = gone.Population(default_brain(1), 5, seed=2)
    result = play_generation(pop.stacked(), seed=13, max_steps=150, games=2)
    for p, net in enumerate(pop.ask_networks()):
        scores = []
        for rng in food_rngs(13, 2):  # game j of every network: food stream j
            game = SnakeGame(rng)
            while game.alive and game.steps < 150:
                game.step(int(np.argmax(net.predict(game.observation()))))
            scores.append((game.score, game.steps))
        score, steps = np.mean(scores, axis=0)
        assert (result["score"][p], result["steps"][p]) == (score, steps)


@pytest.fixture
def pygame_dummy(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    return pytest.importorskip("pygame", reason="rendering needs pygame (the games extra)")


def test_render_rgb_colours_the_head_body_and_food_cells(pygame_dummy):
    from gone_games.snake import view

    game = SnakeGame.from_cells(START, R.RIGHT, food=(2, 9))
    cell = 10
    image = view.render_rgb(game, cell=cell)
    assert image.shape == (120, 120, 3) and image.dtype == np.uint8

    def centre(rc):
        return tuple(image[rc[0] * cell + cell // 2, rc[1] * cell + cell // 2])

    assert centre((5, 5)) == view.HEAD and centre((5, 4)) == view.BODY == centre((5, 3))
    assert centre((2, 9)) == view.FOOD and centre((9, 1)) == view.BACKGROUND
    sim = SnakeSim(3, seed=0)
    sim.step(np.array([R.STRAIGHT, R.TURN_LEFT, R.TURN_RIGHT]))
    image = view.render_rgb(sim, i=1, cell=cell)
    assert centre((5, 6)) == view.HEAD and centre(tuple(sim.food[1])) == view.FOOD


def test_watch_shows_the_champion_games_in_a_window(pygame_dummy):
    from gone_games.snake import view

    net = default_brain(3)
    scores = view.watch(net, seed=4, fps=0, games=2)
    assert scores == [play(net, seed=4).score, play(net, seed=5).score]


def test_env_passes_check_env_and_rewards_as_documented(pygame_dummy):
    gym = pytest.importorskip("gymnasium", reason="the env needs gymnasium (the games extra)")
    from gone_games.snake.env import ENV_ID
    from gymnasium.utils.env_checker import check_env

    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point="gone_games.snake.env:SnakeEnv")
    check_env(gym.make(ENV_ID).unwrapped)  # made, so the checker also tries the render modes
    env = gym.make(ENV_ID, render_mode="rgb_array")
    obs, info = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs.shape == (11,) and info["score"] == 0
    assert env.render().shape == (12 * 24, 12 * 24, 3)
    base = env.unwrapped
    base.game = SnakeGame.from_cells(START, R.RIGHT, food=(5, 6), seed=0)
    assert env.step(0)[1:4] == (1.0, False, False)           # food: +1
    base.game = SnakeGame.from_cells([(5, 11), (5, 10), (5, 9)], R.RIGHT, food=FAR)
    _, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated, info["cause"]) == (-1.0, True, False, "wall")
    base.game = SnakeGame.from_cells(START, R.RIGHT, food=FAR)
    for _ in range(R.starve_limit(3)):
        _, reward, terminated, truncated, info = env.step(2)
    assert (reward, terminated, truncated, info["cause"]) == (0.0, False, True, "starved")


def test_short_evolution_improves_on_generation_zero():
    from gone_games.snake.evolve import evolve

    result = evolve(population=60, generations=6, seed=0, max_steps=300)
    assert result.generations == 6 and len(result.history) == 6
    assert result.history[-1]["best_ever"] > result.history[0]["best"]
    again = evolve(population=60, generations=6, seed=0, max_steps=300)
    assert again.best_fitness == result.best_fitness
    assert isinstance(play(result.best, seed=0, max_steps=300), SnakeGame)


def test_the_champion_is_judged_on_games_it_was_never_selected_on():
    from gone_games.snake.evolve import evolve
    from gone_games.snake.sim import HELD_OUT_BASE, SnakeFitness, held_out_scores, verified_target

    fitness = SnakeFitness(games=3, target=4)
    result = evolve(population=100, generations=40, seed=0, food=4, fitness=fitness)
    assert result.stop_reason == "target" and result.best_fitness >= verified_target(4)
    test = fitness.champion
    assert test["mean"] >= 4 and len(test["scores"]) == 10
    # the held-out seed lies above every selection seed: no held-out game was selected on
    assert test["seed"] >= HELD_OUT_BASE > max(fitness.selection_seeds)
    # the returned champion is the tested network: it replays its held-out games identically
    one = gone.StackedNetworks(result.best, result.best.genome()[None])
    np.testing.assert_array_equal(held_out_scores(one, test["seed"], 10)["score"], test["scores"])
    # the candidates before it were lucky in their selection games and failed unseen ones
    assert len(fitness.tests) > 1 and all(t["mean"] < 4 for t in fitness.tests[:-1])
