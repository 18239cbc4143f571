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

The graph is compiled into levels (longest feed-forward path from the inputs);
a level is one dense weight matrix over all node values, so a step is one
matmul per level, vectorised over a batch of independent sequences.

Learning (:meth:`GraphNetwork.learn`) is gradient descent on
``E = 1/2 sum_outputs (y - target)^2`` (averaged over the batch) for one step,
through the feed-forward synapses of that step; values read through a synapse
that closes a cycle are constants from the previous step (no backprop through
time).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from ..nn import activations as _act
from ..errors import ConfigError, GraphError, InputError, ShapeError


_TOP_KEYS = ("inputs", "outputs", "neurons")
_NEURON_KEYS = ("bias", "activation", "activation_params", "synapses")


class _Object(dict):
    """A JSON object that remembers keys given more than once (json keeps the last)."""

    duplicates: tuple = ()


def json_object(pairs) -> dict:
    """``object_pairs_hook`` for :func:`json.loads` that records duplicate keys."""
    out = _Object(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        out.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return out


def suggest(name, choices) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise GraphError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise GraphError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _name_list(value, field: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise GraphError(f"{field} must be a list of names, got {value!r}")
    names: list[str] = []
    for name in value:
        if not isinstance(name, str) or not name:
            raise GraphError(f"{field}: every name must be a non-empty string, got {name!r}")
        if name in names:
            raise GraphError(f"{field}: duplicate name {name!r}")
        names.append(name)
    if not names:
        raise GraphError(f"{field} must name at least one neuron")
    return names


def _check_keys(obj, allowed, where: str) -> None:
    if not isinstance(obj, dict):
        raise GraphError(f"{where} must be an object, got {obj!r}")
    for key in obj:
        if key not in allowed:
            raise GraphError(f"{where}: unknown field {key!r}{suggest(key, allowed)} "
                             f"(fields: {', '.join(allowed)})")


def _activation(spec, params, where: str) -> _act.Activation:
    if isinstance(spec, _act.Activation):
        act = spec
    elif not isinstance(spec, str):
        raise GraphError(f"{where}: activation must be a name, got {spec!r}")
    else:
        _check_keys(params, tuple(params), f"{where}: activation_params")
        params = {k: _number(v, f"{where}: activation_params.{k}") for k, v in params.items()}
        try:
            act = _act.get(spec, **params)
        except ConfigError as exc:
            known = _act.names()
            if _act.canonical_name(spec) in known:  # a known name with bad parameters
                raise GraphError(f"{where}: activation: {exc}") from None
            hint = suggest(_act.canonical_name(spec), known + ["softstep", "linear", "binary"])
            raise GraphError(f"{where}: activation: unknown activation {spec!r}{hint} "
                             f"(known: {', '.join(known)})") from None
    if act.grad is None:
        raise GraphError(f"{where}: activation {act.name!r} mixes neurons and cannot be "
                         "used by a single neuron")
    return act


@dataclass
class _Level:
    """Neurons evaluated together: ``a = f(v @ W.T + b)`` written to ``v[:, nodes]``."""

    nodes: np.ndarray      # (k,) their columns in the node vector
    neurons: np.ndarray    # (k,) neuron indices
    W: np.ndarray          # (k, n_nodes)
    b: np.ndarray          # (k,)
    bias_pos: np.ndarray   # (k,) genome positions of the biases
    pos: np.ndarray        # (s,) genome positions of the synapse weights ...
    rows: np.ndarray       # (s,) ... their rows in W ...
    cols: np.ndarray       # (s,) ... and columns in W
    groups: list           # [(activation, start, stop)] column ranges sharing an activation


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
        _check_keys(config, _TOP_KEYS, "the graph config")
        for key in _TOP_KEYS:
            if key not in config:
                raise GraphError(f"the graph config has no {key!r}")
        return cls(config["inputs"], config["outputs"], config["neurons"])

    # --- building ---------------------------------------------------------
    def _build(self, config: dict) -> None:
        inputs = _name_list(config["inputs"], "inputs")
        neurons = config["neurons"]
        if not isinstance(neurons, dict) or not neurons:
            raise GraphError(f"neurons must be a non-empty object of name: neuron, got {neurons!r}")
        for name in getattr(neurons, "duplicates", ()):
            raise GraphError(f"neurons: duplicate neuron name {name!r}")
        names = list(neurons)
        for name in names:
            if not isinstance(name, str) or not name:
                raise GraphError(f"neurons: every name must be a non-empty string, got {name!r}")
            if name in inputs:
                raise GraphError(f"neuron {name!r}: duplicate name, {name!r} is also an input")
        outputs = _name_list(config["outputs"], "outputs")
        for name in outputs:
            if name not in neurons:
                where = " (an input cannot be an output)" if name in inputs else ""
                raise GraphError(f"outputs: {name!r} is not a neuron{where}{suggest(name, names)}")
        nodes = inputs + names
        acts, act_names, sources, params = [], [], [], []
        for name in names:
            spec = neurons[name]
            where = f"neuron {name!r}"
            _check_keys(spec, _NEURON_KEYS, where)
            act_spec = spec.get("activation", "identity")
            acts.append(_activation(act_spec, spec.get("activation_params", {}), where))
            act_names.append(act_spec.name if isinstance(act_spec, _act.Activation) else act_spec)
            params.append(_number(spec.get("bias", 0.0), f"{where}: bias"))
            synapses = spec.get("synapses", {})
            _check_keys(synapses, tuple(synapses), f"{where}: synapses")
            for source in getattr(synapses, "duplicates", ()):
                raise GraphError(f"{where}: synapses: duplicate source {source!r}")
            for source, weight in synapses.items():
                if source not in nodes:
                    raise GraphError(f"{where}: synapses: unknown source {source!r}"
                                     f"{suggest(source, nodes)}")
                params.append(_number(weight, f"{where}: synapses.{source}"))
            sources.append(list(synapses))
        self.inputs, self.outputs, self.neuron_names = tuple(inputs), tuple(outputs), tuple(names)
        self._acts, self._act_names, self._sources = acts, act_names, sources
        self._params = np.array(params, dtype=np.float64)
        self._offsets = np.cumsum([0] + [1 + len(s) for s in sources])
        self._state = None
        self._compile()

    def _rebuild(self, config: dict) -> "GraphNetwork":
        """Replace the whole graph by ``config``, keeping the state of neurons that remain."""
        old = dict(zip(self.neuron_names, self._state.T)) if self._state is not None else None
        self._build(config)
        if old is not None:
            batch = len(next(iter(old.values())))
            self._state = np.stack([old.get(n, np.zeros(batch)) for n in self.neuron_names], 1)
        return self

    def _compile(self) -> None:
        n_in, n = len(self.inputs), len(self.neuron_names)
        col = {name: i for i, name in enumerate(self.inputs + self.neuron_names)}
        deps = [[col[s] - n_in for s in srcs] for srcs in self._sources]  # < 0: an input
        self._cyclic = [[False] * len(d) for d in deps]
        level = [0] * n
        colour = [0] * n  # 0 unseen, 1 being resolved, 2 done
        for root in range(n):
            if colour[root]:
                continue
            colour[root], stack = 1, [[root, 0]]
            while stack:
                i, k = stack[-1]
                if k == len(deps[i]):
                    stack.pop()
                    colour[i] = 2
                    level[i] = 1 + max((level[j] for j, c in zip(deps[i], self._cyclic[i])
                                        if j >= 0 and not c), default=-1)
                    continue
                stack[-1][1] += 1
                j = deps[i][k]
                if j >= 0 and colour[j] == 1:
                    self._cyclic[i][k] = True
                elif j >= 0 and colour[j] == 0:
                    colour[j] = 1
                    stack.append([j, 0])
        self._levels = [self._level([i for i in range(n) if level[i] == lv], col)
                        for lv in range(max(level) + 1)]
        self._level_of = level
        self._out_cols = np.array([col[o] for o in self.outputs])

    def _level(self, members: list[int], col: dict) -> _Level:
        key = lambda i: (self._acts[i].name, sorted(self._acts[i].params.items()))  # noqa: E731
        order = {}
        for i in members:
            order.setdefault(repr(key(i)), []).append(i)
        members = [i for group in order.values() for i in group]
        groups, start = [], 0
        for group in order.values():
            groups.append((self._acts[group[0]], start, start + len(group)))
            start += len(group)
        n_in = len(self.inputs)
        pos, rows, cols = [], [], []
        for r, i in enumerate(members):
            for k, source in enumerate(self._sources[i]):
                pos.append(self._offsets[i] + 1 + k)
                rows.append(r)
                cols.append(col[source])
        members_a = np.array(members, dtype=np.intp)
        lvl = _Level(members_a + n_in, members_a, np.zeros((len(members), n_in + len(self._acts))),
                     np.zeros(len(members)), self._offsets[members_a].astype(np.intp),
                     np.array(pos, dtype=np.intp), np.array(rows, dtype=np.intp),
                     np.array(cols, dtype=np.intp), groups)
        self._sync_level(lvl)
        return lvl

    def _sync_level(self, lvl: _Level) -> None:
        lvl.W[lvl.rows, lvl.cols] = self._params[lvl.pos]
        lvl.b[:] = self._params[lvl.bias_pos]

    def _sync(self) -> None:
        for lvl in self._levels:
            self._sync_level(lvl)

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
        try:
            i = self.neuron_names.index(name)
        except ValueError:
            raise GraphError(f"no neuron {name!r}{suggest(name, self.neuron_names)}") from None
        p = self._params[self._offsets[i]:self._offsets[i + 1]].tolist()
        out = {"bias": p[0], "activation": self._act_names[i]}
        if self._acts[i].params:
            out["activation_params"] = dict(self._acts[i].params)
        out["synapses"] = dict(zip(self._sources[i], p[1:]))
        return out

    def to_config(self) -> dict:
        """The config dict (the JSON file's content), keys in definition order."""
        return {"inputs": list(self.inputs), "outputs": list(self.outputs),
                "neurons": {name: self.neuron(name) for name in self.neuron_names}}

    def cycle_closing(self) -> list[tuple[str, str]]:
        """``(neuron, source)`` of every synapse that reads the previous step's value."""
        return [(n, s) for n, srcs, flags in zip(self.neuron_names, self._sources, self._cyclic)
                for s, c in zip(srcs, flags) if c]

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
        caches = []
        for lvl in self._levels:
            z = v @ lvl.W.T
            z += lvl.b
            a = np.empty_like(z)
            for act, lo, hi in lvl.groups:
                a[:, lo:hi] = act.fn(z[:, lo:hi])
            if keep:
                caches.append((v.copy(), z, a))
            v[:, lvl.nodes] = a
        return v, caches

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
        for lvl, (v_in, z, a) in zip(reversed(self._levels), reversed(caches)):
            ga = dv[:, lvl.nodes]
            gz = np.empty_like(z)
            for act, lo, hi in lvl.groups:
                gz[:, lo:hi] = act.backward(z[:, lo:hi], a[:, lo:hi], ga[:, lo:hi])
            grad[lvl.pos] = (gz.T @ v_in)[lvl.rows, lvl.cols]
            grad[lvl.bias_pos] = gz.sum(axis=0)
            # Columns of cycle-closing sources belong to this or later levels,
            # whose gradients were already consumed: those sums are never read.
            dv += gz @ lvl.W
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

    # --- genome and evolution (see gone.graph_evolution) -----------------------
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
        (e.g. :class:`~gone.GaussianMutation`); returns self."""
        from .._base.rng import make_rng

        return self.set_genome(mutator(self.genome(), make_rng(rng)))

    def crossover(self, other: "GraphNetwork", rng, p: float = 0.5) -> "GraphNetwork":
        """A child with self's topology; genes both parents have (same neuron and source)
        come from self with probability ``p``, else from ``other``."""
        from .evolution import crossover

        return crossover(self, other, rng, p)

    def add_connection(self, rng, std: float = 1.0) -> "GraphNetwork":
        """Add one random missing synapse with weight ``Normal(0, std)``, in place."""
        from .evolution import add_connection

        return add_connection(self, rng, std)

    def remove_connection(self, rng) -> "GraphNetwork":
        """Remove one random synapse, in place."""
        from .evolution import remove_connection

        return remove_connection(self, rng)

    def add_neuron(self, rng, activation="identity") -> "GraphNetwork":
        """Split a random synapse with a new neuron, in place."""
        from .evolution import add_neuron

        return add_neuron(self, rng, activation)

    # --- conversions and files (see gone.graph_io) ---------------------------------
    @classmethod
    def from_network(cls, net) -> "GraphNetwork":
        """The graph of a layered :class:`~gone.Network`: inputs ``in_1``.., layer k's
        neurons ``hk_1``.., the last layer's ``out_1``.. (1-based)."""
        from ..format.graph import from_network

        return from_network(net)

    def to_network(self, **kwargs):
        """This graph as a layered :class:`~gone.Network`, if it is layered."""
        from ..format.graph import to_network

        return to_network(self, **kwargs)

    def save(self, path) -> None:
        """Write ``.json`` or ``.gone`` (by extension) atomically."""
        from ..format.graph import save

        save(self, path)

    def __repr__(self) -> str:
        return (f"GraphNetwork(inputs={list(self.inputs)}, outputs={list(self.outputs)}, "
                f"neurons={self.n_neurons}, synapses={self.n_params - self.n_neurons})")
