"""Backprop inside NEAT runs: Lamarckian and Baldwinian hybrids on growing topologies."""

import numpy as np
import pytest
from neat_configs import XOR

import gone
from gone.errors import ConfigError
from gone.evolution import Baldwinian, Lamarckian
from gone.neat import FloatGene, GenomeConfig, Innovations, mutation, new_pool, read_config
from gone.neat.convert import to_graph
from gone.neat.hybrid import learn, write_back
from gone.neat.population import NeatPopulation
from gone.neat.tasks import XorFitness


def _grown(seed):
    """A genome grown by random mutation: hidden nodes, mixed activations and responses."""
    config = GenomeConfig(num_inputs=2, num_outputs=1, initial_connection="full_direct",
                          node_add_prob=0.6, conn_add_prob=0.8, node_delete_prob=0.05,
                          conn_delete_prob=0.05, activation_options=("sigmoid", "tanh"),
                          activation_mutate_rate=0.3,
                          response=FloatGene(init_mean=1.0, mutate_rate=0.5, mutate_power=0.3))
    rng, inn = np.random.default_rng(seed), Innovations(1)
    pool = new_pool(np.arange(10), config, inn, rng)
    for _ in range(8):
        pool = mutation.mutate_attributes_pool(
            mutation.mutate_structure_pool(pool, config, inn, rng), config, rng)
        inn.new_generation()
    return max(pool.genomes(), key=lambda g: g.n_nodes)


def _xor_data():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    return x, np.array([[0], [1], [1], [0]], float)


def test_write_back_inverts_the_compile_folding():
    genome = _grown(0)
    assert genome.n_nodes > 1 and not np.allclose(genome.response, 1.0)
    graph = to_graph(genome, 2, 1)
    rng = np.random.default_rng(0)
    trained = graph.genome() + rng.normal(size=graph.n_params)
    graph.set_genome(trained)
    back = write_back(genome, graph, 2, 1)
    # the written-back genome compiles to exactly the trained graph
    np.testing.assert_allclose(to_graph(back, 2, 1).genome(), trained, rtol=1e-12, atol=1e-12)
    assert np.array_equal(back.innov, genome.innov) and np.array_equal(back.nodes, genome.nodes)
    assert np.array_equal(back.weight[~genome.enabled], genome.weight[~genome.enabled])


def test_learn_lowers_the_error_on_the_data():
    x, y = _xor_data()
    genome = _grown(1)
    refiner = Lamarckian(x, y, steps=50, optimizer=gone.Adam(lr=0.05))
    before = to_graph(genome, 2, 1).gradients(x, y)[0]
    after = to_graph(learn(genome, 2, 1, refiner, np.random.default_rng(0)), 2, 1).gradients(x, y)[0]
    assert after < 0.7 * before


def test_lamarckian_run_keeps_what_the_best_learned_and_is_reproducible():
    x, y = _xor_data()
    runs = []
    for _ in range(2):
        config = read_config(text=XOR, no_fitness_termination=True, pop_size=40)
        pop = NeatPopulation(config, seed=4,
                             refine=Lamarckian(x, y, steps=20, optimizer=gone.Adam(lr=0.05), top=3))
        batch = pop.ask()
        fitness = XorFitness()(batch)
        before = pop.pool
        pop.tell(fitness)
        runs.append(pop)
        best3 = np.argsort(-fitness, kind="stable")[:3]
        # the three best learned: the elites among them carry learned weights into the
        # next generation, so some weight of the new pool is none of the old pool's
        elite_keys = set(pop.pool.keys.tolist()) & set(before.keys[best3].tolist())
        assert elite_keys
        for key in elite_keys:
            old = before.genome(int(np.flatnonzero(before.keys == key)[0]))
            new = pop.pool.genome(int(np.flatnonzero(pop.pool.keys == key)[0]))
            assert not np.allclose(old.weight[old.enabled], new.weight[old.enabled])
            assert XorFitness()(gone.neat.GenomeBatch.compile([new], 2, 1))[0] > old.fitness
    a, b = runs
    assert np.array_equal(a.pool.weight, b.pool.weight)        # same seed, same bits


def test_baldwinian_evaluates_learned_genomes_but_keeps_the_unlearned():
    x, y = _xor_data()
    config = read_config(text=XOR, no_fitness_termination=True, pop_size=30)
    plain = NeatPopulation(config, seed=6)
    pop = NeatPopulation(config, seed=6,
                         refine=Baldwinian(x, y, steps=30, optimizer=gone.Adam(lr=0.05)))
    assert np.array_equal(plain.pool.weight, pop.pool.weight)
    genomes_before = pop.pool.weight.copy()
    learned_fitness = XorFitness()(pop.ask())
    plain_fitness = XorFitness()(plain.ask())
    assert learned_fitness.mean() > plain_fitness.mean()       # learning helped every genome
    assert np.array_equal(pop.pool.weight, genomes_before)     # ... but was not written back
    pop.tell(learned_fitness)
    # the champion is the learned genome that earned the fitness
    champion = pop.champion
    assert XorFitness()(gone.neat.GenomeBatch.compile([champion], 2, 1))[0] == \
        pytest.approx(learned_fitness.max())


def test_a_hybrid_run_saves_its_settings_not_its_data(tmp_path):
    x, y = _xor_data()
    config = read_config(text=XOR, no_fitness_termination=True, pop_size=30)
    pop = NeatPopulation(config, seed=2, refine=Lamarckian(x, y, steps=5, top=2))
    pop.run(XorFitness(), generations=2)
    pop.save(tmp_path / "run.gone")
    loaded = gone.load(tmp_path / "run.gone")
    assert loaded.refine.settings() == pop.refine.settings() and not loaded.refine.has_data
    assert "gone.hybrid" not in loaded.settings
    with pytest.raises(ConfigError, match="attach_data"):
        loaded.run(XorFitness(), generations=1)
    again = gone.load(tmp_path / "run.gone", data=(x, y))
    pop.run(XorFitness(), generations=2)
    again.run(XorFitness(), generations=2)
    assert np.array_equal(again.pool.weight, pop.pool.weight)   # resumes bit for bit
    with pytest.raises(ConfigError, match="no Lamarckian"):
        NeatPopulation(config, seed=0).attach_data(x, y)
    with pytest.raises(ConfigError, match="refine must be"):
        NeatPopulation(config, seed=0, refine="lamarckian")
