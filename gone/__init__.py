"""gone: small neural networks that learn by backprop, by neuroevolution, or both.

    >>> import gone
    >>> net = gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0)
    >>> net.predict([1.0, 0.0]).shape
    (1,)
"""

from . import activations, callbacks, datasets, gradcheck, initializers, losses, optimizers
from ._version import __version__
from .activations import Activation
from .activations import register as register_activation
from .callbacks import Callback, EarlyStopping, History, LearningRateScheduler
from .errors import (ConfigError, DatasetError, DependencyMissing, DivergenceError, GoneError,
                     GoneFormatError, GraphError, InputError, PerformanceWarning, ShapeError)
from .conv import Conv2D
from .layers_image import Flatten, MaxPool2D
from .checkpoint import load_population
from .evolution import (ES, GA, Baldwinian, EvolutionCallback, GaussianMutation, Lamarckian,
                        Population, StackedNetworks, vectorized)
from . import graph_io
from .graph import GraphNetwork
from .graph_evolution import TopologyMutation
from .graph_io import load as load_graph
from .graph_io import save as save_graph
from .interop import from_onnx, from_torch, to_onnx
from .io import load, save
from .layers import Dense
from .losses import Loss
from .losses import register as register_loss
from .network import Network
from .optimizers import GD, MBGD, SGD, Adam, Momentum, Nesterov, Optimizer, RMSprop
from .rng import make_rng

__all__ = [
    "Baldwinian", "ES", "EvolutionCallback", "GA", "Lamarckian", "Population", "StackedNetworks",
    "load_population", "vectorized", "from_onnx", "from_torch", "to_onnx", "GraphError", "GraphNetwork", "TopologyMutation", "graph_io",
    "load_graph", "save_graph",
    "Activation", "Adam", "Callback", "ConfigError", "Conv2D", "DatasetError", "Dense",
    "Flatten", "MaxPool2D", "DependencyMissing",
    "DivergenceError", "EarlyStopping", "GD", "GaussianMutation", "GoneError",
    "GoneFormatError", "History", "InputError", "LearningRateScheduler", "Loss", "MBGD",
    "Momentum", "Nesterov", "Network", "Optimizer", "PerformanceWarning", "RMSprop", "SGD", "ShapeError",
    "__version__", "activations", "callbacks", "datasets", "gradcheck", "initializers", "load", "losses",
    "make_rng", "optimizers", "register_activation", "register_loss", "save",
]
