"""Evolution operators on networks and genome matrices: copy, crossover, mutation, genomes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gone
from gone.evolution import layer_bounds, layer_crossover, uniform_crossover


def net(seed, sizes=(3, 5, 4, 2)):
    layers = [sizes[0]] + [gone.Dense(n, "tanh") for n in sizes[1:]]
    return gone.Network(layers, seed=seed, init="uniform")


def test_copy_is_deep_and_independent():
    a = net(0)
    b = a.copy()
    assert np.array_equal(a.genome(), b.genome())
    b.layers[0].weight[0, 0] += 1.0
    b.mutate(gone.GaussianMutation(rate=1.0, std=1.0), np.random.default_rng(0))
    assert not np.array_equal(a.genome(), b.genome())
    assert a.flat is not b.flat and a.layers[0].weight is not b.layers[0].weight
    x = np.ones(3)
    assert not np.array_equal(a.predict(x), b.predict(x))


def test_genome_round_trip():
    a = net(1)
    g = a.genome()
    assert g.shape == (a.n_params,) == (3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2,)
    assert np.array_equal(g[:15], a.layers[0].weight.ravel())  # weights row-major, then bias
    assert np.array_equal(g[15:20], a.layers[0].bias)
    b = net(2).with_genome(g)
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert np.array_equal(a.predict(x), b.predict(x))
    with pytest.raises(gone.ShapeError, match=r"genome must have shape \(54,\)"):
        a.set_genome(np.zeros(10))


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_layer_crossover_takes_first_k_layers_from_self(k):
    a, b = net(1), net(2)
    child = a.crossover(b, np.random.default_rng(0), k=k)
    for i in range(3):
        source = a if i < k else b
        assert np.array_equal(child.layers[i].weight, source.layers[i].weight)
        assert np.array_equal(child.layers[i].bias, source.layers[i].bias)


def test_drawn_crossover_point_mixes_both_parents():
    a, b = net(1), net(2)
    rng = np.random.default_rng(0)
    for _ in range(20):
        child = a.crossover(b, rng)
        from_a = [np.array_equal(child.layers[i].weight, a.layers[i].weight) for i in range(3)]
        assert from_a[0] and not from_a[-1]  # k in 1..L-1: first layer from a, last from b
        assert from_a == sorted(from_a, reverse=True)  # a prefix from a, the rest from b


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), method=st.sampled_from(["layer", "uniform"]))
def test_every_child_gene_comes_from_a_parent(seed, method):
    a, b = net(seed % 1000), net(seed % 1000 + 1)
    child = a.crossover(b, np.random.default_rng(seed), method=method).genome()
    ga, gb = a.genome(), b.genome()
    assert np.all((child == ga) | (child == gb))
    if method == "uniform":
        assert np.any(child == ga) and np.any(child == gb)


def test_crossover_of_different_shapes_is_a_clear_error():
    with pytest.raises(gone.ShapeError, match=r"different architectures: \[3, 5, 4, 2\]"):
        net(0).crossover(net(0, sizes=(3, 6, 4, 2)), np.random.default_rng(0))
    with pytest.raises(gone.ConfigError, match="unknown crossover method"):
        net(0).crossover(net(1), np.random.default_rng(0), method="two-point")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutation_at_rate_zero_is_the_identity(seed):
    a = net(seed % 100)
    before = a.genome()
    a.mutate(gone.GaussianMutation(rate=0.0, std=5.0), np.random.default_rng(seed))
    assert np.array_equal(before, a.genome())


@pytest.mark.parametrize("rate", [0.01, 0.1, 0.3, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_mutation_rate_is_the_probability_a_gene_changes(rate, seed):
    genomes = np.zeros((200, 500))
    n = genomes.size
    out = gone.GaussianMutation(rate=rate, std=1.0)(genomes, np.random.default_rng(seed))
    changed = np.mean(out != 0)
    # Within 5 standard errors of the binomial proportion: a rate off by 5% fails
    # (at rate 0.1 that is 0.005, about 5 sigma), Go's 1 - rate fails by hundreds.
    assert abs(changed - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    k = int(np.sum(out != 0))
    assert abs(out[out != 0].std() - 1.0) < 5 / np.sqrt(2 * k)  # std of a sample std
    shifted = gone.GaussianMutation(rate=1.0, std=0.01, mean=3.0)(genomes, np.random.default_rng(0))
    assert shifted.mean() == pytest.approx(3.0, abs=0.01)


def test_mutation_keeps_dtype_and_is_reproducible():
    g = np.zeros((4, 10), np.float32)
    m = gone.GaussianMutation(rate=0.5, std=1.0)
    a, b = m(g, np.random.default_rng(5)), m(g, np.random.default_rng(5))
    assert a.dtype == np.float32 and np.array_equal(a, b)
    with pytest.raises(gone.ConfigError, match="rate"):
        gone.GaussianMutation(rate=1.5)


def test_operators_vectorise_over_a_population_matrix():
    a = net(1)
    bounds = layer_bounds(a)
    rng = np.random.default_rng(0)
    pa, pb = rng.normal(size=(6, a.n_params)), rng.normal(size=(6, a.n_params))
    ks = np.array([0, 1, 2, 3, 1, 2])
    children = layer_crossover(pa, pb, ks, bounds)
    for row, k in enumerate(ks):
        single = layer_crossover(pa[row], pb[row], int(k), bounds)
        assert np.array_equal(children[row], single)
    u = uniform_crossover(pa, pb, rng)
    assert u.shape == pa.shape and np.all((u == pa) | (u == pb))
