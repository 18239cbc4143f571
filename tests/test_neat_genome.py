"""NEAT genomes: innovation numbers, mutations, crossover alignment, compatibility distance."""

import numpy as np
import pytest

from gone.neat import GenomeConfig, Innovations, crossover, distance, mutation, new_genome
from gone.neat.genome import ACT_NAMES, AGG_NAMES, Genome


def _genome(key, nodes, conns, bias=None, fitness=0.0):
    """A hand-made genome: ``conns`` = [(src, dst, innov, weight, enabled)]."""
    n = len(nodes)
    c = list(zip(*conns)) if conns else [[], [], [], [], []]
    return Genome(key, np.array(nodes, dtype=np.int64),
                  np.zeros(n) if bias is None else np.array(bias, dtype=float), np.ones(n),
                  np.full(n, ACT_NAMES.index("sigmoid"), dtype=np.int16),
                  np.full(n, AGG_NAMES.index("sum"), dtype=np.int16),
                  np.array(c[0], dtype=np.int64), np.array(c[1], dtype=np.int64),
                  np.array(c[2], dtype=np.int64), np.array(c[3], dtype=float),
                  np.array(c[4], dtype=bool), fitness).sort()


def creates_cycle(src, dst, source, target) -> bool:
    """Reference: whether ``source -> target`` closes a cycle over edges ``src -> dst``."""
    if source == target:
        return True
    reached, frontier = {target}, [target]
    while frontier:
        node = frontier.pop()
        for a, b in zip(src.tolist(), dst.tolist()):
            if a == node and b not in reached:
                if b == source:
                    return True
                reached.add(b)
                frontier.append(b)
    return False


def _mutated(config, n, rounds, seed):
    """``n`` new genomes after ``rounds`` of structural and attribute mutation, one by one."""
    inn, rng = Innovations(config.num_outputs), np.random.default_rng(seed)
    genomes = [new_genome(i, config, inn, rng) for i in range(n)]
    for _ in range(rounds):
        for g in genomes:
            mutation.mutate_structure(g, config, inn, rng)
        mutation.mutate_attributes(genomes, config, rng)
    return genomes


def _growing_pool(feed_forward, n, seed, node_add_prob, delete_prob):
    """``(config, innovations, rng, pool)``: ``n`` new partially connected genomes (3
    inputs, 2 outputs) and a config that grows them (connections added with
    probability 0.6, nodes and connections deleted with ``delete_prob``)."""
    from gone.neat.pool import GenePool

    config = GenomeConfig(num_inputs=3, num_outputs=2, feed_forward=feed_forward,
                          initial_connection="partial_direct", connection_fraction=0.5,
                          node_add_prob=node_add_prob, conn_add_prob=0.6,
                          node_delete_prob=delete_prob, conn_delete_prob=delete_prob)
    inn, rng = Innovations(2), np.random.default_rng(seed)
    return config, inn, rng, GenePool.from_genomes(new_genome(i, config, inn, rng)
                                                   for i in range(n))


def test_minimal_full_genome_shares_innovations():
    config = GenomeConfig(num_inputs=3, num_outputs=2, initial_connection="full_direct")
    inn = Innovations(config.num_outputs)
    rng = np.random.default_rng(0)
    a, b = new_genome(0, config, inn, rng), new_genome(1, config, inn, rng)
    assert a.n_connections == 6 and a.n_nodes == 2
    assert np.array_equal(a.innov, b.innov)
    assert sorted(zip(a.src.tolist(), a.dst.tolist())) == [(i, o) for i in (-3, -2, -1) for o in (0, 1)]
    assert not np.array_equal(a.weight, b.weight)


def test_partial_and_hidden_initial_connections():
    rng = np.random.default_rng(1)
    c = GenomeConfig(num_inputs=4, num_outputs=2, initial_connection="partial_direct",
                     connection_fraction=0.5)
    assert new_genome(0, c, Innovations(2), rng).n_connections == 4
    c = GenomeConfig(num_inputs=2, num_outputs=1, num_hidden=3, initial_connection="full_nodirect")
    g = new_genome(0, c, Innovations(4), rng)
    assert g.n_nodes == 4 and g.n_connections == 2 * 3 + 3 * 1
    assert not any((s < 0 and d == 0) for s, d in zip(g.src, g.dst))
    c = GenomeConfig(num_inputs=3, num_outputs=2, initial_connection="fs_neat_nohidden")
    g = new_genome(0, c, Innovations(2), rng)
    assert g.n_connections == 2 and len(set(g.src.tolist())) == 1


def test_same_split_in_one_generation_same_numbers_new_generation_new_node():
    config = GenomeConfig(num_inputs=1, num_outputs=1, initial_connection="full_direct")
    inn = Innovations(1)
    rng = np.random.default_rng(0)
    a, b = new_genome(0, config, inn, rng), new_genome(1, config, inn, rng)
    w = a.weight[0]
    mutation.add_node(a, config, inn, rng)
    mutation.add_node(b, config, inn, rng)
    assert np.array_equal(a.nodes, b.nodes) and np.array_equal(a.innov, b.innov)
    assert a.nodes.tolist() == [0, 1] and a.innov.tolist() == [0, 1, 2]
    assert not a.enabled[0] and a.enabled[1:].all()
    assert a.weight[1] == 1.0 and a.weight[2] == w
    inn.new_generation()
    c = new_genome(2, config, inn, rng)
    mutation.add_node(c, config, inn, rng)
    assert c.nodes.tolist() == [0, 2]          # a new node in a later generation ...
    assert c.innov.tolist() == [0, 3, 4]       # ... so new connections to and from it
    # the same connection grown later keeps its number
    assert inn.connection(-1, 1) == 1 and inn.connection(1, 0) == 2


def test_add_node_keeps_function_up_to_the_new_nodes_activation():
    config = GenomeConfig(num_inputs=1, num_outputs=1, initial_connection="full_direct")
    inn, rng = Innovations(1), np.random.default_rng(3)
    g = new_genome(0, config, inn, rng)
    w = g.weight[0]
    mutation.add_node(g, config, inn, rng)
    into = (g.dst == 1) & g.enabled
    out = (g.src == 1) & g.enabled
    assert g.weight[into][0] == 1.0 and g.weight[out][0] == w


def test_add_connection_feed_forward_never_makes_cycles(rng):
    config = GenomeConfig(num_inputs=2, num_outputs=2, initial_connection="full_direct",
                          feed_forward=True)
    inn = Innovations(2)
    g = new_genome(0, config, inn, rng)
    for _ in range(30):
        mutation.add_node(g, config, inn, rng)
        mutation.add_connection(g, config, inn, rng)
    edges = {(int(s), int(d)) for s, d in zip(g.src, g.dst)}
    assert not any(s == d for s, d in edges)
    for s, d in edges:
        others = [e for e in edges if e != (s, d)]
        src = np.array([e[0] for e in others])
        dst = np.array([e[1] for e in others])
        assert not creates_cycle(src, dst, s, d)
    assert not any(0 <= s < 2 and 0 <= d < 2 for s, d in edges)


def test_creates_cycles_by_hand_over_a_pool():
    from gone.neat.pool import GenePool

    # genome 0: -1 -> 2 -> 3 -> 0; genome 1: -1 -> 0 only
    a = _genome(0, [0, 2, 3], [(-1, 2, 0, 1.0, True), (2, 3, 1, 1.0, False), (3, 0, 2, 1.0, True)])
    b = _genome(1, [0, 2, 3], [(-1, 0, 3, 1.0, True)])
    pool = GenePool.from_genomes([a, b])
    rows = np.array([0, 0, 0, 0, 1, 1])
    source = np.array([3, 0, -1, 2, 3, 2])
    target = np.array([2, 2, 3, 2, 2, 3])
    # 3 -> 2 closes 2 -> 3 (disabled connections count); 0 -> 2 closes 2 -> 3 -> 0;
    # an input never does; a self-link always does; genome 1 has no path 2 -> 3
    expected = [True, True, False, True, False, False]
    assert mutation.creates_cycles(pool, rows, source, target).tolist() == expected
    for r, s_, t, e in zip(rows, source, target, expected):
        g = [a, b][r]
        assert creates_cycle(g.src, g.dst, s_, t) == e      # the reference agrees


def test_delete_node_removes_its_connections(rng):
    config = GenomeConfig(num_inputs=2, num_outputs=1, num_hidden=1, initial_connection="full_direct")
    g = new_genome(0, config, Innovations(2), rng)
    assert mutation.delete_node(g, config, rng)
    assert g.nodes.tolist() == [0] and not np.isin(1, g.src) and not np.isin(1, g.dst)
    assert g.n_connections == 2
    assert not mutation.delete_node(g, config, rng)  # outputs are never deleted


def test_attribute_mutation_rate_zero_is_identity_and_rates_bite(rng):
    base = GenomeConfig(num_inputs=3, num_outputs=2)
    genomes = [new_genome(i, base, Innovations(2), rng) for i in range(5)]
    before = [g.copy() for g in genomes]
    frozen = GenomeConfig(num_inputs=3, num_outputs=2, enabled_mutate_rate=0.0,
                          bias=base.bias.__class__(mutate_rate=0, replace_rate=0),
                          weight=base.weight.__class__(mutate_rate=0, replace_rate=0))
    mutation.mutate_attributes(genomes, frozen, rng)
    for g, b in zip(genomes, before):
        assert np.array_equal(g.weight, b.weight) and np.array_equal(g.bias, b.bias)
    mutation.mutate_attributes(genomes, base, rng)
    changed = np.concatenate([g.weight != b.weight for g, b in zip(genomes, before)])
    assert 0.7 < changed.mean() <= 1.0       # weight_mutate_rate 0.8 + replace 0.1
    assert all(np.all(np.abs(g.weight) <= 30) for g in genomes)


def test_crossover_aligned_by_innovation():
    # innovations: p1 has 0,1,3 (3 excess w.r.t. p2's 0,1,2); p2 has 2 (disjoint)
    p1 = _genome(1, [0, 1], [(-1, 0, 0, 1.0, True), (-2, 0, 1, 2.0, True), (-1, 1, 3, 3.0, True)],
                 bias=[0.1, 0.2], fitness=2.0)
    p2 = _genome(2, [0, 2], [(-1, 0, 0, -1.0, True), (-2, 0, 1, -2.0, False), (-2, 2, 2, 5.0, True)],
                 bias=[-0.1, -0.2], fitness=1.0)
    seen = {0: set(), 1: set()}
    for seed in range(40):
        child = crossover(p2, p1, 99, np.random.default_rng(seed))
        assert child.innov.tolist() == [0, 1, 3] and child.nodes.tolist() == [0, 1]
        assert child.weight[2] == 3.0 and child.bias[1] == 0.2   # p1-only genes from p1
        seen[0].add(child.weight[0])
        seen[1].add(child.weight[1])
        assert child.key == 99 and np.isnan(child.fitness)
    assert seen[0] == {1.0, -1.0} and seen[1] == {2.0, -2.0}
    # on equal fitness the second parent is the fitter one (neat-python)
    p2.fitness = 2.0
    assert crossover(p1, p2, 5, np.random.default_rng(0)).innov.tolist() == [0, 1, 2]


def test_compatibility_distance_by_hand():
    config = GenomeConfig(compatibility_disjoint_coefficient=1.0, compatibility_weight_coefficient=0.5)
    a = _genome(1, [0, 1], [(-1, 0, 0, 1.0, True), (-2, 0, 1, 2.0, True), (-1, 1, 3, 3.0, True)],
                bias=[0.5, 0.0])
    b = _genome(2, [0, 2], [(-1, 0, 0, -1.0, True), (-2, 0, 1, 2.0, False), (-2, 2, 2, 5.0, True)],
                bias=[0.0, 0.0])
    # nodes: matching 0 (|0.5| bias diff), disjoint 1 and 2: (0.5*0.5 + 1*2) / 2
    nodes = (0.5 * 0.5 + 2) / 2
    # connections: matching 0 (|2|), 1 (0 + enabled differs 1), disjoint 2 and 3
    conns = (0.5 * (2 + 1) + 2) / 3
    assert distance(a, b, config) == pytest.approx(nodes + conns)
    assert distance(a, b, config) == pytest.approx(distance(b, a, config))
    assert distance(a, a, config) == 0.0


def test_pool_distances_equal_pairwise_distance():
    from gone.neat import GenePool, distances

    config = GenomeConfig(num_inputs=3, num_outputs=2, initial_connection="partial_direct",
                          connection_fraction=0.6, activation_options=("sigmoid", "tanh"),
                          activation_mutate_rate=0.3, enabled_mutate_rate=0.2)
    genomes = _mutated(config, 12, rounds=6, seed=9)
    assert len({g.n_connections for g in genomes}) > 2        # the genomes really differ
    pool = GenePool.from_genomes(genomes)
    reps = [0, 5, 11, 5]
    got = distances(pool, pool.take(reps), config)
    expected = [[distance(genomes[r], g, config) for g in genomes] for r in reps]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("feed_forward", [True, False])
def test_pool_mutations_keep_every_genome_well_formed(feed_forward):
    """Whole-pool structural mutation over many rounds: genes stay sorted, connections
    join nodes the genome has, innovation numbers name one (in, out) pair run-wide, and
    feed-forward genomes stay acyclic."""
    config, inn, rng, pool = _growing_pool(feed_forward, 40, seed=4, node_add_prob=0.4,
                                           delete_prob=0.15)
    for _ in range(15):
        pool = mutation.mutate_structure_pool(pool, config, inn, rng)
        pool = mutation.mutate_attributes_pool(pool, config, rng)
        inn.new_generation()
    genomes = pool.genomes()
    assert max(g.n_nodes for g in genomes) > 4
    pair_of = {}
    for g in genomes:
        assert np.all(np.diff(g.nodes) > 0) and np.all(np.diff(g.innov) > 0)
        assert g.nodes[:2].tolist() == [0, 1]                       # outputs always kept
        known = set(g.nodes.tolist()) | {-1, -2, -3}
        assert set(g.src.tolist()) <= known and set(g.dst.tolist()) <= known
        assert not np.isin(g.dst, [-1, -2, -3]).any()
        for s, d, k in zip(g.src.tolist(), g.dst.tolist(), g.innov.tolist()):
            assert pair_of.setdefault(k, (s, d)) == (s, d)
            if feed_forward:
                others = g.innov != k
                assert not creates_cycle(g.src[others], g.dst[others], s, d)
    assert inn.connections == {v: k for k, v in pair_of.items()} | {
        p: n for p, n in inn.connections.items() if n not in pair_of}


def test_new_pool_draws_each_genomes_initial_connections_on_its_own():
    from gone.neat import new_pool

    rng = np.random.default_rng(5)
    c = GenomeConfig(num_inputs=4, num_outputs=2, initial_connection="partial_direct",
                     connection_fraction=0.5)
    inn = Innovations(2)
    pool = new_pool(np.arange(30), c, inn, rng)
    genomes = pool.genomes()
    assert all(g.n_connections == 4 and np.all(np.diff(g.innov) > 0) for g in genomes)
    assert len({tuple(g.innov) for g in genomes}) > 10           # subsets drawn per genome
    assert {(s, d) for g in genomes for s, d in zip(g.src, g.dst)} <= \
        {(i, o) for i in (-1, -2, -3, -4) for o in (0, 1)}
    c = GenomeConfig(num_inputs=4, num_outputs=2, initial_connection="fs_neat_nohidden")
    genomes = new_pool(np.arange(30), c, inn, rng).genomes()
    assert all(len(set(g.src.tolist())) == 1 and sorted(g.dst.tolist()) == [0, 1] for g in genomes)
    assert len({int(g.src[0]) for g in genomes}) == 4             # each picks its own input


def test_every_cached_pool_array_says_what_it_is_derived_from():
    # replace() shares cached arrays whose inputs did not change; one it does not
    # know about would go stale silently
    from functools import cached_property

    from gone.neat import pool as pool_module

    cached = {n for n, v in vars(pool_module.GenePool).items() if isinstance(v, cached_property)}
    assert cached == set(pool_module._DERIVED)


@pytest.mark.parametrize("rep_act", ["sigmoid", "tanh", "mixed"])
def test_layout_distances_equal_pairwise_distance(rep_act):
    """The speciation path: representatives as rows of another generation's layout (of
    as many genomes, or fewer), all nodes of one activation in either (or not), genomes
    without connections among them."""
    from gone.neat import GenePool
    from gone.neat.distance import GeneLayout, layout_distances

    config = GenomeConfig(num_inputs=3, num_outputs=2, initial_connection="partial_direct",
                          connection_fraction=0.6, enabled_mutate_rate=0.2,
                          conn_delete_prob=0.3, node_add_prob=0.3)
    genomes = _mutated(config, 10, rounds=4, seed=4)
    rng = np.random.default_rng(40)
    genomes[3].src, genomes[3].dst, genomes[3].innov = (np.zeros(0, np.int64),) * 3
    genomes[3].weight, genomes[3].enabled = np.zeros(0), np.zeros(0, bool)
    others = [g.copy(key=100 + g.key) for g in genomes]
    for g in others:
        g.weight = g.weight + rng.normal(size=g.n_connections)
        if rep_act == "tanh":
            g.act[:] = ACT_NAMES.index("tanh")
        elif rep_act == "mixed":
            g.act[::2] = ACT_NAMES.index("tanh")
    pool, old = GenePool.from_genomes(genomes), GenePool.from_genomes(others)
    here = GeneLayout(pool)
    assert here.uniform is not None
    for reps, source, rows in [(GeneLayout(old), others, [0, 3, 7, 3]),
                               (GeneLayout(old.take([7, 3, 5])), [others[i] for i in (7, 3, 5)],
                                [2, 0, 1]),
                               (here, genomes, [3, 9])]:
        got = layout_distances(here, reps, rows, config)
        expected = [[distance(source[r], g, config) for g in genomes] for r in rows]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shift", [0, 10**8])
def test_layout_distances_when_representatives_have_genes_the_pool_lacks(shift):
    """Representatives a few generations ahead of the pool (and one behind it): genes,
    some with larger ids than any in the other generation, that only one side has.
    With ``shift``, hidden node ids and innovation numbers are those of a long run,
    far beyond the number of genes (columns found by sorting, not counting)."""
    from gone.neat import GenePool
    from gone.neat.distance import GeneLayout, layout_distances

    config = GenomeConfig(num_inputs=3, num_outputs=2, initial_connection="partial_direct",
                          connection_fraction=0.5, node_add_prob=0.5, conn_add_prob=0.7,
                          conn_delete_prob=0.3, node_delete_prob=0.2)
    inn, rng = Innovations(config.num_outputs), np.random.default_rng(8)
    genomes = [new_genome(i, config, inn, rng) for i in range(12)]
    ahead = [g.copy(key=100 + g.key) for g in genomes[::2]]
    for _ in range(4):
        for g in ahead:
            mutation.mutate_structure(g, config, inn, rng)
        mutation.mutate_attributes(ahead, config, rng)
    for g in genomes + ahead:
        g.nodes[g.nodes >= config.num_outputs] += shift
        g.innov += shift
    pool, later = GenePool.from_genomes(genomes), GenePool.from_genomes(ahead)
    assert later.innov.max() > pool.innov.max() and later.nodes.max() > pool.nodes.max()
    assert (GeneLayout(pool).distinct is None) == (shift == 0)
    for here, there, source, targets in [(GeneLayout(pool), GeneLayout(later), ahead, genomes),
                                         (GeneLayout(later), GeneLayout(pool), genomes, ahead)]:
        rows = [5, 0, 2]
        got = layout_distances(here, there, rows, config)
        expected = [[distance(source[r], g, config) for g in targets] for r in rows]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_gene_layout_refuses_negative_gene_ids():
    from gone.errors import InputError
    from gone.neat import GenePool
    from gone.neat.distance import GeneLayout

    config = GenomeConfig(num_inputs=2, num_outputs=1)
    g = new_genome(0, config, Innovations(1), np.random.default_rng(0))
    g.nodes = np.array([-4])
    with pytest.raises(InputError, match="negative"):
        GeneLayout(GenePool.from_genomes([g]))


@pytest.mark.parametrize("feed_forward", [True, False])
def test_pool_mutations_hand_on_true_derived_arrays_and_spare_the_head(feed_forward):
    """Inserting genes hands the new pool its sorted keys, owners and counts instead of
    deriving them again: they must equal what the pool derives from its own arrays; the
    gene arrays keep their dtypes; rows before ``first`` are left exactly as they were."""
    from gone.neat.pool import _DERIVED, GenePool

    config, inn, rng, pool = _growing_pool(feed_forward, 30, seed=7, node_add_prob=0.5,
                                           delete_prob=0.1)
    dtypes = {f: getattr(pool, f).dtype for f in GenePool.__dataclass_fields__}
    for _ in range(8):
        head = pool.take(np.arange(5))
        pool = mutation.mutate_structure_pool(pool, config, inn, rng, first=5)
        pool = mutation.mutate_attributes_pool(pool, config, rng, first=5)
        inn.new_generation()
        fresh = GenePool(**{f: getattr(pool, f) for f in GenePool.__dataclass_fields__})
        for name in _DERIVED:
            if name in pool.__dict__:
                assert np.array_equal(pool.__dict__[name], getattr(fresh, name)), name
        assert {f: getattr(pool, f).dtype for f in dtypes} == dtypes
        kept = pool.take(np.arange(5))
        for f in GenePool.__dataclass_fields__:
            if f != "fitness":
                assert np.array_equal(getattr(kept, f), getattr(head, f)), f
    assert pool.node_counts[5:].max() > 2 + 1                # the tail really grew


def test_a_run_of_pool_edits_equals_the_edits_by_hand():
    """PoolEdit keeps only index arrays between edits and gathers the genes at the end: a
    run of adds, keeps and sets over both tables gives the genes written out by hand, in
    (genome, id) order, with derived arrays equal to what the new pool derives itself."""
    from gone.neat.edit import PoolEdit
    from gone.neat.pool import _DERIVED, GenePool

    a = _genome(0, [0, 5], [(-1, 0, 0, 0.1, True), (-1, 5, 4, 0.2, True), (5, 0, 7, 0.3, True)])
    b = _genome(1, [0], [(-1, 0, 0, 0.4, True), (-2, 0, 2, 0.5, False)])
    c = _genome(2, [0, 3], [])
    pool = GenePool.from_genomes([a, b, c])
    edit = PoolEdit(pool)
    node, conn = edit.node, edit.conn
    node.add(np.array([0, 2]), {"nodes": np.array([2, 9]), "bias": np.array([1.0, 2.0]),
                                "response": np.ones(2), "act": np.zeros(2, np.int16),
                                "agg": np.zeros(2, np.int16)})
    conn.set("enabled", np.array([1]), False)                 # a's (-1, 5)
    conn.add(np.array([2, 0, 1]), {"src": np.array([-1, -2, -1]), "dst": np.array([3, 2, 0]),
                                   "innov": np.array([1, 3, 0]), "weight": np.array([1., 2., 3.]),
                                   "enabled": np.ones(3, bool)})  # b gets a second innovation 0
    assert conn.column("innov").tolist() == [0, 3, 4, 7, 0, 0, 2, 1]
    node.keep(node.column("nodes") != 5)                      # a loses node 5 ...
    conn.keep((conn.column("src") != 5) & (conn.column("dst") != 5))     # ... and its links
    conn.set("weight", np.array([1]), -1.0)                   # a's new (-2, 2), now row 1
    out = edit.done()
    got = out.genomes()
    assert [g.nodes.tolist() for g in got] == [[0, 2], [0], [0, 3, 9]]
    assert got[0].bias.tolist() == [0.0, 1.0] and got[2].bias.tolist() == [0.0, 0.0, 2.0]
    assert [list(zip(g.innov.tolist(), g.weight.tolist(), g.enabled.tolist())) for g in got] == [
        [(0, 0.1, True), (3, -1.0, True)],
        [(0, 0.4, True), (0, 3.0, True), (2, 0.5, False)],     # an old gene first on a tie
        [(1, 1.0, True)]]
    assert pool.enabled.tolist() == [True, True, True, True, False]      # the old pool as it was
    fresh = GenePool(**{f: getattr(out, f) for f in GenePool.__dataclass_fields__})
    for name in _DERIVED:
        if name in out.__dict__:
            assert np.array_equal(out.__dict__[name], getattr(fresh, name)), name


def test_layout_distance_ignores_non_finite_values_of_genes_only_one_side_has():
    """As distance(): a gene only one genome has counts as disjoint, whatever its value
    (a hybrid's backprop can leave a NaN or inf weight behind)."""
    from gone.neat import GenePool
    from gone.neat.distance import GeneLayout, layout_distances

    config = GenomeConfig(num_inputs=2, num_outputs=1, node_add_prob=1.0)
    inn, rng = Innovations(1), np.random.default_rng(3)
    rep = new_genome(0, config, inn, rng)
    grown = rep.copy(key=1)
    mutation.add_node(grown, config, inn, rng)        # two connections the rep lacks
    for bad in (np.nan, np.inf):
        grown.weight[grown.innov > rep.innov.max()] = bad
        grown.bias[grown.nodes > 0] = bad                # and the new node's bias
        here = GeneLayout(GenePool.from_genomes([rep, grown]))
        got = layout_distances(here, here, [0], config)[0]
        expected = [distance(rep, g, config) for g in (rep, grown)]
        assert np.isfinite(expected).all()
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_pool_edit_done_does_not_change_when_the_edit_goes_on():
    """done() may hand out the edit's own arrays; a later set must not write into them."""
    from gone.neat import GenePool
    from gone.neat.edit import PoolEdit

    config = GenomeConfig(num_inputs=2, num_outputs=1)
    genomes = [new_genome(i, config, Innovations(1), np.random.default_rng(i)) for i in range(3)]
    edit = PoolEdit(GenePool.from_genomes(genomes))
    edit.conn.set("enabled", np.array([0]), False)
    first = edit.done()
    before = first.enabled.copy()
    edit.conn.set("enabled", np.array([1]), False)
    assert np.array_equal(first.enabled, before)
    assert not edit.done().enabled[1]


def test_pool_finds_genes_by_one_genome_and_id_or_by_arrays():
    from gone.neat import GenePool

    config = GenomeConfig(num_inputs=2, num_outputs=1)
    pool = GenePool.from_genomes([new_genome(i, config, Innovations(1), np.random.default_rng(i))
                                  for i in range(2)])
    assert int(pool.node_rows(1, 0)) == 1 and int(pool.node_rows(0, 7)) == -1
    assert pool.conn_rows([1, 0, 1], [1, 0, 9]).tolist() == [3, 0, -1]
