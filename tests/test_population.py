"""Population: ask/tell and run, determinism, failures, hall of fame, stop conditions,
solving tasks with the GA and the ES, the stacked forward pass, and the hybrids."""

import numpy as np
import pytest

import gone
from gone.evolution import StackedNetworks

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_net(seed=0, dtype="float64"):
    return gone.Network([2, gone.Dense(4, "tanh"), gone.Dense(1, "sigmoid")], seed=seed,
                        dtype=dtype)


@gone.vectorized
def xor_fitness(stacked):
    """4 minus the sum of squared errors on the XOR truth table (4 is perfect)."""
    return 4.0 - ((stacked.predict(X) - Y) ** 2).sum(axis=(1, 2))


@gone.vectorized
def noisy_fitness(stacked, rng):
    """XOR fitness on inputs jittered by the rng gone seeds for the generation."""
    x = X + rng.normal(0, 0.1, size=(len(stacked), 4, 2))
    return 4.0 - ((stacked.predict(x) - Y) ** 2).sum(axis=(1, 2))


def evolve(seed, strategy="ga", generations=8):
    size = 20
    pop = gone.Population(xor_net(), size, strategy=strategy, seed=seed)
    pop.run(noisy_fitness, generations)
    return pop


# --- determinism -------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["ga", "es"])
def test_same_seed_same_genomes_and_fitness(strategy):
    a, b = evolve(7, strategy), evolve(7, strategy)
    assert np.array_equal(a.genomes, b.genomes)
    assert np.array_equal(a.fitness, b.fitness)
    assert np.array_equal(a.hall_of_fame.genomes, b.hall_of_fame.genomes)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    c = evolve(8, strategy)
    assert not np.array_equal(a.genomes, c.genomes)
    assert not np.array_equal(a.fitness, c.fitness)


def test_per_network_fitness_with_rng_is_deterministic():
    def score(net, rng):
        return -float(np.sum((net.predict(X + rng.normal(0, 0.1, size=X.shape)) - Y) ** 2))

    runs = []
    for seed in (3, 3, 4):
        pop = gone.Population(xor_net(), 10, seed=seed)
        pop.run(score, 4)
        runs.append((pop.genomes, pop.fitness))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][1], runs[2][1])


def test_ask_is_stable_until_told_and_checks_the_fitness_shape():
    pop = gone.Population(xor_net(), 6, seed=0)
    first = pop.ask()
    assert pop.ask() is first
    assert np.array_equal(np.stack([n.genome() for n in pop.ask_networks()]), first)
    assert np.array_equal(pop.stacked().genomes, first)
    with pytest.raises(gone.ShapeError, match=r"fitness must have shape \(6,\)"):
        pop.tell(np.zeros(5))
    stats = pop.tell(np.arange(6.0))
    assert stats["generation"] == 0 and stats["best"] == 5.0 and stats["failed"] == 0
    assert pop.generation == 1 and pop.ask() is not first


# --- failures ----------------------------------------------------------------------------

def test_nan_fitness_is_counted_and_does_not_stop_the_run():
    @gone.vectorized
    def half_fail(stacked):
        f = xor_fitness(stacked)
        return np.where(stacked.genomes[:, 0] > 0, np.nan, f)

    seen = []

    def check(pop, stats):
        failed = int(np.sum(pop.genomes[:, 0] > 0))
        seen.append(failed)
        assert stats["failed"] == failed == int(np.isnan(pop.fitness).sum())
        assert np.isfinite(stats["best"]) == (failed < pop.size)

    pop = gone.Population(xor_net(), 20, strategy=gone.GA(mutation_std=1.0), seed=0)
    result = pop.run(half_fail, 10, callbacks=[check])
    assert result.stop_reason == "generations" and len(seen) == 10 and max(seen) > 0
    assert np.isfinite(result.best_fitness) and result.best.genome()[0] <= 0


def test_raising_fitness_is_nan_on_the_serial_backend(caplog):
    def fragile(net):
        if net.flat[0] > 0:
            raise ValueError("gene 0 is positive")
        return float(4 - np.sum((net.predict(X) - Y) ** 2))

    failures = []

    def check(pop, stats):
        failed = pop.genomes[:, 0] > 0
        failures.append(int(failed.sum()))
        assert np.array_equal(np.isnan(pop.fitness), failed)
        assert stats["failed"] == failed.sum()

    pop = gone.Population(xor_net(), 16, strategy=gone.GA(mutation_std=1.0), seed=2)
    result = pop.run(fragile, 5, backend="serial", callbacks=[check])
    assert result.stop_reason == "generations" and sum(failures) > 0
    assert "gene 0 is positive" in caplog.text


def test_all_failed_generation_is_survivable():
    pop = gone.Population(xor_net(), 6, seed=0)
    stats = pop.tell(np.full(6, np.nan))
    assert stats["failed"] == 6 and np.isnan(stats["best"]) and pop.best_fitness == -np.inf
    with pytest.raises(gone.ConfigError):
        _ = pop.best
    assert pop.ask().shape == (6, pop.template.n_params)


# --- hall of fame ------------------------------------------------------------------------

def test_hall_of_fame_holds_the_best_ever_without_elitism():
    record = {}  # genome bytes -> fitness, every individual ever evaluated
    gen_best = []

    def remember(pop, stats):
        for g, f in zip(pop.genomes, pop.fitness):
            record[g.tobytes()] = f
        gen_best.append(stats["best"])

    pop = gone.Population(xor_net(), 12, hall_of_fame=4, seed=5,
                          strategy=gone.GA(elitism=0, mutation_rate=0.5, mutation_std=1.0))
    pop.run(xor_fitness, 30, callbacks=[remember])
    best_genome = max(record, key=record.get)
    assert pop.best_fitness == max(record.values()) == max(gen_best)
    assert gen_best[-1] < pop.best_fitness  # without elitism the best was lost again
    assert pop.best.genome().tobytes() == best_genome
    assert pop.best.metadata["fitness"] == pop.best_fitness
    top = sorted(record.values(), reverse=True)[:4]
    assert pop.hall_of_fame.fitness.tolist() == top
    for f, g in zip(pop.hall_of_fame.fitness, pop.hall_of_fame.genomes):
        assert record[g.tobytes()] == f
    assert [h["best_ever"] for h in pop.history] == list(np.maximum.accumulate(gen_best))


# --- stop conditions ---------------------------------------------------------------------

@gone.vectorized
def flat(stacked):
    return np.zeros(len(stacked))


def test_generations_stop():
    pop = gone.Population(xor_net(), 6, seed=0)
    result = pop.run(flat, 7)
    assert (result.stop_reason, result.generations, len(result.history)) == ("generations", 7, 7)
    result = pop.run(flat, 3)  # a second call continues the count
    assert (result.stop_reason, result.generations, pop.generation) == ("generations", 10, 10)


def test_target_stop():
    pop = gone.Population(xor_net(), 30, strategy=gone.GA(selection="tournament"), seed=0)
    result = pop.run(xor_fitness, 1000, target=3.0)
    assert result.stop_reason == "target" and result.best_fitness >= 3.0
    assert result.generations < 1000 and all(h["best_ever"] < 3.0 for h in result.history[:-1])


@pytest.mark.parametrize("stagnation", [1, 3, 6])
def test_stagnation_stop(stagnation):
    pop = gone.Population(xor_net(), 6, seed=0)
    result = pop.run(flat, 100, stagnation=stagnation)
    # Generation 0 sets the best; each later one fails to improve it.
    assert (result.stop_reason, result.generations) == ("stagnation", stagnation + 1)


def test_max_time_stop():
    import time

    @gone.vectorized
    def slow(stacked):
        time.sleep(0.01)
        return np.zeros(len(stacked))

    pop = gone.Population(xor_net(), 6, seed=0)
    result = pop.run(slow, 100_000, max_time=0.05)
    assert result.stop_reason == "time" and result.generations < 100_000


def test_callback_returning_true_stops():
    seen = []

    def stop_at_3(pop, stats):
        seen.append(stats["generation"])
        return stats["generation"] == 3

    class Hooks(gone.EvolutionCallback):
        events = []

        def on_run_begin(self, pop):
            self.events.append("begin")

        def on_run_end(self, pop, result):
            self.events.append(result.stop_reason)

    pop = gone.Population(xor_net(), 6, seed=0)
    hooks = Hooks()
    result = pop.run(flat, 50, callbacks=[stop_at_3, hooks])
    assert (result.stop_reason, result.generations, seen) == ("callback", 4, [0, 1, 2, 3])
    assert hooks.events == ["begin", "callback"]


def test_run_without_a_stop_condition_is_an_error():
    with pytest.raises(gone.ConfigError, match="stop condition"):
        gone.Population(xor_net(), 6, seed=0).run(flat)


# --- solving -------------------------------------------------------------------------------

def test_ga_solves_xor():
    pop = gone.Population(xor_net(seed=1), 100, seed=1,
                          strategy=gone.GA(selection="tournament", elitism=2, mutation_rate=0.2))
    result = pop.run(xor_fitness, 500, target=3.9)
    assert result.stop_reason == "target" and result.best_fitness >= 3.9
    sse = np.sum((result.best.predict(X) - Y) ** 2)
    assert 4 - sse == pytest.approx(result.best_fitness)
    assert np.all(np.abs(result.best.predict(X) - Y) < 0.3)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_es_converges_on_a_quadratic(dtype):
    net = xor_net(dtype=dtype)
    c = np.linspace(-1.0, 1.0, net.n_params)

    @gone.vectorized
    def quadratic(stacked):
        return -np.sum((stacked.genomes - c) ** 2, axis=1)

    pop = gone.Population(net, 50, strategy=gone.ES(sigma=0.05, learning_rate=0.05), seed=0)
    start = np.abs(pop.state.mean - c).max()
    pop.run(quadratic, 300)
    assert pop.state.mean.dtype == net.dtype
    assert np.abs(pop.state.mean - c).max() < 0.1 < start
    assert pop.best_fitness > -0.05


def test_es_learning_rate_sets_the_step_size():
    """With Adam the first step moves every gene by about the learning rate."""
    for lr in (0.01, 0.1):
        pop = gone.Population(xor_net(), 20, strategy=gone.ES(learning_rate=lr), seed=0)
        before = pop.state.mean.copy()
        pop.tell(np.arange(20.0))
        step = np.abs(pop.state.mean - before)
        assert np.allclose(step[step > 0], lr, rtol=1e-3)


# --- the stacked forward pass ---------------------------------------------------------------

@pytest.mark.parametrize("acts", [
    ("tanh", "sigmoid", "identity"),
    ("relu", "gelu", "softmax"),
    ("elu", "swish", "softmax"),
    ("leaky_relu", "softsign", "tanh"),
])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 2e-5)])
def test_stacked_forward_equals_each_network(acts, dtype, rtol, rng):
    net = gone.Network([3, gone.Dense(5, acts[0]), gone.Dense(4, acts[1], bias=False),
                        gone.Dense(3, acts[2])], seed=0, dtype=dtype)
    genomes = rng.normal(size=(7, net.n_params))
    stacked = StackedNetworks(net, genomes)
    nets = [stacked.network(i) for i in range(7)]
    shared = rng.normal(size=(6, 3))
    expected = np.stack([n.predict(shared) for n in nets])
    out = stacked.predict(shared)
    assert out.shape == (7, 6, 3) and out.dtype == net.dtype
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol)
    each = rng.normal(size=(7, 5, 3))
    np.testing.assert_allclose(stacked.predict(each),
                               np.stack([n.predict(x) for n, x in zip(nets, each)]),
                               rtol=rtol, atol=rtol)
    one = rng.normal(size=(7, 3))
    np.testing.assert_allclose(stacked.predict_each(one),
                               np.stack([n.predict(x) for n, x in zip(nets, one)]),
                               rtol=rtol, atol=rtol)
    if acts[2] == "softmax":
        np.testing.assert_allclose(out.sum(axis=2), 1.0, rtol=rtol)


def test_stacked_shape_errors(rng):
    net = xor_net()
    stacked = StackedNetworks(net, rng.normal(size=(4, net.n_params)))
    with pytest.raises(gone.ShapeError, match="layer 0"):
        stacked.predict(np.zeros((5, 3)))
    with pytest.raises(gone.ShapeError):
        stacked.predict_each(np.zeros((3, 2)))
    with pytest.raises(gone.ShapeError, match="genomes must have shape"):
        StackedNetworks(net, np.zeros((4, net.n_params + 1)))


# --- hybrids -------------------------------------------------------------------------------

def loss(template, genome):
    return float(np.mean((template.with_genome(genome).predict(X) - Y) ** 2))


def test_lamarckian_refines_the_top_individuals_and_writes_them_back():
    refiner = gone.Lamarckian(X, Y, steps=20, top=2)
    pop = gone.Population(xor_net(), 10, strategy=gone.GA(elitism=1), seed=0, refine=refiner)
    asked = pop.ask().copy()
    fitness = np.array([-loss(pop.template, g) for g in asked])
    pop.tell(fitness)
    top = np.argsort(-fitness)[:2]
    for i in range(10):
        if i in top:
            expected = refiner.refine(pop.template, asked[i], np.random.default_rng(0))
            assert np.array_equal(pop.genomes[i], expected)  # full batch: no randomness
            assert loss(pop.template, pop.genomes[i]) < loss(pop.template, asked[i])
        else:
            assert np.array_equal(pop.genomes[i], asked[i])
    assert np.array_equal(pop.ask()[0], pop.genomes[top[0]])  # the elite is the refined one


def test_lamarckian_with_es_refines_the_mean():
    refiner = gone.Lamarckian(X, Y, steps=30)
    a = gone.Population(xor_net(), 10, strategy="es", seed=0)
    b = gone.Population(xor_net(), 10, strategy="es", seed=0, refine=refiner)
    for pop in (a, b):
        pop.tell(-np.arange(10.0))
    assert loss(b.template, b.state.mean) < loss(a.template, a.state.mean)


def test_baldwinian_measures_fitness_after_refinement_but_keeps_genomes():
    refiner = gone.Baldwinian(X, Y, steps=10)
    pop = gone.Population(xor_net(), 8, seed=0, refine=refiner)
    asked = pop.ask().copy()
    values = pop.evaluate(xor_fitness)
    refined = refiner.refine_rows(pop.template, asked, range(8), np.random.default_rng(0))
    assert np.array_equal(values, xor_fitness(StackedNetworks(pop.template, refined)))
    assert not np.array_equal(values, xor_fitness(StackedNetworks(pop.template, asked)))
    assert np.array_equal(pop.ask(), asked)
    pop.tell(values)
    assert np.array_equal(pop.genomes, asked)
    assert any(np.array_equal(pop.best.genome(), g) for g in asked)


def test_hybrid_run_end_to_end():
    pop = gone.Population(xor_net(), 10, seed=0, refine=gone.Baldwinian(X, Y, steps=3))
    result = pop.run(xor_fitness, 3)
    assert result.generations == 3 and np.isfinite(result.best_fitness)


# --- the ES update against its formula ----------------------------------------------------

@pytest.mark.parametrize("shaping", ["centered_ranks", None])
@pytest.mark.parametrize("sigma, lr", [(0.1, 0.03), (0.5, 1.0)])
def test_es_step_with_plain_sgd_is_the_formula(shaping, sigma, lr, rng):
    """theta' = theta + lr / (pop sigma) sum_j w_j e_j, where candidate j = theta + sigma e_j
    and w are the shaped fitness values: the scale of the estimate, not just its direction."""
    pop = gone.Population(xor_net(), 12, strategy=gone.ES(sigma=sigma, learning_rate=lr,
                                                          optimizer="sgd", shaping=shaping), seed=4)
    theta = pop.state.mean.copy()
    candidates = pop.ask().copy()
    fitness = rng.normal(size=12)
    pop.tell(fitness)
    e = (candidates - theta) / sigma                       # (pop, n), from the candidates alone
    if shaping is None:
        w = (fitness - fitness.mean()) / fitness.std()
    else:
        w = np.argsort(np.argsort(fitness)) / 11 - 0.5      # centred ranks in [-0.5, 0.5]
    expected = theta + lr * sum(w[j] * e[j] for j in range(12)) / (12 * sigma)
    np.testing.assert_allclose(pop.state.mean, expected, rtol=1e-9, atol=1e-12)
    assert not np.allclose(pop.state.mean, theta + 2 * (expected - theta))  # the scale matters


def test_es_weight_decay_pulls_towards_zero_by_its_formula():
    pop = gone.Population(xor_net(), 4, strategy=gone.ES(learning_rate=0.1, optimizer="sgd",
                                                         weight_decay=0.5, shaping=None), seed=0)
    theta = pop.state.mean.copy()
    pop.ask()
    pop.tell(np.zeros(4))  # equal fitness: no gradient, only the decay
    np.testing.assert_allclose(pop.state.mean, theta - 0.1 * 0.5 * theta, rtol=1e-12)


# --- strategies are data ------------------------------------------------------------------

def test_a_strategy_is_frozen_settings_and_its_state_a_frozen_record():
    import dataclasses

    ga, es = gone.GA(selection="Tournament"), gone.ES(optimizer=gone.Adam(lr=0.02))
    assert ga.selection == "tournament" and es.optimizer == "adam"
    assert es.optimizer_params["lr"] == 0.02
    for strategy in (ga, es):
        with pytest.raises(dataclasses.FrozenInstanceError):
            strategy.elitism = 3
        assert type(strategy).from_settings(strategy.settings()) == strategy
    pop = gone.Population(xor_net(), 6, strategy=es, seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pop.state.mean = None


def test_ask_and_tell_are_pure_functions_of_the_state(rng):
    es = gone.ES(sigma=0.2)
    state = es.init(xor_net(), 6, np.random.default_rng(0))
    g1, s1 = es.ask(state, np.random.default_rng(1))
    g2, s2 = es.ask(state, np.random.default_rng(1))
    assert np.array_equal(g1, g2) and state.eps is None  # ask did not touch its input
    told = es.tell(s1, g1, rng.normal(size=6))
    assert told.generation == 1 and told.opt_step == 1 and state.opt_step == 0
    assert not np.array_equal(told.mean, state.mean)


def test_strategies_and_selections_are_found_by_name_with_a_suggestion():
    from gone.evolution.selection import SELECTIONS
    from gone.evolution.strategy import STRATEGIES

    assert STRATEGIES["GA"] is gone.GA and STRATEGIES["es"] is gone.ES
    with pytest.raises(gone.ConfigError, match="did you mean 'es'"):
        gone.Population(xor_net(), 6, strategy="ess")
    assert "tournament" in SELECTIONS
    with pytest.raises(gone.ConfigError, match="did you mean 'roulette'"):
        gone.GA(selection="roulete")


def test_run_leaves_signal_handlers_alone_unless_asked():
    import signal

    seen = []

    def spy(pop, stats):
        seen.append(signal.getsignal(signal.SIGINT))

    before = signal.getsignal(signal.SIGINT)
    gone.Population(xor_net(), 6, seed=0).run(flat, 1, callbacks=[spy])
    gone.Population(xor_net(), 6, seed=0).run(flat, 1, callbacks=[spy], handle_signals=True)
    assert seen[0] is before and seen[1] is not before
    assert signal.getsignal(signal.SIGINT) is before


def test_evolution_callbacks_share_the_training_callback_base():
    assert issubclass(gone.EvolutionCallback, gone.Callback)
    with pytest.raises(gone.ConfigError, match="evolution callback"):
        gone.Population(xor_net(), 6, seed=0).run(flat, 1, callbacks=[gone.EarlyStopping()])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stacked_forward_split_over_threads_equals_each_network(dtype, rng, monkeypatch):
    """A pass big enough for the thread pool (and the column layout) gives every
    network's own output, softmax over its units included."""
    import gone.evolution.stacked as stacked_mod

    net = gone.Network([64, gone.Dense(32, "tanh"), gone.Dense(10, "softmax")], seed=0, dtype=dtype)
    genomes = rng.normal(0, 0.5, (40, net.n_params))
    stacked = StackedNetworks(net, genomes)
    x = rng.uniform(-1, 1, (256, 64))
    monkeypatch.setattr(stacked_mod, "_CORES", 2)
    assert len(stacked_mod._chunks(stacked.size, stacked._flops(len(x)))) == 2
    out = stacked.predict(x)
    expected = np.stack([stacked.network(i).predict(x) for i in range(stacked.size)])
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    each = rng.uniform(-1, 1, (40, 256, 64))
    np.testing.assert_allclose(stacked.predict(each),
                               np.stack([stacked.network(i).predict(each[i]) for i in range(40)]),
                               rtol=tol, atol=tol)
