"""Networks playing Gymnasium environments (gone.evolution.gym)."""

import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium", reason="games extra not installed")

import gone  # noqa: E402
from gone.errors import ConfigError  # noqa: E402
from gone.evolution import gym as ggym  # noqa: E402
from gone.evolution.stacked import StackedNetworks  # noqa: E402

RECORDER = "GoneTestRecorder-v0"


class RecorderEnv(gymnasium.Env):
    """Random observations ``(3,)``, zero reward, ``length`` steps; logs ``(obs shown, action received)``."""

    def __init__(self, action_space, log, length=20):
        self.observation_space = gymnasium.spaces.Box(-5, 5, (3,), np.float32)
        self.action_space = action_space
        self.log, self.length = log, length
        self._window = threading.Lock()  # unpicklable, like a render window

    def _observe(self):
        self._obs = self.np_random.uniform(-5, 5, size=3).astype(np.float32)
        return self._obs

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._t = 0
        return self._observe(), {}

    def step(self, action):
        self.log.append((self._obs.copy(), np.array(action, copy=True)))
        self._t += 1
        return self._observe(), 0.0, self._t >= self.length, False, {}


if RECORDER not in gymnasium.registry:
    gymnasium.register(id=RECORDER, entry_point=RecorderEnv)


def mlp(n_in, n_out, seed=0, hidden=8):
    return gone.Network([n_in, gone.Dense(hidden, "tanh"), gone.Dense(n_out)], seed=seed)


def cartpole_controller(sign=1.0):
    """Push toward where the pole falls: action 1 (right) when angle + angular velocity > 0."""
    w = sign * np.array([[0.0, 0.0, -1.0, -1.0], [0.0, 0.0, 1.0, 1.0]])
    return gone.Network.from_arrays([w], activations="identity")


@pytest.mark.parametrize("env_id, n_in, n_out, max_steps",
                         [("CartPole-v1", 4, 2, 100), ("Pendulum-v1", 3, 1, 50)])
def test_population_equals_per_network_episodes(rng, env_id, n_in, n_out, max_steps):
    template = mlp(n_in, n_out)
    genomes = rng.normal(size=(6, template.n_params))
    seeds = [11, 22, 33]
    matrix = ggym.population_returns(template, genomes, env_id, seeds, max_steps)
    means = ggym.evaluate_population(template, genomes, env_id, seeds, max_steps)
    expected = np.stack([ggym.run_episodes(template.with_genome(g), env_id, seeds, max_steps)
                         for g in genomes])
    assert matrix.shape == (6, 3) and means.shape == (6,)
    np.testing.assert_array_equal(matrix, expected)
    np.testing.assert_array_equal(means, expected.mean(axis=1))
    assert len(np.unique(expected)) > 1  # the comparison is not trivially all-equal


def test_box_actions_are_scaled_tanh_within_bounds():
    low = np.array([-2.0, 0.5, -np.inf], np.float32)
    high = np.array([3.0, 1.5, np.inf], np.float32)
    log = []
    net = mlp(3, 3, seed=1)
    net.set_genome(net.genome() * 4)  # saturate tanh sometimes: bounds must still hold
    space = gymnasium.spaces.Box(low, high, (3,), np.float32)
    ggym.run_episodes(net, RECORDER, [5, 6], env_kwargs={"action_space": space, "log": log})
    assert len(log) == 40
    for obs, action in log:
        t = np.tanh(net.predict(obs.astype(np.float64)))
        with np.errstate(invalid="ignore"):  # inf - inf in the unbounded column, discarded below
            scaled = low + (t + 1) / 2 * (high.astype(np.float64) - low)
        expected = np.where(np.isfinite(low), scaled, t)
        assert action.dtype == np.float32 and action.shape == (3,)
        np.testing.assert_array_equal(action, expected.astype(np.float32))
        assert np.all(action[:2] >= low[:2]) and np.all(action[:2] <= high[:2])


def test_box_action_shape_is_restored():
    log = []
    space = gymnasium.spaces.Box(-1.0, 1.0, (2, 2), np.float32)
    template = mlp(3, 4)
    genomes = np.random.default_rng(0).normal(size=(2, template.n_params))
    ggym.evaluate_population(template, genomes, RECORDER, [1], 3,
                             env_kwargs={"action_space": space, "log": log})
    assert len(log) == 6 and all(a.shape == (2, 2) for _, a in log)


@pytest.mark.parametrize("start", [0, 3])
def test_discrete_action_is_argmax(start):
    log = []
    net = mlp(3, 4, seed=2)
    space = gymnasium.spaces.Discrete(4, start=start)
    ggym.evaluate_population(net, net.genome()[None, :], RECORDER, [7, 8],
                             env_kwargs={"action_space": space, "log": log})
    chosen = [int(a) for _, a in log]
    assert chosen == [start + int(np.argmax(net.predict(o.astype(np.float64)))) for o, _ in log]
    assert len(set(chosen)) > 1


def test_wrong_network_size_names_env_and_sizes():
    with pytest.raises(ConfigError, match=r"CartPole-v1 .*Box\(4,\).*Discrete\(2\).*\[3, 8, 2\]"):
        ggym.run_episodes(mlp(3, 2), "CartPole-v1", [0])
    template = mlp(4, 3)
    with pytest.raises(ConfigError, match="CartPole-v1.*2 outputs"):
        ggym.evaluate_population(template, np.zeros((2, template.n_params)), "CartPole-v1", [0])


def test_unsupported_spaces_and_ids():
    with pytest.raises(ConfigError, match="FrozenLake-v1 has a Discrete\\(16\\) observation"):
        ggym.run_episodes(mlp(16, 4), "FrozenLake-v1", [0])
    with pytest.raises(ConfigError, match="FrozenLake-v1"):
        ggym.space_sizes("FrozenLake-v1")
    with pytest.raises(ConfigError, match="NoSuchGame-v0"):
        ggym.space_sizes("NoSuchGame-v0")
    with pytest.raises(ConfigError, match="seeds"):
        ggym.run_episodes(mlp(4, 2), "CartPole-v1", [-1])


def test_space_sizes_and_default_network():
    assert ggym.space_sizes("CartPole-v1") == (4, 2)
    assert ggym.space_sizes("Pendulum-v1") == (3, 1)
    net = ggym.default_network("Pendulum-v1", hidden=(5, 6), seed=0)
    assert net.sizes == [3, 5, 6, 1]
    assert [l.activation.name for l in net.layers] == ["tanh", "tanh", "identity"]


def test_fitness_same_rng_same_scores_different_rng_different_episodes(rng):
    template = mlp(4, 2)
    stacked = StackedNetworks(template, rng.normal(size=(8, template.n_params)))
    fitness = ggym.GymFitness("CartPole-v1", episodes=2, max_steps=100)
    try:
        first = fitness(stacked, np.random.default_rng(1))
        envs = fitness.pool.take(16)
        again = fitness(stacked, np.random.default_rng(1))
        other = fitness(stacked, np.random.default_rng(2))
        assert all(a is b for a, b in zip(envs, fitness.pool.take(16)))  # environments reused
    finally:
        fitness.close()
    assert first.shape == (8,)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_fitness_evaluate_uses_seeds_from_seed(rng):
    net = mlp(4, 2, seed=3)
    fitness = ggym.GymFitness("CartPole-v1", max_steps=60)
    try:
        returns = fitness.evaluate(net, episodes=10, seed=4)
    finally:
        fitness.close()
    seeds = ggym.draw_seeds(np.random.default_rng(4), 10)
    np.testing.assert_array_equal(returns, ggym.run_episodes(net, "CartPole-v1", seeds, 60))


def test_gym_episodes_pickles_and_matches_run_episodes():
    episodes = ggym.GymEpisodes("Pendulum-v1", episodes=3, max_steps=40)
    clone = pickle.loads(pickle.dumps(episodes))
    net = mlp(3, 1, seed=5)
    value = clone(net, np.random.default_rng(9))
    expected = ggym.run_episodes(net, "Pendulum-v1", ggym.draw_seeds(np.random.default_rng(9), 3), 40)
    assert isinstance(value, float) and value == expected.mean()
    pickle.loads(pickle.dumps(clone))  # still picklable with a live environment inside
    assert clone(net, np.random.default_rng(9)) == value
    clone.close()


def test_gym_episodes_pickles_after_use_without_its_environment():
    log = []
    episodes = ggym.GymEpisodes(RECORDER, episodes=1, max_steps=2,
                                env_kwargs={"action_space": gymnasium.spaces.Discrete(2), "log": log})
    episodes(mlp(3, 2), np.random.default_rng(0))
    assert len(log) == 2
    clone = pickle.loads(pickle.dumps(episodes))  # the env's lock would fail to pickle
    clone(mlp(3, 2), np.random.default_rng(0))
    episodes.close()
    clone.close()


def test_hand_written_controller_balances_cartpole():
    seeds = range(10)
    good = ggym.run_episodes(cartpole_controller(), "CartPole-v1", seeds)
    bad = ggym.run_episodes(cartpole_controller(sign=-1.0), "CartPole-v1", seeds)
    assert good.mean() > 150
    assert bad.mean() < 50
    # the population path must stop at the TimeLimit truncation (500 steps) too
    template = cartpole_controller()
    genomes = np.stack([template.genome(), cartpole_controller(-1.0).genome()])
    matrix = ggym.population_returns(template, genomes, "CartPole-v1", list(seeds))
    np.testing.assert_array_equal(matrix, np.stack([good, bad]))
    assert good.max() == 500


def test_max_steps_caps_episodes():
    returns = ggym.run_episodes(cartpole_controller(), "CartPole-v1", [0, 1], max_steps=7)
    np.testing.assert_array_equal(returns, [7.0, 7.0])


def test_import_gone_does_not_import_gymnasium():
    code = "import sys, gone, gone.evolution.gym; assert 'gymnasium' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
