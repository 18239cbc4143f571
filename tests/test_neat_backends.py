"""NEAT with per-genome fitness through the serial, process and Ray backends: same bits."""

import numpy as np
import pytest
from neat_configs import XOR

from gone.neat import read_config
from gone.neat.backend import NeatTemplate
from gone.neat.population import NeatPopulation
from gone.neat.tasks import XorFitness


class NoisyXor:
    """A per-genome fitness that uses its Generator (so seeding is exercised)."""

    def __call__(self, net, rng):
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]])
        y = np.array([0, 1, 1, 0.0])
        return 4.0 - float(np.sum((net.predict(x)[:, 0] - y) ** 2)) + 1e-3 * rng.normal()


def _config():
    return read_config(text=XOR, pop_size=40, no_fitness_termination=True)


def test_per_genome_fitness_equals_the_vectorised_one():
    from gone.neat.tasks import XorOne

    pop = NeatPopulation(_config(), seed=4)
    pop.run(XorFitness(), generations=3)   # grown genomes
    batch = pop.ask()
    template = NeatTemplate.of(pop.config)
    one = [XorOne()(template.with_genome(row)) for row in template.encode(batch.genomes)]
    np.testing.assert_allclose(one, XorFitness()(batch), rtol=1e-12)


def test_template_round_trip_equals_batch_evaluation():
    pop = NeatPopulation(_config(), seed=0)
    pop.run(XorFitness(), generations=5)
    batch = pop.ask()
    template = NeatTemplate.of(pop.config)
    rows = template.encode(batch.genomes)
    x = np.random.default_rng(0).normal(size=(7, 2))
    expected = batch.predict(x)
    again = NeatTemplate.from_bytes(template.to_bytes())
    for i, row in enumerate(rows):
        np.testing.assert_allclose(again.with_genome(row).predict(x), expected[i], rtol=1e-12)


def _run(backend, workers=None, fitness=None):
    pop = NeatPopulation(_config(), seed=11)
    pop.run(fitness or NoisyXor(), generations=3, backend=backend, workers=workers)
    return pop


@pytest.mark.filterwarnings("ignore::gone.errors.PerformanceWarning")
def test_serial_and_process_backends_give_the_same_bits():
    a, b = _run("serial"), _run("process", workers=2)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert [h["mean"] for h in a.history] == [h["mean"] for h in b.history]
    for k in a.genomes:
        assert np.array_equal(a.genomes[k].weight, b.genomes[k].weight)


@pytest.mark.filterwarnings("ignore::gone.errors.PerformanceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ray_backend_gives_the_same_bits():
    pytest.importorskip("ray", reason="ray (the ray extra) is not installed")
    from gone.neat.tasks import XorOne  # importable by Ray's workers (a test module is not)

    a, b = _run("serial", fitness=XorOne()), _run("ray", workers=2, fitness=XorOne())
    assert [h["mean"] for h in a.history] == [h["mean"] for h in b.history]
