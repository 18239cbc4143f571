"""Neuroevolution: genomes and variation operators (populations and strategies come later)."""

from .genome import assign, layer_bounds, to_vector
from .operators import GaussianMutation, layer_crossover, uniform_crossover

__all__ = ["GaussianMutation", "assign", "layer_bounds", "layer_crossover", "to_vector",
           "uniform_crossover"]
