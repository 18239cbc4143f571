"""Flappy Bird (games/flappy): the original's rules frame by frame by hand, the numpy
flock against the object reference, seeds, held-out champions, the Gymnasium environment."""

import copy
import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

# games/ installs beside gone; from a checkout whose install predates it, use the repo root.
if importlib.util.find_spec("gone_games") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gone_games  # noqa: E402
from gone_games.flappy import rules as R  # noqa: E402
from gone_games.flappy.evolve import default_brain, evaluate_champion, evolve, make_fitness  # noqa: E402
from gone_games.flappy.fitness import HELD_OUT_BASE, FlappyFitness, play, play_generation, play_network  # noqa: E402
from gone_games.flappy.sim import FlockSim, Game  # noqa: E402

import gone  # noqa: E402

F32 = np.float32


def autopilot(c=15.0, k=50.0) -> gone.Network:
    """A hand-wired 5-8-2 brain: flap when the bird's bottom is within ``c`` px of the bottom pipe."""
    w1, b1 = np.zeros((8, 5)), np.zeros(8)
    w1[0, 3], b1[0] = -k, k * c / R.HEIGHT          # h0 > 0 iff input 3 < c / 900
    w2 = np.zeros((2, 8))
    w2[0, 0] = 1.0                                   # out0 = h0, out1 = 0
    return gone.Network.from_arrays([w1, w2], [b1, np.zeros(2)], activations=["tanh", "identity"])


def staged(pipe_x0, top, y, v=0.0, target=0, seed=0):
    """A Game with pipes at ``pipe_x0 + 300 i`` (float32), all of height ``top``, the bird at ``y``, ``v``."""
    game = Game(seed)
    game.pipes.x = [F32(pipe_x0 + R.PIPE_PITCH * i) for i in range(3)]
    game.pipes.tops[:] = top
    game.bird.y, game.bird.v, game.bird.target = F32(y), F32(v), target
    return game


FAR = 2000.0   # pipes this far right never touch the bird in these tests


# --- the original's rules, frame by frame --------------------------------------------------
def test_a_fall_from_the_start_gravity_stops_adding_at_9():
    game = Game(0)
    ys, vs = [], []
    while game.step(False):
        ys.append(game.bird.y)
        vs.append(game.bird.v)
    # v_k = 1 + 0.35 k while the previous v < 9: 8.7 < 9 gives 9.05, then no more gravity.
    assert type(game.bird.y) is F32 and type(game.bird.v) is F32
    assert vs[0] == pytest.approx(1.35) and ys[0] == pytest.approx(451.35)
    assert vs[21] == pytest.approx(8.7) and ys[21] == pytest.approx(560.55)
    assert vs[22] == pytest.approx(9.05) and vs[23] == vs[22] and ys[23] == pytest.approx(578.65)
    # dead when the bottom (y + 30) is below the ground's top (800): y = 777.75 after 46 moves
    assert len(ys) == 45 and game.bird.y == pytest.approx(777.75) and game.bird.frames == 45


def test_after_a_flap_velocity_reaches_9_2():
    game = staged(FAR, 300, y=300.0, v=3.0)
    game.step(True)
    assert game.bird.v == F32(-6.9) + F32(0.35) and game.bird.v == pytest.approx(-6.55)
    assert game.bird.y == F32(300) + game.bird.v          # y += v after gravity
    vs = [game.bird.v]
    for _ in range(50):
        y = game.bird.y
        game.step(False)
        assert game.bird.y == y + game.bird.v               # float32 arithmetic, as the original
        vs.append(game.bird.v)
    # -6.9 + 0.35 k: 8.85 after 45 frames is < 9, so one more step gives 9.2, then it stays
    assert vs[44] == pytest.approx(8.85) and vs[45] == pytest.approx(9.2) and vs[45] > 9
    assert vs[50] == vs[45]


@pytest.mark.parametrize("y, dies", [
    (0.0, False), (-0.5, True),                         # sky: y < 0 kills, 0 does not
    (770.0, False), (770.5, True),                      # ground (0, 800, 800, 100): y + 30 > 800
])
def test_sky_and_ground_are_strict(y, dies):
    assert R.crashes(F32(y), [F32(FAR)], [300]) is dies


@pytest.mark.parametrize("y, dies", [
    (303.0, False), (302.5, True), (301.0, True),       # top pipe (x-3, 0, 76, top+3): its border
    (387.0, False), (387.5, True), (389.0, True),       # bottom pipe from top + 117: the border too
])
def test_a_bird_grazing_the_pipe_border(y, dies):
    # top = 300: the drawn pipes end at 300 and start at 420; their 3 px borders reach 303 and 417.
    assert R.crashes(F32(y), [F32(40.0)], [300]) is dies


@pytest.mark.parametrize("pipe_x, overlaps", [
    (93.0, False), (92.5, True),                        # its left border at 90 touches the bird's right edge
    (-13.0, False), (-12.5, True),                      # its right border at 60 touches the bird's left edge
])
def test_pipe_columns_are_widened_and_strict(pipe_x, overlaps):
    assert R.overlaps_columns(F32(pipe_x)) is overlaps
    assert R.crashes(F32(100.0), [F32(pipe_x)], [300]) is overlaps   # y = 100 is in the top pipe
    assert R.behind(F32(pipe_x)) is (pipe_x == -13.0)


def test_pipe_heights_are_integers_in_120_450_both_ends_included():
    rng = np.random.default_rng(0)
    tops = np.array([R.new_pipe_top(rng) for _ in range(20_000)])
    assert tops.dtype.kind == "i" and tops.min() == 120 and tops.max() == 450
    assert len(np.unique(tops)) == 331                   # every integer of [120, 450]

    class Ends:   # a Generator that answers the lowest, then the highest value it may
        def __init__(self):
            self.calls = 0

        def integers(self, low, high):
            self.calls += 1
            return low if self.calls == 1 else high - 1

    ends = Ends()
    assert (R.new_pipe_top(ends), R.new_pipe_top(ends)) == (120, 450)
    assert all(isinstance(t, int) for t in Game(3).pipes.top)


def test_pipes_start_at_350_650_950_and_the_first_decision_sees_them_scrolled():
    assert [float(x) for x in R.initial_pipe_x()] == [350.0, 650.0, 950.0]
    game = Game(0)
    # the first frame scrolls (2.3) and checks collisions before the bird decides
    assert game.pipes.x[0] == F32(350) - F32(2.3)
    assert game.observe()[1] == (float(F32(350) - F32(2.3)) - 60) / 800


def test_the_front_pipe_recycles_at_int_of_the_back_pipe_plus_300():
    game = staged(-71.0, 300, y=300.0)
    game.pipes.x[2] = F32(529.7)
    rng_next = R.new_pipe_top(copy.deepcopy(game.pipes.rngs[0]))
    game.step(False)       # -71 + 73 > 0: stays; scrolls to -73.3
    assert game.pipes.front == 0 and game.pipes.x[0] == F32(-71.0) - F32(2.3)
    game.step(False)       # -73.3 + 73 <= 0: back at int(527.4) + 300 = 827, then scrolls
    assert game.pipes.front == 1
    assert game.pipes.x[0] == F32(827) - F32(2.3) and game.pipes.top[0] == rng_next
    pipes = staged(-73.0, 300, 300.0).pipes
    assert pipes.recycle() and pipes.x[0] == F32(int(F32(527.0)) + 300)   # x + 73 == 0 recycles
    assert not staged(-72.9, 300, 300.0).pipes.recycle()


def test_a_bird_above_the_sky_dies_but_y_0_lives():
    v = F32(-6.9) + F32(0.35)
    game = staged(FAR, 300, y=-v)          # a flap takes it to exactly y = 0
    assert game.step(True) and game.bird.y == 0
    game = staged(FAR, 300, y=5.0)         # to y = -1.55
    assert not game.step(True) and game.bird.y == pytest.approx(-1.55) and game.bird.frames == 0


def test_frame_order_scroll_then_collide_then_move():
    # The pipe's left border is at 90.7 - 3 = 87.7 < 90 only after this frame's scroll:
    # the bird (in the top pipe's rows) dies in the same step, where it moved to.
    game = staged(93.0, 300, y=100.0, v=-0.35)
    assert not game.step(False)
    assert game.bird.y == F32(100) and game.bird.v == 0 and game.bird.frames == 0
    game.step(True)        # a dead bird no longer moves
    assert game.bird.y == F32(100) and game.bird.v == 0 and game.pipes.x[0] == F32(93) - F32(2.3)


def test_a_pipe_is_passed_once_its_border_is_behind_the_bird():
    # pipe 0 starts at 350: behind once 350 - 2.3 n <= -13, at n = 158 scrolls = 157 moves
    assert R.pass_frames(1) == (157,)
    game, frames = Game(0), 0
    while game.bird.score == 0:
        # an autopilot that keeps the bird in the gap
        game.step(bool(R.flaps(autopilot().predict(game.observe()))))
        frames += 1
    assert frames == 157 and game.bird.frames == 157 and game.alive


def test_fitness_target_separates_scores():
    template = default_brain(0)
    genomes = np.random.default_rng(2).normal(0, 1, (300, template.n_params))
    stacked = gone.StackedNetworks(template, genomes)
    for k in (1, 3):
        res = play_generation(stacked, seed=k, max_score=k)
        for f, s in zip(res["fitness"], res["score"]):
            assert (f >= R.fitness_target(k)) == (s >= k)


# --- the numpy flock against N object games -------------------------------------------
def test_flock_agrees_with_single_games_bit_for_bit():
    n, seeds, rng = 48, [3, 4, 5], np.random.default_rng(0)
    flock = FlockSim(n, seeds)
    games_ = [Game(seeds[i % 3]) for i in range(n)]
    threshold = rng.uniform(-30, 50, n) / R.HEIGHT    # autopilots good and bad (pipe deaths) ...
    noise = 0.004 * rng.random(n)                     # ... with a few flaps flipped
    low, high = np.array(R.INPUT_LOW), np.array(R.INPUT_HIGH)
    fastest = 0.0
    for _ in range(3000):
        obs = flock.observe()
        ref = np.array([g.observe() for g in games_])
        alive = flock.alive
        np.testing.assert_array_equal(obs[alive], ref[alive])
        assert (obs >= low).all() and (obs <= high).all()
        flap = (obs[:, 3] < threshold) ^ (rng.random(n) < noise)
        flock.step(flap)
        for g, f in zip(games_, flap):
            g.step(bool(f))
        assert flock.y.dtype == np.float32
        np.testing.assert_array_equal(flock.y, [g.bird.y for g in games_])
        np.testing.assert_array_equal(flock.v, [g.bird.v for g in games_])
        np.testing.assert_array_equal(flock.alive, [g.alive for g in games_])
        np.testing.assert_array_equal(flock.score, [g.bird.score for g in games_])
        np.testing.assert_array_equal(flock.frames, [g.bird.frames for g in games_])
        fastest = max(fastest, flock.v.max())
        if flock.done:
            break
    # scoring, recycling, deaths and v > 9 all exercised
    assert flock.score.max() >= 5 and (~flock.alive).sum() >= n // 2
    assert fastest > 9


def test_same_seed_same_game_different_seed_different_pipes():
    template = default_brain(0)
    genomes = np.random.default_rng(1).normal(0, 1, (60, template.n_params))
    stacked = gone.StackedNetworks(template, genomes)
    a, b = play_generation(stacked, seed=7), play_generation(stacked, seed=7)
    for key in ("score", "frames", "fitness"):
        np.testing.assert_array_equal(a[key], b[key])
    assert FlockSim(5, 7).pipes.top == FlockSim(5, 7).pipes.top == Game(7).pipes.top
    assert FlockSim(5, 7).pipes.top != FlockSim(5, 8).pipes.top
    both = play(stacked, [7, 8])                      # game 0 of a two-game flock is game 7
    np.testing.assert_array_equal(both["fitness"][:, 0], a["fitness"])


def test_flappy_fitness_plays_fresh_pipes_every_generation():
    net = autopilot()
    stacked = gone.StackedNetworks(net, net.genome()[None].repeat(2, axis=0))
    fitness = FlappyFitness(max_score=None, max_frames=400)
    rng, expected = np.random.default_rng(5), np.random.default_rng(5)
    first, second = fitness(stacked, rng), fitness(stacked, rng)
    seeds = [int(expected.integers(0, 2**31, size=1)[0]) for _ in range(2)]
    assert fitness.selection_seeds == seeds and seeds[0] != seeds[1]
    for got, seed in ((first, seeds[0]), (second, seeds[1])):   # both generations
        np.testing.assert_array_equal(got, play_generation(stacked, seed, max_frames=400)["fitness"])
    assert fitness.last["frames"].max() == 400 and first.shape == (2,)
    fixed = FlappyFitness(seed=11, max_frames=400)
    np.testing.assert_array_equal(fixed(stacked, rng), fixed(stacked, rng))


def test_k_games_per_bird_average_their_fitness():
    template = default_brain(0)
    stacked = gone.StackedNetworks(template, np.random.default_rng(3).normal(0, 1, (30, template.n_params)))
    fitness = FlappyFitness(max_score=3, games=2, held_out=None)
    got = fitness(stacked, np.random.default_rng(1))
    s0, s1 = fitness.selection_seeds
    mean = (play_generation(stacked, s0, 3)["fitness"] + play_generation(stacked, s1, 3)["fitness"]) / 2
    np.testing.assert_array_equal(got, mean)


def test_bad_brains_flocks_and_settings_are_refused():
    wrong = gone.Network([4, gone.Dense(8, "tanh"), gone.Dense(2)], seed=0)
    with pytest.raises(gone.ShapeError, match="5 inputs to 2 outputs"):
        play_generation(gone.StackedNetworks(wrong, wrong.genome()[None]), seed=0)
    with pytest.raises(gone.ConfigError):
        FlockSim(0)
    with pytest.raises(gone.ShapeError):
        FlockSim(3, 0).step(np.zeros(2, dtype=bool))
    for bad in ({"games": 0}, {"needed": 11}, {"needed": 1}, {"seed": 2**31}):
        with pytest.raises(gone.ConfigError):
            FlappyFitness(**bad)


# --- evolution ----------------------------------------------------------------------------
def test_short_evolution_is_reproducible():
    run = lambda: evolve(population=40, generations=6, target=None, seed=0, max_score=20)  # noqa: E731
    a, b = run(), run()
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert a.best.sizes == [5, 8, 2]


def test_the_champion_passes_games_it_was_never_selected_on():
    fitness = make_fitness(10)
    result = evolve(population=100, target=10, seed=0, fitness=fitness, generations=60)
    assert result.stop_reason == "target"
    test = fitness.champion
    assert test["passed"] >= 9 and sum(s >= 10 for s in test["scores"]) == test["passed"]
    # held-out seeds lie above every selection seed, so no held-out game was selected on
    assert min(test["seeds"]) >= HELD_OUT_BASE > max(fitness.selection_seeds)
    # the saved champion is the tested bird: it replays its held-out games identically ...
    np.testing.assert_array_equal(play_network(result.best, test["seeds"], 10), test["scores"])
    # ... and passes 10 pipes in fresh games too
    fresh = evaluate_champion(result.best, 10, seed=12345)
    assert fresh["passed"] >= 8 and not set(fresh["seeds"]) & set(test["seeds"])


# --- Gymnasium ---------------------------------------------------------------------------
def test_env_passes_gymnasiums_checker():
    gymnasium = pytest.importorskip("gymnasium", reason="games extra (gymnasium) not installed")
    from gymnasium.utils.env_checker import check_env

    from gone.evolution.gym import make_env

    # gone finds the environment through the games' entry point (gone.plugins), not an import.
    # Spaces, seeding, reset and step; render modes are checked in test_flappy_view.
    check_env(make_env("gone/FlappyBird-v0").unwrapped, skip_render_check=True)
    assert gymnasium.spec("gone/FlappyBird-v0").entry_point == "gone_games.flappy.env:FlappyBirdEnv"


def test_importing_the_games_registers_nothing():
    """The games plug in through gone's entry point; importing them has no side effect."""
    pytest.importorskip("gymnasium", reason="games extra (gymnasium) not installed")
    code = ("import gymnasium, gone_games, gone_games.flappy, gone_games.snake; "
            "print(sorted(e for e in gymnasium.registry if e.startswith('gone/')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out


def test_env_is_registered_rewards_and_terminates():
    gymnasium = pytest.importorskip("gymnasium", reason="games extra (gymnasium) not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gone_games.register()                       # twice: no warning, no error
        gone_games.register()
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

    from gone_games.flappy.env import FlappyBirdEnv

    seen = []

    def draw(surface, state):   # a stand-in for gone_games.flappy.view: paint the bird's row red
        seen.append(state)
        surface.fill((0, 0, 0))
        surface.fill((255, 0, 0), (int(R.BIRD_X), int(state.bird_y[0]), R.BIRD_SIZE, R.BIRD_SIZE))

    monkeypatch.setitem(sys.modules, "gone_games.flappy.view", types.SimpleNamespace(draw=draw))
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
