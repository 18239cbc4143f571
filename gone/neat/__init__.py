"""NEAT: NeuroEvolution of Augmenting Topologies, with the population evaluated as tensors.

Genomes grow from minimal networks by innovation-numbered structural
mutations and are protected in species, as in neat-python, whose INI configs
are read unchanged. A generation is a :class:`GenePool` (every genome's genes
in two flat tables), so crossover, mutation, speciation and the forward pass
(:mod:`gone.neat.evaluate`) each run as a few numpy operations over the whole
generation; a genome compiles to a :class:`~gone.GraphNetwork`, which also
lets genomes learn by backprop during a run (:mod:`gone.neat.hybrid`). Start
with :class:`NeatPopulation`::

    from gone.neat import NeatPopulation, XorFitness, read_config
    pop = NeatPopulation(read_config("config-feedforward"), seed=1)
    result = pop.run(XorFitness(), generations=300)
    graph = pop.best_graph()          # save, propagate, train by backprop
"""

from . import mutation
from .compile import compile_population
from .config import FloatGene, GenomeConfig, NeatConfig, read_config
from .convert import to_graph
from .crossover import crossover, crossover_many
from .distance import distance, distances
from .draw import draw
from .evaluate import GenomeBatch, forward, step
from .genome import Genome
from .innovation import Innovations
from .pool import GenePool, new_genome, new_pool
from .population import NeatPopulation
from .reporters import StdOutReporter, species_table
from .reproduction import CompleteExtinction, TooManySpecies
from .tasks import GymFitness, XorFitness, XorOne

__all__ = ["CompleteExtinction", "FloatGene", "GenePool", "Genome", "GenomeBatch",
           "GenomeConfig",
           "GymFitness", "Innovations", "NeatConfig", "NeatPopulation", "StdOutReporter",
           "XorFitness", "XorOne", "compile_population", "crossover", "crossover_many",
           "distance", "distances", "draw", "forward", "mutation", "new_genome", "new_pool",
           "TooManySpecies", "read_config", "species_table", "step",
           "to_graph"]
