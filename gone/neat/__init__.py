"""NEAT: NeuroEvolution of Augmenting Topologies, with the population evaluated as tensors.

Genomes grow from minimal networks by innovation-numbered structural
mutations, are protected in species, and read neat-python's INI configs
unchanged. See :class:`gone.neat.NeatPopulation`.
"""

from .config import NeatConfig, GenomeConfig, FloatGene, read_config
from .crossover import crossover
from .genome import Genome, distance, new_genome
from .innovation import Innovations

__all__ = ["FloatGene", "Genome", "GenomeConfig", "Innovations", "NeatConfig", "crossover",
           "distance", "new_genome", "read_config"]
