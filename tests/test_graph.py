"""Graph networks: propagation semantics, learning, conversions, evolution, files, validation."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gone
from gone.format import graph as graph_io
from gone.graph.evolution import TopologyMutation, add_connection, add_neuron, crossover, remove_connection
from gone.graph.network import GraphError, GraphNetwork
from gone.nn.gradcheck import numeric_grad, rel_error

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "graph"
GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def gates(x):
    a, b = x[..., 0], x[..., 1]
    return np.stack([a & b, a | b, 1 - (a | b)], axis=-1)


def flip_flop():
    return graph_io.load(EXAMPLES / "flip-flop.json")


# --- propagation --------------------------------------------------------------

def test_flip_flop_switches_and_holds():
    ff = flip_flop()  # inputs (reset, set), outputs (Q, notQ)
    assert ff.propagate([0, 1]).tolist() == [1, 0]          # set
    for _ in range(3):
        assert ff.propagate([0, 0]).tolist() == [1, 0]      # holds the 1
    ff.propagate([1, 0])                                     # reset
    for _ in range(3):
        assert ff.propagate([0, 0]).tolist() == [0, 1]      # holds the 0
    assert ff.propagate([0, 1]).tolist() == [1, 0]


def test_flip_flop_cycle_is_closed_by_exactly_one_synapse():
    assert flip_flop().cycle_closing() == [("notQ", "Q")]


def test_batch_of_sequences_equals_each_sequence_alone(rng):
    seqs = rng.integers(0, 2, size=(5, 12, 2)).astype(float)  # (batch, time, inputs)
    batch = flip_flop()
    together = np.stack([batch.propagate(seqs[:, t]) for t in range(12)], axis=1)
    for b in range(5):
        alone = flip_flop()
        np.testing.assert_array_equal(together[b], [alone.propagate(x) for x in seqs[b]])


def test_feed_forward_chain_settles_in_one_step_whatever_the_definition_order():
    g = GraphNetwork(["x"], ["c"], {
        "c": {"activation": "linear", "synapses": {"b": 2.0}},
        "b": {"activation": "linear", "synapses": {"a": 3.0}},
        "a": {"bias": 1.0, "synapses": {"x": 1.0}},
    })
    assert g.propagate([1.0]).tolist() == [12.0]
    assert g.cycle_closing() == []


def test_self_connection_reads_the_previous_step():
    acc = GraphNetwork(["x"], ["sum"], {"sum": {"activation": "Identity", "synapses":
                                                {"x": 1.0, "sum": 1.0}}})
    assert [acc.propagate([v])[0] for v in (1, 2, 3)] == [1, 3, 6]
    acc.reset_state()
    assert acc.propagate([5])[0] == 5


def test_step_is_pure_and_state_shapes_are_checked():
    ff = flip_flop()
    out, state = ff.step([0, 1])
    assert out.tolist() == [1, 0] and state.shape == (1, 2)
    assert ff.state.tolist() == [[0, 0]]  # untouched
    ff.propagate(np.zeros((3, 2)))
    with pytest.raises(gone.ShapeError, match="reset_state"):
        ff.propagate([0, 0])
    with pytest.raises(gone.ShapeError, match=r"\(2,\) or \(batch, 2\)"):
        ff.step([0, 0, 0])


# --- learning ---------------------------------------------------------------------

def test_learning_and_or_nor_from_20000_random_lines(rng):
    g = graph_io.load(EXAMPLES / "gates.json")
    x = rng.integers(0, 2, size=(10_000, 2))  # 10,000 steps = 20,000 stdin lines
    for xi, ti in zip(x, gates(x)):
        g.learn(xi, ti, learning_rate=0.05)
    out, _ = g.step(GATE_INPUTS, np.zeros((4, g.n_neurons)))
    np.testing.assert_array_equal(out > 0.5, gates(GATE_INPUTS) == 1)


def test_learn_returns_outputs_and_error_before_the_update():
    g = GraphNetwork(["x"], ["y"], {"y": {"bias": 0.5, "synapses": {"x": 2.0}}})
    out, error = g.learn([1.0], [3.0], learning_rate=0.1)
    assert out.tolist() == [2.5] and error == pytest.approx(0.125)
    # dE/db = y - t = -0.5, dE/dw = (y - t) x = -0.5
    assert g.neuron("y") == {"bias": 0.55, "activation": "identity", "synapses": {"x": 2.05}}


def random_graph(rng, n_neurons=6, recurrent=False):
    acts = ["tanh", "sigmoid", "softsign", "identity", "swish", "elu"]
    inputs = ["x1", "x2", "x3"]
    neurons = {}
    for i in range(n_neurons):
        earlier = inputs + [f"n{j}" for j in range(i)]
        later = [f"n{j}" for j in range(i, n_neurons)] if recurrent else []
        sources = [s for s in earlier + later if rng.random() < 0.6] or [earlier[-1]]
        neurons[f"n{i}"] = {"bias": float(rng.normal()), "activation": acts[i % len(acts)],
                            "synapses": {s: float(rng.normal()) for s in sources}}
    return GraphNetwork(inputs, [f"n{n_neurons - 1}", f"n{n_neurons - 3}"], neurons)


def graph_grad_error(g, x, t, state):
    _, analytic = g.gradients(x, t, state)
    genome = g.genome()

    def error():
        g.set_genome(genome)
        y, _ = g.step(x, state)
        return 0.5 * float(np.sum((y - t) ** 2)) / len(x)

    return rel_error(analytic, numeric_grad(error, genome))


@pytest.mark.parametrize("recurrent", [False, True])
def test_gradient_matches_finite_differences(rng, recurrent):
    g = random_graph(rng, recurrent=recurrent)
    x, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    state = rng.normal(size=(4, g.n_neurons))  # recurrent synapses read it as constants
    assert graph_grad_error(g, x, t, state) < 1e-6


def test_gradient_check_catches_a_wrong_derivative(rng):
    wrong = gone.Activation("tanh", np.tanh, lambda z, a: np.ones_like(z))
    g = random_graph(rng)
    config = g.to_config()
    for spec in config["neurons"].values():
        spec["activation"] = wrong
    g = GraphNetwork.from_config(config)
    x, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert graph_grad_error(g, x, t, np.zeros((4, g.n_neurons))) > 1e-2


# --- conversions ---------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       acts=st.lists(st.sampled_from(["sigmoid", "relu", "tanh", "identity", "leaky_relu"]),
                     min_size=3, max_size=3),
       seed=st.integers(0, 2**16))
def test_exported_graph_propagates_like_network_predict(sizes, acts, seed):
    layers = [gone.Dense(n, acts[i % 3]) for i, n in enumerate(sizes[1:])]
    net = gone.Network([sizes[0], *layers], seed=seed)
    x = np.random.default_rng(seed).normal(size=(7, sizes[0]))
    graph = GraphNetwork.from_network(net)
    np.testing.assert_allclose(graph.propagate(x), net.predict(x), rtol=1e-12, atol=1e-12)
    back = graph.to_network()
    np.testing.assert_allclose(back.predict(x), net.predict(x), rtol=1e-12, atol=1e-12)


def test_exported_names():
    graph = GraphNetwork.from_network(gone.Network([2, gone.Dense(3, "tanh"), 1], seed=0))
    assert graph.inputs == ("in_1", "in_2") and graph.outputs == ("out_1",)
    assert graph.neuron_names == ("h1_1", "h1_2", "h1_3", "out_1")
    assert list(graph.neuron("out_1")["synapses"]) == ["h1_1", "h1_2", "h1_3"]


@pytest.mark.parametrize("config, message", [
    ({"inputs": ["x"], "outputs": ["b"], "neurons": {
        "a": {"synapses": {"x": 1}}, "b": {"synapses": {"a": 1, "x": 1}}}},
     "neuron 'b' .* synapse from 'x'"),
    ({"inputs": ["x"], "outputs": ["a"], "neurons": {"a": {"synapses": {"x": 1, "a": 1}}}},
     "neuron 'a' has a recurrent synapse"),
    ({"inputs": ["x"], "outputs": ["b"], "neurons": {
        "a": {"synapses": {"x": 1}}, "b": {"synapses": {"x": 1}}}},
     "neuron 'a' is in layer 1"),
])
def test_only_layered_graphs_become_networks(config, message):
    with pytest.raises(GraphError, match=f"not layered: {message}"):
        GraphNetwork.from_config(config).to_network()


# --- evolution ----------------------------------------------------------------------------

def test_mutation_at_rate_zero_is_identity_and_seeded(rng):
    g = random_graph(rng)
    before = g.genome()
    g.mutate(gone.GaussianMutation(rate=0.0), 1)
    np.testing.assert_array_equal(g.genome(), before)
    a = g.copy().mutate(gone.GaussianMutation(rate=0.5, std=1.0), 7).genome()
    b = g.copy().mutate(gone.GaussianMutation(rate=0.5, std=1.0), 7).genome()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, before)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_crossover_genes_come_from_a_parent_matched_by_name(seed):
    rng = np.random.default_rng(seed)
    a = random_graph(rng)
    b = add_connection(a.copy(), rng).mutate(gone.GaussianMutation(rate=1.0, std=1.0), rng)
    remove_connection(b, rng)
    child = crossover(a, b, rng)
    theirs = dict(zip(b.gene_names(), b.genome()))
    assert child.gene_names() == a.gene_names()
    for gene, value, mine in zip(child.gene_names(), child.genome(), a.genome()):
        assert value == mine or value == theirs.get(gene)


def test_topology_edits(rng):
    g = flip_flop()
    n = g.n_params
    add_connection(g, rng)
    assert g.n_params == n + 1
    remove_connection(g, rng)
    assert g.n_params == n
    full = flip_flop()
    for _ in range(10):
        add_connection(full, rng)
    assert full.n_params == 2 * (1 + 4)
    add_connection(full, rng)  # nothing left to add
    assert full.n_params == 10


def test_add_neuron_keeps_a_feed_forward_function(rng):
    g = random_graph(rng)
    x = rng.normal(size=(5, 3))
    before, _ = g.step(x, np.zeros((5, g.n_neurons)))
    add_neuron(g, rng)
    assert g.n_neurons == 7 and "n6" in g.neuron_names
    after, _ = g.step(x, np.zeros((5, g.n_neurons)))
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_topology_mutation_is_seeded(rng):
    base = random_graph(rng)
    op = TopologyMutation(add_connection=0.5, remove_connection=0.5, add_neuron=0.5)
    a, b = base.copy(), base.copy()
    for seed in range(10):
        op(a, seed)
        op(b, seed)
    assert a.to_config() == b.to_config() != base.to_config()


def test_copies_are_independent():
    a = flip_flop()
    b = a.copy()
    b.mutate(gone.GaussianMutation(rate=1.0), 0)
    b.propagate([0, 1])
    assert a.to_config() == flip_flop().to_config() and a.state.tolist() == [[0, 0]]


# --- files -------------------------------------------------------------------------------

def test_json_round_trip_is_stable(tmp_path):
    g = random_graph(np.random.default_rng(3), recurrent=True)
    g.save(tmp_path / "a.json")
    text = (tmp_path / "a.json").read_text()
    assert list(json.loads(text)) == ["inputs", "outputs", "neurons"]
    graph_io.load(tmp_path / "a.json").save(tmp_path / "b.json")
    assert (tmp_path / "b.json").read_text() == text


def test_gone_round_trip_keeps_config_and_state(tmp_path):
    ff = flip_flop()
    ff.propagate([0, 1])
    ff.save(tmp_path / "ff.gone")
    back = graph_io.load(tmp_path / "ff.gone")
    assert back.to_config() == ff.to_config()
    assert back.propagate([0, 0]).tolist() == [1, 0]  # the bit survived the file


def test_layered_gone_file_loads_as_its_graph(tmp_path):
    net = gone.Network([2, gone.Dense(3, "relu"), 1], seed=0)
    net.save(tmp_path / "net.gone")
    x = np.array([[0.5, -1.0]])
    np.testing.assert_allclose(graph_io.load(tmp_path / "net.gone").propagate(x), net.predict(x))


def test_truncated_gone_file_is_refused(tmp_path):
    flip_flop().save(tmp_path / "ff.gone")
    data = (tmp_path / "ff.gone").read_bytes()
    (tmp_path / "ff.gone").write_bytes(data[:-3])
    with pytest.raises(gone.GoneFormatError, match="truncated"):
        graph_io.load(tmp_path / "ff.gone")


# --- validation ------------------------------------------------------------------------------

def config(**neurons):
    return {"inputs": ["in1", "in2"], "outputs": ["out"],
            "neurons": {"out": {"bias": 0, "activation": "relu", "synapses": {"in1": 1}},
                        **neurons}}


@pytest.mark.parametrize("change, message", [
    (lambda c: c["neurons"]["out"]["synapses"].update(inp1=1),
     "neuron 'out': synapses: unknown source 'inp1'; did you mean 'in1'?"),
    (lambda c: c.update(outputs=["ot"]), "outputs: 'ot' is not a neuron; did you mean 'out'?"),
    (lambda c: c.update(outputs=["in1"]), "outputs: 'in1' is not a neuron (an input cannot"),
    (lambda c: c.update(inputs=["in1", "in1"]), "inputs: duplicate name 'in1'"),
    (lambda c: c["neurons"].update(in2={}), "neuron 'in2': duplicate name, 'in2' is also an input"),
    (lambda c: c["neurons"]["out"]["synapses"].update(in2="0.5"),
     "neuron 'out': synapses.in2 must be a number, got '0.5'"),
    (lambda c: c["neurons"]["out"].update(bias=True), "neuron 'out': bias must be a number"),
    (lambda c: c["neurons"]["out"].update(bias=float("nan")), "bias must be a finite number"),
    (lambda c: c["neurons"]["out"].update(activation="relux"),
     "neuron 'out': activation: unknown activation 'relux'; did you mean 'relu'? (known: "),
    (lambda c: c["neurons"]["out"].update(synapse={}),
     "neuron 'out': unknown field 'synapse'; did you mean 'synapses'?"),
    (lambda c: c["neurons"]["out"].update(activation="softmax"), "mixes neurons"),
    (lambda c: c.pop("outputs"), "no 'outputs'"),
])
def test_validation_names_the_neuron_and_field(change, message):
    c = config()
    change(c)
    with pytest.raises(GraphError, match=_literal(message)):
        GraphNetwork.from_config(c)


def _literal(text):
    return re.escape(text)


def test_graph_error_is_a_gone_error_and_value_error():
    assert issubclass(GraphError, gone.GoneError) and issubclass(GraphError, ValueError)


@pytest.mark.parametrize("text, message", [
    ('{"inputs": ["a"], "outputs": ["n"], "neurons": {"n": {}, "n": {}}}',
     "duplicate neuron name 'n'"),
    ('{"inputs": ["a"], "outputs": ["n"], "neurons": {"n": {"synapses": {"a": 1, "a": 2}}}}',
     "neuron 'n': synapses: duplicate source 'a'"),
    ('{"inputs": ["a"], "outputs": ["n"], "neurons": {"n": {"synapses": {"a": NaN}}}}',
     "neuron 'n': synapses.a must be a finite number"),
    ('{"inputs": ["a"], "outputs": ', "cfg.json: not valid JSON: line 1"),
])
def test_json_validation(tmp_path, text, message):
    (tmp_path / "cfg.json").write_text(text)
    with pytest.raises(GraphError, match=_literal(message)):
        graph_io.load(tmp_path / "cfg.json")


def test_activation_names_are_case_insensitive_with_aliases():
    for name, canonical in [("SoftStep", "sigmoid"), ("Sigmoid", "sigmoid"), ("Linear", "identity"),
                            ("Identity", "identity"), ("Binary", "binary_step"), ("ReLU", "relu")]:
        g = GraphNetwork(["x"], ["y"], {"y": {"activation": name, "synapses": {"x": 1}}})
        assert g._acts[0].name == canonical and g.neuron("y")["activation"] == name
