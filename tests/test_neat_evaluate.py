"""The tensorised population forward pass equals each genome's compiled GraphNetwork."""

import numpy as np
import pytest

from gone.errors import GraphError
from gone.neat import GenomeConfig, Innovations, mutation, new_genome
from gone.neat import compile as compile_mod
from gone.neat.activations import gone_activation, scale
from gone.neat.backend import NeatTemplate
from gone.neat.compile import compile_population
from gone.neat.convert import to_graph
from gone.neat.evaluate import GenomeBatch, step
from gone.neat.genome import ACT_NAMES, AGG_NAMES, Genome
from gone.neat.pool import GenePool

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


def _config(feed_forward, aggs=("sum",), acts=ACTS):
    return GenomeConfig(num_inputs=3, num_outputs=2, feed_forward=feed_forward,
                        initial_connection="partial_direct", connection_fraction=0.7,
                        node_add_prob=0.5, conn_add_prob=0.7, node_delete_prob=0.1,
                        conn_delete_prob=0.1, activation_default=acts[0], activation_options=acts,
                        activation_mutate_rate=0.3,
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


# --- the sparse plan: cycles, empty aggregations, inputs per genome, state across subsets ----

def _graphs_run(genomes, xs):
    """Each genome's GraphNetwork stepped through ``xs`` (steps, P, B, n_in): (steps, P, B, n_out)."""
    graphs = [to_graph(g, 3, 2) for g in genomes]
    return np.stack([np.stack([gr.propagate(x[p]) for p, gr in enumerate(graphs)]) for x in xs])


def test_mixed_cyclic_and_acyclic_population_walks_depth_first_only_the_cyclic(monkeypatch):
    genomes = [g for pair in zip(grown(12, _config(True), 4), grown(12, _config(False), 5))
               for g in pair]
    cyclic = [bool(to_graph(g, 3, 2).cycle_closing()) for g in genomes]
    assert 0 < sum(cyclic) < len(genomes)
    calls, depth_first = [], compile_mod.levels

    def counted(*args):
        calls.append(args[0])
        return depth_first(*args)
    monkeypatch.setattr(compile_mod, "levels", counted)
    plan = compile_population(genomes, 3, 2)
    monkeypatch.undo()
    assert len(calls) == sum(cyclic) and plan.recurrent
    xs = np.random.default_rng(4).normal(size=(4, 6, 3))
    want = _graphs_run(genomes, np.broadcast_to(xs[:, None], (4, len(genomes), 6, 3)))
    state = None
    for x, w in zip(xs, want):
        out, state = step(plan, x, state)
        np.testing.assert_allclose(out, w, rtol=1e-10, atol=1e-12)


def _no_input_genome(agg: str, rng) -> Genome:
    """Hidden node 7 has only a disabled input, output 1 has none; 9 and 0 read 7."""
    n = 4
    return Genome(0, np.array([0, 1, 7, 9]), rng.normal(size=n), rng.normal(1, 0.3, size=n),
                  np.array([ACT_NAMES.index(a) for a in ("tanh", "sigmoid", "identity", "sin")],
                           dtype=np.int16), np.full(n, AGG_NAMES.index(agg), dtype=np.int16),
                  np.array([-1, 7, -2, 9, 7, -3]), np.array([7, 9, 9, 0, 0, 0]), np.arange(6),
                  rng.normal(size=6), np.array([False, True, True, True, True, True]))


@pytest.mark.parametrize("agg", AGG_NAMES)
def test_nodes_without_enabled_inputs_take_the_empty_aggregation(agg):
    rng = np.random.default_rng(AGG_NAMES.index(agg))
    g = _no_input_genome(agg, rng)
    other = grown(1, _config(True, aggs=(agg,)), 3)[0]
    plan = compile_population([g, other], 3, 2)
    assert plan.n_const == 2 + compile_population([other], 3, 2).n_const   # g's two loners
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(step(plan, x)[0][0], _reference(g, x, 3), rtol=1e-10, atol=1e-12)


def test_inputs_per_genome_equal_each_genome_alone():
    aggs = ("sum", "product", "max", "min", "mean", "median", "maxabs")
    genomes = grown(15, _config(True, aggs=aggs), 6)
    x = np.random.default_rng(6).normal(size=(15, 5, 3))
    out, _ = step(compile_population(genomes, 3, 2), x)
    for p, g in enumerate(genomes):
        np.testing.assert_allclose(out[p], _reference(g, x[p], 3), rtol=1e-10, atol=1e-12)
    genomes = grown(15, _config(False), 7)
    xs = np.random.default_rng(7).normal(size=(3, 15, 5, 3))
    plan, state = compile_population(genomes, 3, 2), None
    for x, want in zip(xs, _graphs_run(genomes, xs)):
        out, state = step(plan, x, state)
        np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)


def test_subset_and_select_keep_the_state_of_the_kept_genomes():
    genomes = grown(20, _config(False), 8)
    frames = np.random.default_rng(8).normal(size=(6, 20, 3))
    want = _graphs_run(genomes, frames[:, :, None, :])[:, :, 0, :]     # (6, 20, 2)
    batch = GenomeBatch.compile(genomes, 3, 2)
    for t in range(2):
        np.testing.assert_allclose(batch.predict_each(frames[t]), want[t], rtol=1e-10, atol=1e-12)
    rows = np.array([1, 4, 5, 9, 13, 17])
    assert any(to_graph(genomes[r], 3, 2).cycle_closing() for r in rows)
    sub = batch.subset(rows)
    fresh = GenomeBatch.compile([genomes[r] for r in rows], 3, 2)    # the same genomes, no past
    assert not np.allclose(fresh.predict_each(frames[2, rows]), want[2, rows])
    for t in range(2, 4):
        np.testing.assert_allclose(sub.predict_each(frames[t, rows]), want[t, rows],
                                   rtol=1e-10, atol=1e-12)
    kept = np.array([4, 13, 17])                                       # rows of the first batch
    sel = sub.select(kept)
    assert sel.origin.tolist() == kept.tolist() and sel.plan is sub.plan  # runs sub's plan
    for t in range(4, 6):
        last = sel.predict_each(frames[t, kept])
        np.testing.assert_allclose(last, want[t, kept], rtol=1e-10, atol=1e-12)
    alone = GenomeBatch.compile([genomes[13]], 3, 2)                   # one genome by itself
    for t in range(6):
        out = alone.predict_each(frames[t, 13:14])
    np.testing.assert_allclose(last[1], out[0], rtol=1e-10, atol=1e-12)
    none = sel.select([])                                              # every episode ended
    assert len(none) == 0 and none.predict_each(np.zeros((0, 3))).shape == (0, 2)


def test_lockstep_selects_from_the_first_batch_carry_the_current_state():
    """gone.evolution.gym.play_lockstep's loop: ``running = first.select(live)`` each time some
    episodes end; recurrent genomes must keep what they remember."""
    genomes = grown(20, _config(False), 13)
    frames = np.random.default_rng(13).normal(size=(8, 20, 3))
    want = _graphs_run(genomes, frames[:, :, None, :])[:, :, 0, :]
    first = GenomeBatch.compile(genomes, 3, 2)
    running, live, plans = first, np.arange(20), set()
    for t, ending in enumerate([[], [3, 8], [0], [5, 11, 12, 19], [1, 2, 6], [9], [14, 15], []]):
        # a recurrent genome here amplifies summation-order rounding about 10x per step
        # (1e-15 at the first frame, 5e-10 at the seventh), hence the looser tolerance
        np.testing.assert_allclose(running.predict_each(frames[t, live]), want[t, live],
                                   rtol=1e-7, atol=1e-9)
        live = np.setdiff1d(live, ending)
        running = first.select(live)
        plans.add(id(running.plan))
    assert len(plans) >= 2         # some selects ran a shared plan, some compiled their own


def test_a_batch_from_a_pool_makes_genomes_lazily_and_repeats():
    genomes = grown(10, _config(False), 9)
    pool = GenePool.from_genomes(genomes)
    batch = GenomeBatch(pool, compile_population(pool, 3, 2))
    assert batch._plan_genomes is None
    assert [g.key for g in batch.genomes] == [g.key for g in genomes]
    assert all(np.array_equal(a.weight, b.weight) for a, b in zip(batch.genomes, genomes))
    x = np.random.default_rng(9).normal(size=(4, 3))
    twice = batch.repeat(2)
    assert len(twice) == 20 and twice.state is None
    np.testing.assert_array_equal(twice.predict(x), np.repeat(batch.predict(x), 2, axis=0))


def test_big_batches_and_cut_blocks_compute_the_same(monkeypatch):
    genomes = grown(25, _config(False, acts=("sigmoid", "tanh")), 10)
    xs = np.random.default_rng(10).normal(size=(2, 150, 3))            # 150 rows: two chunks
    want = _graphs_run(genomes, np.broadcast_to(xs[:, None], (2, 25, 150, 3)))
    monkeypatch.setattr(compile_mod, "_CHUNK", 256)                    # blocks of 16 targets
    plan, state = compile_population(genomes, 3, 2), None
    assert len(plan.blocks(75)[0]) > len(plan.runs)
    for x, w in zip(xs, want):
        out, state = step(plan, x, state)
        np.testing.assert_allclose(out, w, rtol=1e-10, atol=1e-12)


def test_cut_blocks_of_every_aggregation_give_the_same_bits(monkeypatch):
    aggs = ("sum", "product", "max", "min", "mean", "median", "maxabs")
    genomes = grown(60, _config(True, aggs=aggs, acts=("sigmoid", "tanh")), 13)
    rng = np.random.default_rng(13)
    shared, each = rng.normal(size=(40, 3)), rng.normal(size=(60, 40, 3))
    whole = compile_population(genomes, 3, 2)
    want = step(whole, shared)[0], step(whole, each)[0]
    monkeypatch.setattr(compile_mod, "_CHUNK", 16 * 40)                # blocks of 16 targets
    plan = compile_population(genomes, 3, 2)
    blocks, most = plan.blocks(40)
    assert len(blocks) > len(plan.runs) and max(len(b.slots) for b in blocks) > 2
    assert most == max(len(b.w) for b in blocks)
    np.testing.assert_array_equal(step(plan, shared)[0], want[0])
    np.testing.assert_array_equal(step(plan, each)[0], want[1])


def test_cut_blocks_hold_their_targets_share_of_each_slot_of_their_run(monkeypatch):
    """Targets ``i : j`` of a run take, slot by slot, the terms ``c_k + i : c_k + min(n_k, j)``
    of the run's block: the cut of all runs at once against that rule, one block at a time."""
    aggs = ("sum", "product", "max", "min", "mean", "median", "maxabs")
    genomes = grown(200, _config(True, aggs=aggs, acts=("sigmoid", "tanh")), 14)
    monkeypatch.setattr(compile_mod, "_CHUNK", 16 * 40)                # blocks of 16 targets
    plan = compile_population(genomes, 3, 2)
    blocks = iter(plan.blocks(40)[0])
    assert any((run.rows_each != run.rows_shared).any() for run in plan.whole)  # inputs gathered
    for run in plan.whole:
        for i in range(0, run.r1 - run.r0, 16):
            blk, j = next(blocks), min(i + 16, run.r1 - run.r0)
            assert (blk.r0, blk.r1, blk.agg, blk.write) == (run.r0 + i, run.r0 + j, run.agg,
                                                            run.write)
            parts = [(c + i, min(n, j) - i) for c, n in run.slots if n > i]
            assert [n for _, n in blk.slots] == [n for _, n in parts]
            assert [c for c, _ in blk.slots] == [sum(n for _, n in parts[:k])
                                                 for k in range(len(parts))]
            take = np.concatenate([np.arange(c, c + n) for c, n in parts] or [np.zeros(0, int)])
            for name in ("rows_shared", "rows_each", "w"):
                np.testing.assert_array_equal(getattr(blk, name), getattr(run, name)[take])
            np.testing.assert_array_equal(blk.sr, run.sr[i:j])
            np.testing.assert_array_equal(blk.deg, run.deg[i:j])
    assert next(blocks, None) is None


@pytest.mark.parametrize("table", [1 << 18, 64, 1])   # one table, a table per few genomes, none
def test_node_lookups_agree_and_refuse_unknown_nodes(monkeypatch, table):
    genomes = grown(30, _config(False), 11)
    x = np.random.default_rng(11).normal(size=(3, 3))
    want = step(compile_population(genomes, 3, 2), x)[0]             # searchsorted: few nodes
    monkeypatch.setattr(compile_mod, "_SEARCH", 0)
    monkeypatch.setattr(compile_mod, "_TABLE", table)
    np.testing.assert_array_equal(step(compile_population(genomes, 3, 2), x)[0], want)
    for name, value in (("dst", 4242), ("src", 4343), ("src", -4)):   # -4: not an input
        bad = genomes[17].copy()
        setattr(bad, name, getattr(bad, name).copy())
        getattr(bad, name)[int(np.flatnonzero(bad.enabled)[0])] = value
        with pytest.raises(GraphError, match=f"connection {bad.src[bad.enabled][0]} -> "):
            compile_population(genomes[:17] + [bad], 3, 2)


def test_template_rows_from_a_pool_are_the_per_genome_layout():
    genomes = grown(12, _config(False), 12)
    rows = NeatTemplate(3, 2).encode(GenePool.from_genomes(genomes))
    for g, row in zip(genomes, rows):
        genes = np.concatenate([[g.n_nodes, g.n_connections, g.key], g.nodes, g.bias, g.response,
                                g.act, g.agg, g.src, g.dst, g.innov, g.weight, g.enabled])
        np.testing.assert_array_equal(row[:len(genes)], genes)
        assert not row[len(genes):].any()


@pytest.mark.parametrize("feed_forward, steps, relaxed", [(True, 12, True), (True, 40, False),
                                                          (False, 12, False)])
def test_relaxed_levels_are_the_peeled_levels(monkeypatch, feed_forward, steps, relaxed):
    """Levels by rounds of relaxation (shallow acyclic pools) equal the peel's; a deeper or a
    cyclic pool falls back to the peel (then the depth-first walk)."""
    genomes = grown(40, _config(feed_forward), 16, steps)
    pool = GenePool.from_genomes(genomes)
    rounds = []
    relax = compile_mod._relax
    monkeypatch.setattr(compile_mod, "_relax", lambda *a: rounds.append(relax(*a)) or rounds[-1])
    got = compile_population(pool, 3, 2)
    assert (rounds[0] is not None) == relaxed
    monkeypatch.setattr(compile_mod, "_RELAX", 0)                      # the peel only
    want = compile_population(pool, 3, 2)
    np.testing.assert_array_equal(got.level, want.level)
    np.testing.assert_array_equal(got.order, want.order)
    assert got.recurrent == want.recurrent == (not feed_forward)
    monkeypatch.setattr(compile_mod, "_RELAX", 8)
    monkeypatch.setattr(compile_mod, "_RELAX_EDGES", 2)                # more edges: the peel
    assert relax(np.array([-1, 0]), np.array([0, 1]), 2).tolist() == [0, 1]
    assert relax(np.array([-1, 0, 1]), np.array([0, 1, 2]), 3) is None
