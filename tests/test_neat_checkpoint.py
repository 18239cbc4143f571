"""NEAT checkpoints: .gone population files (protobuf), resumable bit for bit."""

import numpy as np
import pytest
from neat_configs import XOR

from gone.errors import GoneFormatError
from gone.format.neat import load_population, save_champion
from gone.neat import read_config
from gone.neat.population import NeatPopulation
from gone.neat.tasks import XorFitness


def _config():
    return read_config(text=XOR, no_fitness_termination=True, pop_size=60)


def _same(a, b):
    assert a.generation == b.generation and a.next_key == b.next_key
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert sorted(a.genomes) == sorted(b.genomes)
    for k in a.genomes:
        ga, gb = a.genomes[k], b.genomes[k]
        for name in ("nodes", "bias", "response", "act", "agg", "src", "dst", "innov",
                     "weight", "enabled"):
            assert np.array_equal(getattr(ga, name), getattr(gb, name)), name
    assert {s: sp.members for s, sp in a.species.species.items()} == \
        {s: sp.members for s, sp in b.species.species.items()}
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


def test_resume_is_bit_identical(tmp_path):
    straight = NeatPopulation(_config(), seed=3)
    straight.run(XorFitness(), generations=10)
    first = NeatPopulation(_config(), seed=3)
    first.run(XorFitness(), generations=4)
    first.save(tmp_path / "run.gone")
    resumed = load_population(tmp_path / "run.gone")
    _same(first, resumed)
    resumed.run(XorFitness(), generations=6)
    _same(straight, resumed)
    assert resumed.best.fitness == straight.best.fitness


def test_checkpoint_every_generation_then_kill(tmp_path):
    """A run killed after generation k resumes from its last checkpoint to the same end."""
    path = tmp_path / "ck.gone"
    straight = NeatPopulation(_config(), seed=5)
    straight.run(XorFitness(), generations=7)

    class Kill(Exception):
        pass

    def die(pop, stats):
        if pop.generation == 4:
            raise Kill  # the process "dies" after the checkpoint of generation 4 was written

    victim = NeatPopulation(_config(), seed=5)
    with pytest.raises(Kill):
        victim.run(XorFitness(), generations=7, checkpoint=path, checkpoint_every=1,
                   callbacks=[die])
    resumed = load_population(path)
    assert resumed.generation in (3, 4)
    resumed.run(XorFitness(), generations=7 - resumed.generation)
    _same(straight, resumed)


def test_champion_file_is_a_graph_with_neat_facts(tmp_path):
    from gone.format import graph as graph_io
    from gone.format.network import decode, read_bytes

    pop = NeatPopulation(_config(), seed=1)
    pop.run(XorFitness(), generations=3)
    save_champion(pop, tmp_path / "best.gone")
    graph = graph_io.load(tmp_path / "best.gone")
    x = np.array([[0, 1.0], [1, 1]])
    np.testing.assert_allclose(graph.propagate(x), pop.best_graph().propagate(x))
    meta = decode(read_bytes(tmp_path / "best.gone"), "f").metadata
    assert meta.fitness == pop.best.fitness
    assert int(meta.extra["neat_nodes"]) == pop.best.size()[0]


def test_corrupt_checkpoint_is_a_format_error(tmp_path):
    pop = NeatPopulation(_config(), seed=1)
    pop.save(tmp_path / "run.gone")
    data = bytearray((tmp_path / "run.gone").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.gone").write_bytes(bytes(data))
    with pytest.raises(GoneFormatError):
        load_population(tmp_path / "bad.gone")


def test_gene_ids_beyond_32_bits_are_a_format_error_naming_the_file(tmp_path):
    from gone.format.neat import from_message
    from gone.format.network import decode, read_bytes

    pop = NeatPopulation(_config(), seed=1)
    pop.save(tmp_path / "run.gone")
    msg = decode(read_bytes(tmp_path / "run.gone"))
    msg.population.neat.genomes[0].innovation[0] = 2**40
    with pytest.raises(GoneFormatError, match=r"crafted\.gone: innovation numbers must lie"):
        from_message(msg, "crafted.gone")
