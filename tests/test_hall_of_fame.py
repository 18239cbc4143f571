"""The hall of fame keeps the best genomes ever seen, each once."""

import numpy as np

from gone.evolution import HallOfFame


def test_keeps_the_best_each_once_best_first(rng):
    hof = HallOfFame(3)
    genomes = rng.normal(size=(6, 4))
    hof.update(genomes, np.array([1.0, 5.0, 3.0, -np.inf, 2.0, 4.0]), generation=0)
    assert hof.fitness.tolist() == [5.0, 4.0, 3.0]
    np.testing.assert_array_equal(hof.genomes, genomes[[1, 5, 2]])
    # The same elite evaluated again (same genome, same fitness) does not take a second seat.
    hof.update(genomes[[1, 1, 0]], np.array([5.0, 5.0, 1.0]), generation=1)
    assert hof.fitness.tolist() == [5.0, 4.0, 3.0] and hof.generations.tolist() == [0, 0, 0]
    # A better newcomer pushes the worst out; ties keep the earlier one.
    newcomer = rng.normal(size=(2, 4))
    hof.update(newcomer, np.array([4.0, 6.0]), generation=2)
    assert hof.fitness.tolist() == [6.0, 5.0, 4.0]
    np.testing.assert_array_equal(hof.genomes[2], genomes[5])


def test_failed_evaluations_never_enter(rng):
    hof = HallOfFame(2)
    hof.update(rng.normal(size=(2, 3)), np.array([-np.inf, -np.inf]), generation=0)
    assert len(hof) == 0 and hof.best_fitness == -np.inf
