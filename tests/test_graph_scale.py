"""The sparse graph compile: same answers as a neuron-by-neuron reference, memory O(synapses)."""

import json
import os
import resource
import subprocess
import sys

import numpy as np
import pytest

from gone.graph import GraphNetwork, plan
from gone.nn.gradcheck import numeric_grad, rel_error


def sparse_graph(rng, n=40, n_inputs=4, p=0.08):
    """Random synapses (some neurons have none, some are recurrent), mixed activations."""
    acts = ["tanh", "sigmoid", "identity", "softsign"]
    inputs = [f"x{j}" for j in range(n_inputs)]
    nodes = inputs + [f"n{i}" for i in range(n)]
    neurons = {}
    for i in range(n):
        sources = [s for s in nodes if rng.random() < p] if i % 7 else []  # bias only
        neurons[f"n{i}"] = {"bias": float(rng.normal()), "activation": acts[rng.integers(4)],
                            "synapses": {s: float(rng.normal()) for s in sources}}
    return GraphNetwork(inputs, [f"n{n - 1}", f"n{n // 2}", f"n{n // 3}"], neurons)


def reference_step(g, x, state):
    """One step neuron by neuron, in level order, from the graph's own config."""
    cyclic = set(g.cycle_closing())
    level = g.neuron_levels()
    now = dict(zip(g.inputs, x))
    before = dict(zip(g.neuron_names, state))
    for name in sorted(g.neuron_names, key=level.get):
        spec = g.neuron(name)
        z = spec["bias"] + sum(w * (before[s] if (name, s) in cyclic else now[s])
                               for s, w in spec["synapses"].items())
        now[name] = float(g.activation(name).fn(np.array([z]))[0])
    return [now[o] for o in g.outputs], [now[n] for n in g.neuron_names]


@pytest.fixture(params=["sparse", "dense", "mixed"])
def layout(request, monkeypatch):
    """Every level a sparse gather, every level a dense matmul, or the default choice."""
    ratio = {"sparse": 0, "dense": 10 ** 9, "mixed": plan.DENSE_RATIO}[request.param]
    monkeypatch.setattr(plan, "DENSE_RATIO", ratio)
    return request.param


@pytest.mark.parametrize("seed", range(5))
def test_levels_match_a_neuron_by_neuron_reference(seed, layout):
    rng = np.random.default_rng(seed)
    g = sparse_graph(rng)
    levels = g._plan.levels
    assert levels and not all(L.full for L in levels)  # some neurons have no synapse
    dense = [L.W is not None for L in levels if L.shi > L.slo]
    assert all(dense) if layout == "dense" else not any(dense) if layout == "sparse" else True
    assert g.cycle_closing()  # recurrent synapses are exercised
    xs = rng.normal(size=(6, 3, g.n_inputs))  # (time, batch, inputs)
    states = [np.zeros(g.n_neurons) for _ in range(3)]
    for x in xs:
        out = g.propagate(x)
        for b in range(3):
            want, states[b] = reference_step(g, x[b], states[b])
            np.testing.assert_allclose(out[b], want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_gradient_matches_finite_differences(seed, layout):
    rng = np.random.default_rng(seed)
    g = sparse_graph(rng, n=25, p=0.15)
    x, t = rng.normal(size=(5, g.n_inputs)), rng.normal(size=(5, g.n_outputs))
    state = rng.normal(size=(5, g.n_neurons))
    _, analytic = g.gradients(x, t, state)
    genome = g.genome()

    def error():
        g.set_genome(genome)
        y, _ = g.step(x, state)
        return 0.5 * float(np.sum((y - t) ** 2)) / len(x)

    assert rel_error(analytic, numeric_grad(error, genome)) < 1e-6


_CHAIN = r"""
import sys, numpy as np
from gone.graph import GraphNetwork, plan
n = int(sys.argv[1])
neurons = {f"n{i}": {"activation": "identity", "synapses": {("x" if i == 0 else f"n{i-1}"): 1.0}}
           for i in range(n)}
neurons["n0"]["bias"] = 1.0
g = GraphNetwork(["x"], [f"n{n - 1}"], neurons)
out, err = g.learn([0.5], [1.5], 0.5)  # no error: the weights stay
print(out[0], len(g._plan.levels))
"""


def _cap():
    cap = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def test_a_30000_neuron_chain_compiles_and_learns_within_1_gb():
    # Before the sparse compile, each of the 30,000 levels held a dense
    # (1, 30,001) matrix: 7.2 GB. Now the plan is a few arrays of 30,000.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", _CHAIN, "30000"], capture_output=True,
                          text=True, env=env, preexec_fn=_cap, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    value, depth = proc.stdout.split()
    assert float(value) == 1.5 and int(depth) == 30000


def test_large_graph_config_round_trips_through_json(tmp_path):
    rng = np.random.default_rng(3)
    g = sparse_graph(rng, n=300, p=0.01)
    g.save(tmp_path / "g.json")
    assert json.loads((tmp_path / "g.json").read_text()) == g.to_config()
