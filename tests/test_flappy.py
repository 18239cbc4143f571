"""Flappy Bird (games/flappy): physics by hand, the numpy flock against the object
reference, determinism, the Gymnasium environment and a short evolution."""

import copy
import importlib
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

# games/ installs beside gone; from a checkout whose install predates it, use the repo root.
if importlib.util.find_spec("games") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gone  # noqa: E402
import games  # noqa: E402
from games.flappy import rules as R  # noqa: E402
from games.flappy.evolve import champion_score, default_brain, evolve  # noqa: E402
from games.flappy.sim import FlappyFitness, FlockSim, Game, play_generation  # noqa: E402


def autopilot(c=15.0, k=50.0) -> gone.Network:
    """A hand-wired 5-8-2 brain: flap when the bird's bottom is within ``c`` px of the bottom pipe."""
    w1, b1 = np.zeros((8, 5)), np.zeros(8)
    w1[0, 3], b1[0] = -k, k * c / R.HEIGHT          # h0 > 0 iff input 3 < c / 900
    w2 = np.zeros((2, 8))
    w2[0, 0] = 1.0                                   # out0 = h0, out1 = 0
    return gone.Network.from_arrays([w1, w2], [b1, np.zeros(2)], activations=["tanh", "identity"])


def staged(pipe_x0, top, y, v, target=0):
    """A Game with pipes at ``pipe_x0 + 300 i`` all of height ``top`` and the bird at ``y``, ``v``."""
    game = Game(0)
    game.pipes.x = [pipe_x0 + R.PIPE_PITCH * i for i in range(3)]
    game.pipes.top = [float(top)] * 3
    game.bird.y, game.bird.v, game.bird.target = float(y), float(v), target
    return game


# v = -0.35 makes the next velocity exactly 0.0: the bird stays on y for one frame,
# so a test can put it exactly on an edge.
REST = -0.35


# --- physics by hand --------------------------------------------------------------------
def test_gravity_caps_velocity_and_ground_kills():
    game = Game(0)
    ys, vs = [], []
    while game.step(False):
        ys.append(game.bird.y)
        vs.append(game.bird.v)
    # v_k = min(1 + 0.35 k, 9), y_k = 450 + sum of v_1..v_k
    assert vs[0] == pytest.approx(1.35) and ys[0] == pytest.approx(451.35)
    assert vs[2] == pytest.approx(2.05) and ys[2] == pytest.approx(455.1)
    assert vs[21] == pytest.approx(8.7) and ys[21] == pytest.approx(560.55)
    assert vs[22] == 9.0 and ys[22] == pytest.approx(569.55)      # 9.05 capped to 9
    assert vs[23] == 9.0 and ys[23] == pytest.approx(578.55)
    # 560.55 + 9 m >= 770 first at m = 24: dies on frame 46, having survived 45
    assert len(ys) == 45 and game.frame == 46 and game.bird.frames == 45
    assert game.bird.y == pytest.approx(776.55) and not game.alive
    assert game.step(False) is False and game.frame == 46           # dead: nothing moves


def test_flap_sets_velocity_then_gravity_resumes():
    game = Game(0)
    game.step(True)
    assert game.bird.v == R.FLAP_VELOCITY == -6.9
    assert game.bird.y == pytest.approx(443.1)
    game.step(False)
    assert game.bird.v == pytest.approx(-6.55) and game.bird.y == pytest.approx(436.55)


def test_sky_kills_a_bird_that_always_flaps():
    game = Game(0)
    for _ in range(65):
        assert game.step(True)
    assert game.bird.y == pytest.approx(1.5)
    assert not game.step(True) and game.bird.y == pytest.approx(-5.4) and game.bird.frames == 65


@pytest.mark.parametrize("y, dies", [
    (R.SKY_LIMIT, True), (0.5, False),                      # sky: y <= 0
    (R.GROUND_LIMIT, True), (769.5, False),                 # ground: bottom y + 30 >= 800
])
def test_touching_sky_or_ground_is_dying(y, dies):
    game = staged(500.0, 300, y, REST)
    assert game.step(False) is (not dies)
    assert game.bird.y == y


@pytest.mark.parametrize("y, dies", [
    (300.0, True), (300.5, False),      # top pipe's lower edge at y = top = 300
    (390.0, True), (389.5, False),      # bottom pipe's upper edge: bottom y + 30 = 420
])
def test_pipe_edges_inside_the_pipe(y, dies):
    game = staged(80.0, 300, y, REST)    # after the scroll the pipe spans [77.7, 147.7]
    assert game.step(False) is (not dies)


def test_pipe_left_edge_from_the_side():
    for y, survives in ((200.0, False), (330.0, True)):   # in the top pipe's rows / in the gap
        game = staged(94.0, 300, y, REST)
        assert game.step(False)                 # pipe at 91.7: bird's right edge 90 clear
        assert game.step(False) is survives     # pipe at 89.4: touching it from the side


def test_score_counts_when_the_left_edge_passes_the_right_edge():
    game = staged(-5.0, 300, 330.0, REST)
    scores = []
    for _ in range(6):
        assert game.step(False)
        scores.append(game.bird.score)
    # right edge x + 70: 62.7, 60.4, 58.1 (< 60: passed), ... and never counted again
    assert scores == [0, 0, 1, 1, 1, 1]
    assert game.bird.target == 1


def test_front_pipe_recycles_behind_the_back_pipe():
    game = staged(-67.0, 300, 330.0, REST, target=1)
    expected_top = R.new_pipe_top(copy.deepcopy(game.pipes.rng))
    game.step(False)
    assert game.pipes.x[0] == pytest.approx(-69.3) and game.pipes.front == 0   # x + 70 = 0.7
    game.step(False)                                 # x + 70 = -1.6 < 0: recycled
    assert game.pipes.x[0] == pytest.approx(533 - 4.6 + 300)
    assert game.pipes.top[0] == expected_top and game.pipes.front == 1
    assert R.PIPE_MIN_TOP <= expected_top < R.PIPE_MAX_TOP


def test_fitness_target_separates_scores():
    net = autopilot()
    stacked = gone.StackedNetworks(net, net.genome()[None].repeat(3, axis=0))
    for k in (1, 3, 12):
        res = play_generation(stacked, seed=k, max_score=k)
        assert (res["score"] == k).all()
        f = float(res["fitness"][0])
        assert R.fitness_target(k) <= f < R.fitness_target(k + 1)
        assert f == R.fitness(R.pass_frame(k), k)


# --- the numpy flock against N object games -------------------------------------------
def test_flock_agrees_with_single_games_frame_by_frame():
    n, seed, rng = 48, 3, np.random.default_rng(0)
    flock, games_ = FlockSim(n, seed), [Game(seed) for _ in range(n)]
    threshold = rng.uniform(-30, 50, n) / R.HEIGHT    # autopilots good and bad (pipe deaths) ...
    noise = 0.004 * rng.random(n)                     # ... with a few flaps flipped
    for _ in range(2500):
        obs = flock.observe()
        ref = np.array([g.observe() for g in games_])
        alive = flock.alive
        np.testing.assert_array_equal(obs[alive], ref[alive])
        assert np.abs(obs).max() <= 1.0
        flap = (obs[:, 3] < threshold) ^ (rng.random(n) < noise)
        flock.step(flap)
        for g, f in zip(games_, flap):
            g.step(bool(f))
        np.testing.assert_array_equal(flock.y, [g.bird.y for g in games_])
        np.testing.assert_array_equal(flock.v, [g.bird.v for g in games_])
        np.testing.assert_array_equal(flock.alive, [g.alive for g in games_])
        np.testing.assert_array_equal(flock.score, [g.bird.score for g in games_])
        np.testing.assert_array_equal(flock.frames, [g.bird.frames for g in games_])
        if flock.done:
            break
    assert flock.score.max() >= 3 and (~flock.alive).sum() >= n // 2   # scoring and deaths exercised


def test_same_seed_same_game_different_seed_different_pipes():
    template = default_brain(0)
    genomes = np.random.default_rng(1).normal(0, 1, (60, template.n_params))
    stacked = gone.StackedNetworks(template, genomes)
    a, b = play_generation(stacked, seed=7), play_generation(stacked, seed=7)
    for key in ("score", "frames", "fitness"):
        np.testing.assert_array_equal(a[key], b[key])
    assert FlockSim(5, 7).pipes.top == FlockSim(5, 7).pipes.top == Game(7).pipes.top
    assert FlockSim(5, 7).pipes.top != FlockSim(5, 8).pipes.top


def test_flappy_fitness_draws_a_seed_per_generation():
    net = autopilot()
    stacked = gone.StackedNetworks(net, net.genome()[None].repeat(2, axis=0))
    fitness = FlappyFitness(max_score=None, max_frames=400)
    rng = np.random.default_rng(5)
    first, second = fitness(stacked, rng), fitness(stacked, rng)
    seed = int(np.random.default_rng(5).integers(2**31))
    np.testing.assert_array_equal(first, play_generation(stacked, seed, max_frames=400)["fitness"])
    assert fitness.last["frames"].max() == 400 and first.shape == (2,)
    fixed = FlappyFitness(seed=11, max_frames=400)
    np.testing.assert_array_equal(fixed(stacked, rng), fixed(stacked, rng))
    del second


def test_bad_brains_and_flocks_are_refused():
    wrong = gone.Network([4, gone.Dense(8, "tanh"), gone.Dense(2)], seed=0)
    with pytest.raises(gone.ShapeError, match="5 inputs to 2 outputs"):
        play_generation(gone.StackedNetworks(wrong, wrong.genome()[None]), seed=0)
    with pytest.raises(gone.ConfigError):
        FlockSim(0)
    with pytest.raises(gone.ShapeError):
        FlockSim(3, 0).step(np.zeros(2, dtype=bool))


# --- evolution ----------------------------------------------------------------------------
def test_short_evolution_improves_and_is_reproducible():
    run = lambda: evolve(population=40, generations=8, target=None, seed=0, max_score=20)  # noqa: E731
    a, b = run(), run()
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert a.history[-1]["best_ever"] > a.history[0]["best"]
    assert a.best.sizes == [5, 8, 2] and champion_score(a) >= 1


# --- Gymnasium ---------------------------------------------------------------------------
def test_env_passes_gymnasiums_checker():
    gymnasium = pytest.importorskip("gymnasium", reason="games extra (gymnasium) not installed")
    from gymnasium.utils.env_checker import check_env

    import games  # noqa: F401  (registers gone/FlappyBird-v0)

    # Spaces, seeding, reset and step; render modes are checked in test_flappy_view.
    check_env(gymnasium.make("gone/FlappyBird-v0").unwrapped, skip_render_check=True)


def test_env_is_registered_rewards_and_terminates():
    gymnasium = pytest.importorskip("gymnasium", reason="games extra (gymnasium) not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        games.register_envs()                       # twice: no warning, no error
        importlib.reload(games)
    env = gymnasium.make("gone/FlappyBird-v0")
    obs, info = env.reset(seed=4)
    assert obs.shape == (5,) and obs.dtype == np.float32 and info == {"score": 0, "frames": 0}
    np.testing.assert_array_equal(obs, Game(np.random.default_rng(4)).observe().astype(np.float32))
    total, steps, terminated = 0.0, 0, False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(0)
        total += reward
        steps += 1
        assert not truncated
    assert steps == 46 and total == 45.0 and info["frames"] == 45   # the gravity test's fall
    env.close()


def test_rgb_array_render_goes_through_the_view(monkeypatch):
    pytest.importorskip("gymnasium", reason="games extra (gymnasium) not installed")
    pytest.importorskip("pygame", reason="games extra (pygame) not installed")
    import types

    from games.flappy.env import FlappyBirdEnv

    seen = []

    def draw(surface, state):   # a stand-in for games.flappy.view: paint the bird's row red
        seen.append(state)
        surface.fill((0, 0, 0))
        surface.fill((255, 0, 0), (int(R.BIRD_X), int(state.bird_y[0]), R.BIRD_SIZE, R.BIRD_SIZE))

    monkeypatch.setitem(sys.modules, "games.flappy.view", types.SimpleNamespace(draw=draw))
    env = FlappyBirdEnv(render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)
    frame = env.render()
    assert frame.shape == (R.HEIGHT, R.WIDTH, 3) and frame.dtype == np.uint8
    y = int(seen[-1].bird_y[0])
    assert tuple(frame[y + 1, int(R.BIRD_X) + 1]) == (255, 0, 0) and frame[y - 5].max() == 0
    assert seen[-1].pipe_x.shape == (3,) and seen[-1].frame == 1
    env.close()
    assert FlappyBirdEnv().render() is None
