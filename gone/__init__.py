"""gone: small neural networks that learn by backprop, by neuroevolution, or both.

    >>> import gone
    >>> net = gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0)
    >>> net.predict([1.0, 0.0]).shape
    (1,)
"""

from .nn import activations, callbacks, gradcheck, initializers, losses, optimizers
from . import datasets
from ._version import __version__
from .nn.activations import Activation
from .nn.activations import register as register_activation
from .nn.callbacks import Callback, EarlyStopping, History, LearningRateScheduler
from .errors import (ConfigError, DatasetError, DependencyMissing, DivergenceError, GoneError,
                     GoneFormatError, GraphError, InputError, PerformanceWarning, ShapeError)
from .nn.layers.base import Layer, register_layer
from .nn.layers.conv import Conv2D
from .nn.layers.pool import Flatten, MaxPool2D
from .format.population import load_population
from .evolution import (ES, GA, Baldwinian, EvolutionCallback, GaussianMutation, Lamarckian,
                        Population, StackedNetworks, vectorized)
from .format import graph as graph_io
from .graph.network import GraphNetwork
from .graph.evolution import TopologyMutation
from .format.graph import load as load_graph
from .format.graph import save as save_graph
from .format.network import load, save
from .nn.layers.dense import Dense
from .nn.losses import Loss
from .nn.losses import register as register_loss
from .nn.network import Network
from .nn.optimizers import GD, MBGD, SGD, Adam, Momentum, Nesterov, Optimizer, RMSprop
from ._base.rng import make_rng
from . import neat  # also registers neat-python's activations (neat_sin, ...) for graph files

__all__ = [
    "Baldwinian", "ES", "EvolutionCallback", "GA", "Lamarckian", "Population", "StackedNetworks",
    "load_population", "vectorized", "GraphError", "GraphNetwork", "TopologyMutation", "graph_io",
    "load_graph", "save_graph",
    "Activation", "Adam", "Callback", "ConfigError", "Conv2D", "DatasetError", "Dense",
    "Flatten", "Layer", "MaxPool2D", "DependencyMissing", "register_layer",
    "DivergenceError", "EarlyStopping", "GD", "GaussianMutation", "GoneError",
    "GoneFormatError", "History", "InputError", "LearningRateScheduler", "Loss", "MBGD",
    "Momentum", "Nesterov", "Network", "Optimizer", "PerformanceWarning", "RMSprop", "SGD", "ShapeError",
    "__version__", "activations", "callbacks", "datasets", "gradcheck", "initializers", "load", "losses",
    "make_rng", "neat", "optimizers", "register_activation", "register_loss", "save",
]
