"""Neuroevolution: genomes, operators, selection, strategies, populations and evaluation."""

from ..nn.genome import assign, layer_bounds, to_vector
from ..nn.operators import GaussianMutation, layer_crossover, uniform_crossover
from .es import ES, ESState
from .fitness import vectorized
from .ga import GA, GAState
from .hall_of_fame import HallOfFame
from .hybrid import Baldwinian, Lamarckian
from .population import Population
from .reporters import (
                        Checkpointer,
                        EvolutionCallback,
                        FitnessPlot,
                        HistoryWriter,
                        ProgressReporter,
                        plot_history,
)
from .run import EvolutionResult
from .stacked import StackedNetworks, predict_population
from .strategy import STRATEGIES, State, Strategy, get_strategy

__all__ = ["Baldwinian", "Checkpointer", "ES", "ESState", "EvolutionCallback", "EvolutionResult",
           "FitnessPlot", "GA", "GAState", "GaussianMutation", "HallOfFame", "HistoryWriter",
           "Lamarckian", "Population", "ProgressReporter", "STRATEGIES", "StackedNetworks",
           "State", "Strategy", "assign", "get_strategy", "layer_bounds",
           "layer_crossover", "plot_history", "predict_population", "to_vector",
           "uniform_crossover", "vectorized"]
