"""gone: small neural networks that learn by backprop, by neuroevolution, or both.

    >>> import gone
    >>> net = gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0)
    >>> net.predict([1.0, 0.0]).shape
    (1,)

The names below are the public API, grouped as the README's tour presents
them; everything else lives in modules whose names start with an underscore or
in the layered packages (``gone.nn``, ``gone.evolution``, ``gone.graph``,
``gone.neat``, ``gone.format``, ``gone.interop``, ``gone.models``,
``gone.datasets``), importable for the details.
"""

from . import datasets, format, interop, models, neat
from ._base.rng import make_rng
from ._version import __version__
from .errors import (
                     ConfigError,
                     DatasetError,
                     DependencyMissing,
                     DivergenceError,
                     GoneError,
                     GoneFormatError,
                     GraphError,
                     InputError,
                     PerformanceWarning,
                     ShapeError,
                     WriteError,
)
from .evolution import (
                     ES,
                     GA,
                     Baldwinian,
                     EvolutionCallback,
                     GaussianMutation,
                     Lamarckian,
                     Population,
                     StackedNetworks,
                     vectorized,
)
from .format import load, save
from .format.graph import load as load_graph
from .format.graph import save as save_graph
from .format.population import load_population
from .graph import GraphNetwork
from .graph.evolution import TopologyMutation
from .interop import from_onnx, from_torch, to_onnx
from .nn import activations, callbacks, gradcheck, initializers, losses, optimizers
from .nn.activations import Activation
from .nn.activations import register as register_activation
from .nn.callbacks import Callback, EarlyStopping, History, LearningRateScheduler
from .nn.layers.base import Layer, register_layer
from .nn.layers.conv import Conv2D
from .nn.layers.dense import Dense
from .nn.layers.pool import Flatten, MaxPool2D
from .nn.losses import Loss
from .nn.losses import register as register_loss
from .nn.network import Network
from .nn.optimizers import GD, MBGD, SGD, Adam, Momentum, Nesterov, Optimizer, RMSprop

__all__ = [
    # networks and layers
    "Conv2D", "Dense", "Flatten", "Layer", "MaxPool2D", "Network", "register_layer",
    # activations, losses, optimizers, training
    "Activation", "Adam", "Callback", "EarlyStopping", "GD", "History", "LearningRateScheduler",
    "Loss", "MBGD", "Momentum", "Nesterov", "Optimizer", "RMSprop", "SGD",
    "register_activation", "register_loss",
    # evolution
    "Baldwinian", "ES", "EvolutionCallback", "GA", "GaussianMutation", "Lamarckian",
    "Population", "StackedNetworks", "vectorized",
    # graph networks
    "GraphNetwork", "TopologyMutation",
    # files and other tools
    "from_onnx", "from_torch", "load", "load_graph", "load_population", "save", "save_graph",
    "to_onnx",
    # errors and warnings
    "ConfigError", "DatasetError", "DependencyMissing", "DivergenceError", "GoneError",
    "GoneFormatError", "GraphError", "InputError", "PerformanceWarning", "ShapeError",
    "WriteError",
    # modules and helpers
    "__version__", "activations", "callbacks", "datasets", "format", "gradcheck",
    "initializers", "interop", "losses", "make_rng", "models", "neat", "optimizers",
]
