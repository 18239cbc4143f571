"""Selection, fitness shaping and the GA's breeding step, checked statistically and bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gone
from gone.evolution import layer_bounds
from gone.evolution import selection as sel

DRAWS = 200_000
SELECTIONS = sorted(sel.SELECTIONS)


def frequencies(indices, n):
    return np.bincount(indices, minlength=n) / len(indices)


# --- selection ---------------------------------------------------------------------

def test_roulette_frequencies_match_fitness_proportions(rng):
    f = np.array([1.0, 2.0, 3.0, 4.0])
    freq = frequencies(sel.roulette(f, DRAWS, rng), 4)
    assert np.allclose(freq, f / f.sum(), atol=0.01)


def test_roulette_shifts_negative_fitness_so_the_worst_has_weight_zero(rng):
    f = np.array([-3.0, -1.0, 1.0])
    freq = frequencies(sel.roulette(f, DRAWS, rng), 3)
    shifted = f - f.min()
    assert np.allclose(freq, shifted / shifted.sum(), atol=0.01)
    assert freq[0] == 0


def test_roulette_with_all_equal_fitness_is_uniform(rng):
    freq = frequencies(sel.roulette(np.full(4, 2.5), DRAWS, rng), 4)
    assert np.allclose(freq, 0.25, atol=0.01)


@pytest.mark.parametrize("name", SELECTIONS)
@pytest.mark.parametrize("shaping", [None, "square", "centered_ranks"])
def test_failed_individuals_are_never_chosen_while_one_works(name, shaping, rng):
    raw = [np.nan, np.inf, -2.0, -np.inf, np.nan, 0.5, np.nan, -np.inf]
    working = {2, 5}
    f = sel.sanitize(raw)
    assert np.isneginf(f[[0, 1, 3, 4, 6, 7]]).all()
    chosen = gone.GA(selection=name, shaping=shaping).select(f, 5000, rng)
    assert set(chosen.tolist()) <= working
    only_one = sel.sanitize([np.nan, np.nan, 3.0, np.nan])
    assert set(sel.get(name)(only_one, 1000, rng).tolist()) == {2}


@pytest.mark.parametrize("name", SELECTIONS)
def test_when_every_individual_failed_selection_still_returns_parents(name, rng):
    chosen = sel.get(name)(sel.sanitize([np.nan] * 5), 100, rng)
    assert chosen.shape == (100,) and chosen.min() >= 0 and chosen.max() < 5


def test_tournament_of_the_whole_population_picks_the_best(rng):
    pop = 20
    f = rng.permutation(pop).astype(float)
    best = int(np.argmax(f))
    # Entrants are drawn with replacement: the best is in a tournament of size s
    # with probability 1 - (1 - 1/pop)^s.
    for size in (pop, 10 * pop):
        freq = np.mean(sel.tournament(f, 20_000, rng, size=size) == best)
        assert abs(freq - (1 - (1 - 1 / pop) ** size)) < 0.015
    assert np.mean(sel.tournament(f, 20_000, rng, size=10 * pop) == best) > 0.99


def test_tournament_of_one_is_uniform(rng):
    freq = frequencies(sel.tournament(np.arange(5.0), DRAWS, rng, size=1), 5)
    assert np.allclose(freq, 0.2, atol=0.01)


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 1.0])
def test_truncation_only_picks_from_the_top_fraction(fraction, rng):
    f = rng.normal(size=20)
    keep = int(np.ceil(fraction * 20))
    top = set(np.argsort(f)[-keep:].tolist())
    chosen = sel.truncation(f, 10_000, rng, fraction)
    assert set(chosen.tolist()) == top
    assert np.allclose(frequencies(chosen, 20)[list(top)], 1 / keep, atol=0.03)


def test_rank_probabilities_are_proportional_to_rank(rng):
    f = np.array([5.0, -1.0, 3.0, 10.0, 0.0])
    rank = np.array([4, 1, 3, 5, 2])  # 1 = worst
    freq = frequencies(sel.rank(f, DRAWS, rng), 5)
    assert np.allclose(freq, rank / rank.sum(), atol=0.01)


def test_ranks_break_ties_by_index():
    assert sel.ranks(np.array([2.0, 1.0, 2.0, 0.0])).tolist() == [2, 1, 3, 0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_centered_ranks_are_in_range_and_preserve_order(values):
    f = np.array(values)
    c = sel.centered_ranks(f)
    assert c.min() == -0.5 and c.max() == 0.5
    i, j = np.nonzero(f[:, None] < f[None, :])
    assert np.all(c[i] < c[j])


def test_square_shaping_keeps_order_and_sign():
    f = np.array([-np.inf, -3.0, -2.0, -0.5, 0.0, 0.5, 2.0])
    s = sel.shape(f, "square")
    assert np.all(np.diff(s) > 0)
    assert np.array_equal(np.sign(s), np.sign(f)) and s[0] == -np.inf
    assert np.array_equal(s[1:], f[1:] * np.abs(f[1:]))


def test_unknown_names_are_config_errors():
    with pytest.raises(gone.ConfigError, match="unknown selection"):
        gone.GA(selection="lottery")
    with pytest.raises(gone.ConfigError, match="unknown fitness shaping"):
        gone.GA(shaping="cube")


# --- the GA's breeding step ----------------------------------------------------------

def template(sizes=(3, 5, 4, 2), dtype="float64"):
    return gone.Network([sizes[0]] + [gone.Dense(n, "tanh") for n in sizes[1:]],
                        seed=0, dtype=dtype)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_elitism_keeps_the_best_genomes_bit_for_bit(k, rng):
    net = template()
    parents = rng.normal(size=(12, net.n_params))
    fitness = rng.normal(size=12)
    ga = gone.GA(elitism=k, mutation_rate=1.0, mutation_std=1.0)
    children = ga.breed(net, parents, fitness, rng, generation=0)
    best = np.argsort(fitness)[::-1][:k]
    assert children.shape == parents.shape
    assert np.array_equal(children[:k], parents[best])
    # Everything else mutated at rate 1: no other child is an unchanged parent.
    rest = children[k:]
    assert not np.any(np.all(rest[:, None, :] == parents[None, :, :], axis=2))


def test_elite_survives_in_a_population(rng):
    pop = gone.Population(template(), size=10, strategy=gone.GA(elitism=2, mutation_rate=1.0),
                          seed=1)
    first = pop.ask().copy()
    fitness = rng.normal(size=10)
    pop.tell(fitness)
    nxt = pop.ask()
    assert np.array_equal(nxt[:2], first[np.argsort(-fitness)[:2]])


def test_without_crossover_and_mutation_every_child_is_a_parent(rng):
    net = template()
    parents = rng.normal(size=(15, net.n_params))
    ga = gone.GA(elitism=0, crossover_rate=0.0, mutation_rate=0.0)
    children = ga.breed(net, parents, rng.normal(size=15), rng, generation=0)
    same = np.all(children[:, None, :] == parents[None, :, :], axis=2)  # (child, parent)
    assert same.any(axis=1).all()


def gene_sources(children, parents):
    """For each child gene, the index of the parent that has that value there (-1: none)."""
    match = children[:, None, :] == parents[None, :, :]  # (child, parent, gene)
    return np.where(match.any(axis=1), match.argmax(axis=1), -1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), crossover=st.sampled_from(["layer", "uniform"]))
def test_every_child_gene_comes_from_one_of_its_two_parents(seed, crossover):
    rng = np.random.default_rng(seed)
    net = template()
    parents = rng.normal(size=(8, net.n_params))  # distinct values: a gene names its parent
    ga = gone.GA(elitism=0, crossover_rate=1.0, crossover=crossover, mutation_rate=0.0,
                 selection="rank")
    children = ga.breed(net, parents, rng.normal(size=8), rng, generation=0)
    src = gene_sources(children, parents)
    assert (src >= 0).all()
    for row in src:
        assert len(set(row.tolist())) <= 2
        if crossover == "layer":  # one parent for a prefix of whole layers, the other after
            changes = np.flatnonzero(np.diff(row)) + 1
            starts = [s for s, _ in layer_bounds(net)]
            assert len(changes) <= 1 and all(c in starts for c in changes)


def test_mutation_decay_shrinks_the_noise(rng):
    net = template()
    ga = gone.GA(elitism=0, crossover_rate=0.0, mutation_rate=1.0, mutation_std=0.5,
                 mutation_decay=0.9, min_std=0.05)
    parents = np.repeat(rng.normal(size=(1, net.n_params)), 2000, axis=0)
    fitness = np.zeros(2000)
    for generation in (0, 5, 10, 40):
        noise = ga.breed(net, parents, fitness, rng, generation) - parents
        expected = max(0.5 * 0.9 ** generation, 0.05)
        assert ga.mutation(generation).std == pytest.approx(expected)
        assert noise.std() == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ga_breeds_a_thousand_children_of_a_large_network(dtype):
    net = gone.Network([99, gone.Dense(100, "relu"), gone.Dense(1)], seed=0, dtype=dtype)
    assert net.n_params > 10_000
    pop = gone.Population(net, size=1000, strategy=gone.GA(crossover="uniform"), seed=0)
    genomes = pop.ask()
    assert genomes.shape == (1000, net.n_params) and genomes.dtype == net.dtype
    pop.tell(np.arange(1000.0))
    children = pop.ask()
    assert children.shape == (1000, net.n_params) and children.dtype == net.dtype
    assert np.array_equal(children[0], genomes[999])  # the elite


@pytest.mark.parametrize("option, value", [
    ("tournament_size", 0), ("tournament_size", 1.5), ("truncation", 0.0), ("truncation", 1.5),
    ("min_std", -0.1), ("elitism", -1), ("crossover_rate", 1.1), ("mutation_rate", -0.1),
    ("mutation_decay", 0.0), ("crossover", "two_point"),
])
def test_bad_ga_settings_fail_when_made_not_mid_run(option, value):
    with pytest.raises(gone.ConfigError):
        gone.GA(**{option: value})
