"""Networks of named neurons with arbitrary, also recurrent, connections.

A :class:`GraphNetwork` is given as a config of the same shape as its JSON
file::

    {"inputs": ["i1", "i2"],
     "outputs": ["Q"],
     "neurons": {"Q": {"bias": 1, "activation": "ReLU", "synapses": {"i1": -1, "Q": 0.5}}}}

A neuron computes ``a = f(bias + sum(weight * value(source)))``; a source is an
input or any neuron, itself included.

Propagation, one step per input row:

* The synapses are split once, when the graph is built: a depth-first walk of
  the neurons' dependencies, in the order the neurons are defined, marks every
  synapse whose source is still being resolved (the walk is inside it) as one
  that *closes a cycle*; self-connections always do. Every other synapse is
  *feed-forward*.
* Feed-forward synapses read the source's value of the current step: neurons
  are evaluated in dependency order, so a chain of neurons defined in any
  order settles within one step.
* A synapse that closes a cycle reads the source's value of the previous step
  (0 before the first). That is the network's state; it carries over between
  calls, so a flip-flop keeps its bit.

The graph is compiled into levels (longest feed-forward path from the inputs,
see :mod:`gone.graph.plan`); a level is a sparse gather of its synapses'
sources (or, when that is cheaper, one small matmul), so a step costs
O(batch x synapses) and the compiled graph O(neurons + synapses) memory,
vectorised over a batch of independent sequences.

Learning (:meth:`GraphNetwork.learn`) is gradient descent on
``E = 1/2 sum_outputs (y - target)^2`` (averaged over the batch) for one step,
through the feed-forward synapses of that step; values read through a synapse
that closes a cycle are constants from the previous step (no backprop through
time).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .._base import persistence
from .._base.rng import make_rng
from ..errors import ConfigError, GraphError, InputError, ShapeError
from . import convert as _convert
from .config import json_object, parse, suggest
from .plan import Plan, levels

__all__ = ["GraphNetwork", "json_object", "suggest"]

_MOVED = {"crossover": "(a, b, rng, p=0.5)", "add_connection": "(graph, rng, std=1.0)",
          "remove_connection": "(graph, rng)", "add_neuron": "(graph, rng, activation)"}


class GraphNetwork:
    """Named neurons with arbitrary connections; see the module docstring for the semantics.

    Args:
        inputs: input names.
        outputs: names of the neurons whose values are the outputs.
        neurons: ``{name: {"bias": b, "activation": a, "synapses": {source: w}}}``;
            ``bias`` defaults to 0, ``activation`` to identity; an optional
            ``activation_params`` holds e.g. leaky ReLU's ``alpha``.

    Raises :class:`GraphError` naming the neuron and the field for any mistake.
    """

    def __init__(self, inputs, outputs, neurons):
        self._build({"inputs": inputs, "outputs": outputs, "neurons": neurons})

    @classmethod
    def from_config(cls, config: dict) -> "GraphNetwork":
        """A graph from a config dict of the JSON file's shape."""
        graph = cls.__new__(cls)
        graph._build(config)
        return graph

    @classmethod
    def from_network(cls, net) -> "GraphNetwork":
        """The graph of a layered :class:`~gone.Network`: inputs ``in_1``.., layer k's
        neurons ``hk_1``.., the last layer's ``out_1``.. (1-based)."""
        return cls.from_config(_convert.network_config(net))

    def to_network(self, **kwargs):
        """This graph as a layered :class:`~gone.Network`, if it is layered
        (see :func:`gone.graph.convert.to_network`)."""
        return _convert.to_network(self, **kwargs)

    # --- building ---------------------------------------------------------
    def _build(self, config: dict) -> None:
        p = parse(config)
        self.inputs, self.outputs, self.neuron_names = p.inputs, p.outputs, p.names
        self._index = {name: i for i, name in enumerate(p.names)}
        self._acts, self._act_names, self._sources = p.acts, p.act_names, p.sources
        self._params = p.params
        self._offsets = np.concatenate([[0], np.cumsum(p.counts + 1)])
        self._state = None
        level, cyclic = levels(len(p.inputs), p.src, p.counts)
        self._plan = Plan(len(p.inputs), p.acts, p.src, p.counts, level, cyclic)
        self._plan.sync(self._params)
        self._out_cols = np.array([len(p.inputs) + self._index[o] for o in p.outputs])

    def _rebuild(self, config: dict) -> "GraphNetwork":
        """Replace the whole graph by ``config``, keeping the state of neurons that remain."""
        old = dict(zip(self.neuron_names, self._state.T)) if self._state is not None else None
        self._build(config)
        if old is not None:
            batch = len(next(iter(old.values())))
            self._state = np.stack([old.get(n, np.zeros(batch)) for n in self.neuron_names], 1)
        return self

    def _sync(self) -> None:
        self._plan.sync(self._params)

    # --- facts ------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        return len(self.outputs)

    @property
    def n_neurons(self) -> int:
        return len(self.neuron_names)

    @property
    def n_params(self) -> int:
        return self._params.size

    def neuron(self, name: str) -> dict:
        """One neuron's config ``{"bias", "activation", ["activation_params"], "synapses"}``."""
        i = self._index.get(name)
        if i is None:
            raise GraphError(f"no neuron {name!r}{suggest(name, self.neuron_names)}")
        p = self._params[self._offsets[i]:self._offsets[i + 1]].tolist()
        out = {"bias": p[0], "activation": self._act_names[i]}
        if self._acts[i].params:
            out["activation_params"] = dict(self._acts[i].params)
        out["synapses"] = dict(zip(self._sources[i], p[1:]))
        return out

    def activation(self, name: str):
        """The :class:`~gone.Activation` of neuron ``name``."""
        if name not in self._index:
            raise GraphError(f"no neuron {name!r}{suggest(name, self.neuron_names)}")
        return self._acts[self._index[name]]

    def dense_levels(self):
        """The compiled step as dense pieces, level by level: ``(nodes, W, b, groups)``
        with node columns (inputs first, then neurons in definition order), ``W`` of shape
        ``(k, n_inputs + n_neurons)``, biases ``(k,)`` and ``(activation, start, stop)``
        groups. For exporting the graph (``gone.to_onnx``); a step never needs it."""
        self._sync()
        return self._plan.dense_levels(self.n_inputs + self.n_neurons)

    @property
    def output_columns(self) -> np.ndarray:
        """Node columns of the outputs ``(n_outputs,)``."""
        return self._out_cols.copy()

    def neuron_levels(self) -> dict:
        """``{neuron: level}``: the longest feed-forward path from the inputs
        (0 for a neuron that reads only inputs and previous-step values)."""
        return dict(zip(self.neuron_names, self._plan.level.tolist()))

    def to_config(self) -> dict:
        """The config dict (the JSON file's content), keys in definition order."""
        return {"inputs": list(self.inputs), "outputs": list(self.outputs),
                "neurons": {name: self.neuron(name) for name in self.neuron_names}}

    def cycle_closing(self) -> list[tuple[str, str]]:
        """``(neuron, source)`` of every synapse that reads the previous step's value."""
        flags = iter(self._plan.cyclic.tolist())  # one per synapse, in definition order
        return [(n, s) for n, srcs in zip(self.neuron_names, self._sources)
                for s in srcs if next(flags)]

    # --- state --------------------------------------------------------------
    @property
    def state(self) -> np.ndarray:
        """The neurons' last values ``(batch, n_neurons)`` (a copy; zeros before the first step)."""
        return np.zeros((1, self.n_neurons)) if self._state is None else self._state.copy()

    @state.setter
    def state(self, value) -> None:
        value = np.array(value, dtype=np.float64)
        if value.ndim != 2 or value.shape[1] != self.n_neurons:
            raise ShapeError(f"state must have shape (batch, {self.n_neurons}), got {value.shape}")
        self._state = value

    def reset_state(self) -> None:
        """Forget the state: the next step starts from zeros, for any batch size."""
        self._state = None

    # --- propagation ----------------------------------------------------------
    def _rows(self, x, n: int, what: str) -> tuple[np.ndarray, bool]:
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{what} must be numbers: {exc}") from None
        if x.ndim == 1 and x.shape[0] == n:
            return x[None, :], True
        if x.ndim == 2 and x.shape[1] == n:
            return x, False
        raise ShapeError(f"{what} must have shape ({n},) or (batch, {n}), got {x.shape}")

    def _start(self, batch: int, state) -> np.ndarray:
        state = self._state if state is None else np.asarray(state, dtype=np.float64)
        if state is None:
            return np.zeros((batch, self.n_neurons))
        if state.shape != (batch, self.n_neurons):
            raise ShapeError(f"state has shape {state.shape} but the input is a batch of {batch} "
                             f"for {self.n_neurons} neurons; call reset_state() to start over")
        return state

    def _forward(self, x: np.ndarray, state: np.ndarray, keep: bool = False):
        v = np.concatenate([x, state], axis=1)
        return v, self._plan.forward(v, keep)

    def step(self, x, state=None) -> tuple[np.ndarray, np.ndarray]:
        """One step without touching the stored state: ``(outputs, new_state)``.

        ``x`` is ``(n_inputs,)`` or ``(batch, n_inputs)``; ``state``
        ``(batch, n_neurons)`` defaults to the stored one (zeros if none).
        Outputs are ``(n_outputs,)`` or ``(batch, n_outputs)`` like ``x``.
        """
        x, single = self._rows(x, self.n_inputs, "input")
        v, _ = self._forward(x, self._start(len(x), state))
        out = v[:, self._out_cols]
        return (out[0] if single else out), v[:, self.n_inputs:]

    def propagate(self, x) -> np.ndarray:
        """One step from the stored state, which it then updates; shapes as :meth:`step`."""
        out, self._state = self.step(x)
        return out

    __call__ = propagate

    # --- learning -----------------------------------------------------------------
    def _error_and_grad(self, x, target, state):
        x, single = self._rows(x, self.n_inputs, "input")
        t, _ = self._rows(target, self.n_outputs, "target")
        if len(t) != len(x):
            raise ShapeError(f"{len(x)} input rows but {len(t)} target rows")
        v, caches = self._forward(x, self._start(len(x), state), keep=True)
        y = v[:, self._out_cols]
        diff = y - t
        error = 0.5 * float(np.sum(diff * diff)) / len(x)
        dv = np.zeros_like(v)
        dv[:, self._out_cols] = diff / len(x)
        grad = np.zeros_like(self._params)
        self._plan.backward(dv, caches, grad)
        return error, grad, (y[0] if single else y), v[:, self.n_inputs:]

    def gradients(self, x, target, state=None) -> tuple[float, np.ndarray]:
        """The step's error ``E`` and ``dE/dgenome`` ``(n_params,)``; the state is untouched."""
        error, grad, _, _ = self._error_and_grad(x, target, state)
        return error, grad

    def learn(self, x, target, learning_rate: float = 0.1) -> tuple[np.ndarray, float]:
        """One step of gradient descent on this step's error; returns ``(outputs, error)``.

        The outputs and error are those before the update; the stored state
        advances as in :meth:`propagate`.
        """
        if not (isinstance(learning_rate, Real) and 0 < learning_rate < math.inf):
            raise ConfigError(f"learning_rate must be a positive number, got {learning_rate!r}")
        error, grad, out, state = self._error_and_grad(x, target, None)
        self._params -= learning_rate * grad
        self._sync()
        self._state = state
        return out, error

    # --- genome ------------------------------------------------------------------
    def gene_names(self) -> list[tuple[str, str | None]]:
        """``(neuron, source)`` per genome entry; ``source`` is None for the bias."""
        return [(n, s) for n, srcs in zip(self.neuron_names, self._sources) for s in [None, *srcs]]

    def genome(self) -> np.ndarray:
        """Biases and weights as a vector ``(n_params,)`` (a copy), neuron by neuron."""
        return self._params.copy()

    def set_genome(self, vector) -> "GraphNetwork":
        """Overwrite biases and weights from ``vector (n_params,)``; returns self."""
        vector = np.asarray(vector, dtype=np.float64)
        if vector.shape != self._params.shape:
            raise ShapeError(f"genome must have shape {self._params.shape}, got {vector.shape}")
        self._params[...] = vector
        self._sync()
        return self

    def copy(self) -> "GraphNetwork":
        """An independent copy, state included."""
        twin = GraphNetwork.from_config(self.to_config())
        twin._state = None if self._state is None else self._state.copy()
        return twin

    def mutate(self, mutator, rng) -> "GraphNetwork":
        """Mutate biases and weights in place with ``mutator(genome, rng)``
        (e.g. :class:`~gone.GaussianMutation`); returns self. Topology edits
        are functions over a graph: :mod:`gone.graph.evolution`."""
        return self.set_genome(mutator(self.genome(), make_rng(rng)))

    # --- files (the format layer registers the writer) ------------------------------
    def save(self, path) -> None:
        """Write ``.json`` or ``.gone`` (by extension) atomically (:func:`gone.save_graph`)."""
        persistence.save(self, path)

    def __getattr__(self, name: str):
        # The topology edits were methods once; say where they went.
        if name in _MOVED:
            raise AttributeError(f"GraphNetwork.{name} is now the function "
                                 f"gone.graph.{name}{_MOVED[name]}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return (f"GraphNetwork(inputs={list(self.inputs)}, outputs={list(self.outputs)}, "
                f"neurons={self.n_neurons}, synapses={self.n_params - self.n_neurons})")
