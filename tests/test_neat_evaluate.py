"""The tensorised population forward pass equals each genome's compiled GraphNetwork."""

import numpy as np
import pytest

from gone.errors import GraphError
from gone.neat import GenomeConfig, Innovations, mutation, new_genome
from gone.neat.activations import gone_activation, scale
from gone.neat.compile import compile_population, to_graph
from gone.neat.evaluate import step
from gone.neat.genome import ACT_NAMES, AGG_NAMES

ACTS = ("sigmoid", "tanh", "relu", "identity", "gauss", "sin", "abs", "clamped", "hat", "lelu")


def grown(n, config, seed, steps=12):
    """``n`` genomes grown by random structural and attribute mutations."""
    rng = np.random.default_rng(seed)
    inn = Innovations(config.num_outputs + config.num_hidden)
    genomes = [new_genome(i, config, inn, rng) for i in range(n)]
    for _ in range(steps):
        for g in genomes:
            mutation.mutate_structure(g, config, inn, rng)
        mutation.mutate_attributes(genomes, config, rng)
        inn.new_generation()
    return genomes


def _config(feed_forward, aggs=("sum",)):
    return GenomeConfig(num_inputs=3, num_outputs=2, feed_forward=feed_forward,
                        initial_connection="partial_direct", connection_fraction=0.7,
                        node_add_prob=0.5, conn_add_prob=0.7, node_delete_prob=0.1,
                        conn_delete_prob=0.1, activation_options=ACTS, activation_mutate_rate=0.3,
                        aggregation_options=aggs, aggregation_mutate_rate=0.3 if len(aggs) > 1 else 0,
                        enabled_mutate_rate=0.1)


@pytest.mark.parametrize("feed_forward", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tensorised_equals_graph_network_over_steps(feed_forward, seed):
    config = _config(feed_forward)
    genomes = grown(25, config, seed)
    assert max(g.n_nodes for g in genomes) > 4          # the topologies really grew
    t = compile_population(genomes, 3, 2)
    x = np.random.default_rng(seed).normal(size=(4, 5, 3))  # 4 steps, batch 5
    state = None
    graphs = [to_graph(g, 3, 2) for g in genomes]
    if not feed_forward:
        assert any(gr.cycle_closing() for gr in graphs)   # recurrence is exercised
    for xs in x:
        out, state = step(t, xs, state)
        for p, gr in enumerate(graphs):
            np.testing.assert_allclose(out[p], gr.propagate(xs), rtol=1e-10, atol=1e-12)


def _reference(g, x, n_in):
    """neat-python's node rule in topological order, one genome (feed-forward), batch x."""
    vals = {-(i + 1): x[:, i] for i in range(n_in)}
    on = [(int(s), int(d), w) for s, d, w, e in zip(g.src, g.dst, g.weight, g.enabled) if e]
    pending = list(g.nodes.tolist())
    while pending:
        for node in pending:
            ins = [(s, w) for s, d, w in on if d == node]
            if all(s in vals for s, _ in ins):
                break
        i = int(np.searchsorted(g.nodes, node))
        kind = AGG_NAMES[g.agg[i]]
        terms = np.stack([vals[s] * w for s, w in ins], 1) if ins else np.zeros((len(x), 0))
        if not ins:
            agg = np.ones(len(x)) if kind == "product" else np.zeros(len(x))
        else:
            agg = {"sum": lambda t: t.sum(1), "product": lambda t: t.prod(1),
                   "max": lambda t: t.max(1), "min": lambda t: t.min(1),
                   "mean": lambda t: t.mean(1), "median": lambda t: np.median(t, 1),
                   "maxabs": lambda t: t[np.arange(len(t)), np.argmax(np.abs(t), 1)]}[kind](terms)
        name = ACT_NAMES[g.act[i]]
        vals[node] = gone_activation(name).fn(scale(name) * (g.bias[i] + g.response[i] * agg))
        pending.remove(node)
    return np.stack([vals[k] for k in range(2)], 1)


@pytest.mark.parametrize("seed", [0, 1])
def test_tensorised_aggregations_equal_reference(seed):
    config = _config(True, aggs=("sum", "product", "max", "min", "mean", "median", "maxabs"))
    genomes = grown(20, config, seed)
    assert len({int(a) for g in genomes for a in g.agg}) >= 5
    t = compile_population(genomes, 3, 2)
    assert {agg for _, _, agg, _ in t.runs} - {AGG_NAMES.index("sum")}  # non-sum runs exist
    x = np.random.default_rng(seed).normal(size=(6, 3))
    out, _ = step(t, x)
    for p, g in enumerate(genomes):
        np.testing.assert_allclose(out[p], _reference(g, x, 3), rtol=1e-10, atol=1e-12)


def test_graph_refuses_non_sum_aggregation():
    g = grown(1, GenomeConfig(num_inputs=3, num_outputs=2, aggregation_default="product",
                              aggregation_options=("product",)), 0, steps=0)[0]
    with pytest.raises(GraphError, match="product"):
        to_graph(g, 3, 2)


def test_neat_sigmoid_scale_folded_into_graph_weights():
    config = GenomeConfig(num_inputs=2, num_outputs=1, initial_connection="full_direct")
    g = grown(1, config, 0, steps=0)[0]
    graph = to_graph(g, 2, 1)
    spec = graph.neuron("out_1")
    assert spec["activation"] == "sigmoid"
    assert spec["bias"] == pytest.approx(5 * g.bias[0])
    x = np.array([[0.3, -0.7]])
    z = g.bias[0] + g.response[0] * (g.weight @ x[0][[1, 0]] if g.src[0] == -2 else g.weight @ x[0])
    assert graph.propagate(x)[0, 0] == pytest.approx(1 / (1 + np.exp(-5 * z)))


def test_compiled_genome_converts_to_a_layered_network_and_learns():
    """No hidden nodes: the graph is layered, so it becomes a gone.Network; and it trains."""
    config = GenomeConfig(num_inputs=3, num_outputs=2, initial_connection="full_direct",
                          activation_default="tanh", activation_options=("tanh",))
    g = grown(1, config, 5, steps=0)[0]
    graph = to_graph(g, 3, 2)
    net = graph.to_network()
    x = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_allclose(net.predict(x), graph.propagate(x), rtol=1e-12)
    target = np.tanh(x @ np.array([[0.5, -1.0], [1.0, 0.2], [-0.3, 0.7]]))
    first = graph.gradients(x, target)[0]
    for _ in range(200):
        graph.learn(x, target, learning_rate=0.2)
    assert graph.gradients(x, target)[0] < 0.5 * first


def test_champion_with_a_neat_only_activation_loads_after_import_gone(tmp_path):
    import subprocess
    import sys

    config = GenomeConfig(num_inputs=2, num_outputs=1, initial_connection="full_direct",
                          activation_default="hat", activation_options=("hat",))
    graph = to_graph(grown(1, config, 0, steps=0)[0], 2, 1)
    graph.save(tmp_path / "hat.gone")
    code = (f"import gone; g = gone.load_graph({str(tmp_path / 'hat.gone')!r}); "
            "print(g.neuron('out_1')['activation'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "neat_hat", out.stderr
