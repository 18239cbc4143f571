"""gone.save / gone.load: one pair for every kind of .gone file, dispatching on the file itself."""

import numpy as np
import pytest

import gone


def xor_net():
    return gone.Network([2, gone.Dense(3, "tanh"), gone.Dense(1, "sigmoid")], seed=0)


def test_a_network_round_trips(tmp_path):
    net = xor_net()
    gone.save(net, tmp_path / "n.gone")
    back = gone.load(tmp_path / "n.gone")
    assert type(back) is gone.Network and np.array_equal(back.genome(), net.genome())


@pytest.mark.parametrize("name", ["g.gone", "g.json"])
def test_a_graph_round_trips_as_a_graph(tmp_path, name):
    graph = gone.GraphNetwork.from_network(xor_net())
    gone.save(graph, tmp_path / name)
    back = gone.load(tmp_path / name)
    x = np.array([[0.0, 1.0], [1.0, 1.0]])
    assert isinstance(back, gone.GraphNetwork)
    np.testing.assert_allclose(back.propagate(x), graph.propagate(x))


def test_a_population_round_trips_as_a_population(tmp_path):
    pop = gone.Population(xor_net(), 6, seed=1)
    pop.tell(np.arange(6.0))
    gone.save(pop, tmp_path / "p.gone")
    back = gone.load(tmp_path / "p.gone")
    assert isinstance(back, gone.Population) and back.generation == pop.generation
    assert np.array_equal(back.genomes, pop.genomes)


def test_a_neat_run_round_trips_as_a_neat_run(tmp_path):
    from gone.neat import NeatPopulation
    from gone.neat.defaults import xor_config

    pop = NeatPopulation(xor_config(), seed=3)
    gone.save(pop, tmp_path / "r.gone")
    back = gone.load(tmp_path / "r.gone")
    assert isinstance(back, NeatPopulation) and back.size == pop.size


def test_an_object_without_a_format_is_a_config_error(tmp_path):
    with pytest.raises(gone.ConfigError, match="no file format for dict"):
        gone.save({"not": "a network"}, tmp_path / "x.gone")
    assert not (tmp_path / "x.gone").exists()


def test_data_for_a_network_file_is_refused(tmp_path):
    gone.save(xor_net(), tmp_path / "n.gone")
    with pytest.raises(gone.GoneFormatError, match="data is for population files"):
        gone.load(tmp_path / "n.gone", data=(np.zeros((1, 2)), np.zeros((1, 1))))
