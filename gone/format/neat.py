"""NEAT runs and champions in ``.gone`` files (protobuf, never pickle).

* A checkpoint is a population file: a ``NeuralNetwork`` message whose graph
  is the champion (when it compiles to a graph) and whose
  ``population.neat`` (:class:`NeatRun` in ``proto/gone.proto``) holds the
  whole run: config, genomes, species, innovation history, the random
  generator's state, counters and history. Loading it and running on gives
  the same bits as never stopping.
* A champion is a graph ``.gone`` file (``gone info`` shows its nodes,
  connections, species and fitness in the metadata).

Written atomically; every count is checked against the arrays on load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

import numpy as np

from .._base import atomic as _atomic
from .._base import persistence
from .._base.rng import rng_from_json, state_to_json
from .._proto import gone_pb2 as pb
from ..errors import GoneError, GoneFormatError
from ..evolution import hybrid as _hybrid
from ..neat.config import FloatGene, GenomeConfig, NeatConfig
from ..neat.genome import ACT_NAMES, AGG_NAMES, Genome
from ..neat.innovation import Innovations
from ..neat.pool import GenePool
from ..neat.population import NeatPopulation
from ..neat.species import Species, SpeciesSet, rows_of
from . import graph as _graph_io
from . import network as _io
from .population import HYBRID_KEY  # the key a GA population's hybrid uses too

STRATEGY = "neat"


# --- genomes -----------------------------------------------------------------------

def _genome_message(g: Genome) -> pb.NeatGenome:
    return pb.NeatGenome(
        key=g.key, fitness=g.fitness, nodes=g.nodes.tolist(), bias=g.bias.tolist(),
        response=g.response.tolist(), activation=g.act.tolist(), aggregation=g.agg.tolist(),
        source=g.src.tolist(), target=g.dst.tolist(), innovation=g.innov.tolist(),
        weight=g.weight.tolist(), enabled=g.enabled.tolist(),
        extra={k: json.dumps(v) for k, v in g.extra.items()})


def _genome(m: pb.NeatGenome, acts: np.ndarray, aggs: np.ndarray, where: str) -> Genome:
    n, c = len(m.nodes), len(m.innovation)
    if not (len(m.bias) == len(m.response) == len(m.activation) == len(m.aggregation) == n):
        raise GoneFormatError(f"{where}: genome {m.key}: node arrays of different lengths")
    if not (len(m.source) == len(m.target) == len(m.weight) == len(m.enabled) == c):
        raise GoneFormatError(f"{where}: genome {m.key}: connection arrays of different lengths")
    a, g = np.array(m.activation, dtype=np.intp), np.array(m.aggregation, dtype=np.intp)
    if (a.size and (a.min() < 0 or a.max() >= len(acts))) or \
            (g.size and (g.min() < 0 or g.max() >= len(aggs))):
        raise GoneFormatError(f"{where}: genome {m.key}: activation or aggregation out of range")
    return Genome(int(m.key), np.array(m.nodes, dtype=np.int64), np.array(m.bias),
                  np.array(m.response), acts[a].astype(np.int16), aggs[g].astype(np.int16),
                  np.array(m.source, dtype=np.int64), np.array(m.target, dtype=np.int64),
                  np.array(m.innovation, dtype=np.int64), np.array(m.weight),
                  np.array(m.enabled, dtype=bool), float(m.fitness),
                  {k: json.loads(v) for k, v in m.extra.items()})


def _name_map(names, known: tuple, what: str, where: str) -> np.ndarray:
    """Indices into today's ``known`` names for the names a file was written with."""
    missing = [n for n in names if n not in known]
    if missing:
        raise GoneFormatError(f"{where}: unknown {what} {missing[0]!r} (known: {', '.join(known)})")
    return np.array([known.index(n) for n in names], dtype=np.int16)


# --- config -------------------------------------------------------------------------

def config_to_json(config: NeatConfig) -> str:
    return json.dumps(asdict(config), sort_keys=True)


def config_from_json(text: str) -> NeatConfig:
    d = json.loads(text)
    g = d.pop("genome")
    for name in ("bias", "response", "weight"):
        g[name] = FloatGene(**g[name])
    for f in fields(GenomeConfig):
        if f.name.endswith("_options"):
            g[f.name] = tuple(g[f.name])
    return NeatConfig(genome=GenomeConfig(**g), **d)


# --- whole runs ------------------------------------------------------------------------

def to_message(pop) -> pb.NeuralNetwork:
    """The population file's message (champion graph + the run)."""
    msg = _champion_message(pop) if pop.best is not None else pb.NeuralNetwork(
        format_version=_io.FORMAT_VERSION, dtype="float64")
    p = msg.population
    p.size, p.generation, p.strategy = pop.size, pop.generation, STRATEGY
    p.evaluations, p.evaluated = pop.evaluations, pop.best is not None
    p.rng_state = state_to_json(pop.rng)
    p.extra.update(pop.settings)
    if pop.refine is not None:
        p.extra[HYBRID_KEY] = json.dumps(pop.refine.settings(), sort_keys=True)
    run = p.neat
    run.config = config_to_json(pop.config)
    run.activation_names.extend(ACT_NAMES)
    run.aggregation_names.extend(AGG_NAMES)
    run.genomes.extend(_genome_message(g) for g in pop.members())
    if pop.best is not None:
        run.best.CopyFrom(_genome_message(pop.best))
    for sid in sorted(pop.species.species):
        s = pop.species.species[sid]
        run.species.append(pb.NeatSpecies(
            key=sid, created=s.created, last_improved=s.last_improved,
            representative=s.representative, members=s.members,
            fitness_history=s.fitness_history, fitness=s.fitness,
            adjusted_fitness=s.adjusted_fitness))
    run.compatibility_threshold = pop.species.threshold
    run.next_species, run.next_genome = pop.species.next_key, pop.next_key
    arrays = pop.innovations.to_arrays()
    run.next_node, run.next_innovation = (int(v) for v in arrays["counters"])
    run.connection_pairs.extend(arrays["conn_pairs"].tolist())
    run.connection_innovations.extend(arrays["conn_numbers"].tolist())
    run.splits.extend(arrays["splits"].tolist())
    run.solved, run.extinctions = pop.solved, pop.extinctions
    run.history = json.dumps(pop.history)
    return msg


def save_population(pop, path) -> None:
    """Write the run to ``path`` atomically."""
    _atomic.write_bytes(path, _io.seal(to_message(pop).SerializeToString()))


def is_neat(msg) -> bool:
    return msg.HasField("population") and msg.population.strategy == STRATEGY


def from_message(msg, source: str = "<message>", data=None):
    """The :class:`~gone.neat.NeatPopulation` a population message holds."""


    if not is_neat(msg):
        raise GoneFormatError(f"{source}: not a NEAT population file")
    p, run = msg.population, msg.population.neat
    try:
        config = config_from_json(run.config)
    except (ValueError, TypeError, KeyError) as exc:
        raise GoneFormatError(f"{source}: the saved NEAT config is unreadable: {exc}") from None
    acts = _name_map(run.activation_names, ACT_NAMES, "activation", source)
    aggs = _name_map(run.aggregation_names, AGG_NAMES, "aggregation", source)
    pop = NeatPopulation.__new__(NeatPopulation)
    pop.config = config
    try:
        pop.rng = rng_from_json(p.rng_state)
    except GoneError as exc:
        raise GoneFormatError(f"{source}: {exc}") from None
    genomes = sorted((_genome(m, acts, aggs, source) for m in run.genomes), key=lambda g: g.key)
    try:
        pop.pool = GenePool.from_genomes(genomes)
    except GoneError as exc:
        raise GoneFormatError(f"{source}: {exc}") from None
    pop.best = _genome(run.best, acts, aggs, source) if run.HasField("best") else None
    pop.species = _species(run, pop.pool, source)
    pop.innovations = Innovations.from_arrays({
        "counters": [run.next_node, run.next_innovation], "conn_pairs": list(run.connection_pairs),
        "conn_numbers": list(run.connection_innovations), "splits": list(run.splits)})
    if len(run.connection_pairs) != 2 * len(run.connection_innovations) or len(run.splits) % 2:
        raise GoneFormatError(f"{source}: innovation history arrays of inconsistent lengths")
    pop.next_key, pop.generation = int(run.next_genome), int(p.generation)
    pop.solved, pop.extinctions, pop.evaluations = run.solved, int(run.extinctions), int(p.evaluations)
    pop.history = json.loads(run.history or "[]")
    extra = dict(p.extra)
    pop.refine = None
    if HYBRID_KEY in extra:
        try:
            pop.refine = _hybrid.from_settings(json.loads(extra.pop(HYBRID_KEY)))
        except (ValueError, GoneError) as exc:
            raise GoneFormatError(f"{source}: the saved hybrid settings are unreadable: {exc}") \
                from None
    if data is not None:
        if pop.refine is None:
            raise GoneFormatError(f"{source}: data is for a run with a Lamarckian or Baldwinian "
                                  "hybrid; this NEAT run has none")
        pop.refine = pop.refine.with_data(*data)
    pop._evaluated = pop._told = None
    pop.settings = extra
    return pop


def _species(run, pool: GenePool, source: str) -> SpeciesSet:
    s = SpeciesSet(run.compatibility_threshold)
    s.next_key = int(run.next_species)
    keys = set(pool.keys.tolist())
    for m in run.species:
        if m.representative not in keys or any(k not in keys for k in m.members):
            raise GoneFormatError(f"{source}: species {m.key} names a genome the file lacks")
        s.species[int(m.key)] = Species(int(m.key), int(m.created), int(m.representative),
                                        list(m.members), int(m.last_improved), m.fitness,
                                        m.adjusted_fitness, list(m.fitness_history))
    reps = [s.species[sid].representative for sid in sorted(s.species)]
    s.reps = pool.take(rows_of(pool, reps))
    return s


def load_population(path, data=None):
    """The NEAT run saved at ``path``; ``data=(x, y)`` gives its hybrid its data back."""
    return from_message(_io.decode(_io.read_bytes(path), str(path)), str(path), data)


# --- champions ---------------------------------------------------------------------------

def _champion_message(pop) -> pb.NeuralNetwork:
    g = pop.best
    try:
        msg = _graph_io.to_message(pop.best_graph())
    except GoneError:  # non-sum aggregation: no graph; the genome is in the run
        msg = pb.NeuralNetwork(format_version=_io.FORMAT_VERSION, dtype="float64")
    msg.metadata.fitness = g.fitness
    msg.metadata.generation = int(g.extra.get("generation", pop.generation))
    nodes, conns = g.size()
    msg.metadata.extra.update({"neat_genome": str(g.key), "neat_nodes": str(nodes),
                               "neat_connections": str(conns),
                               "neat_species": str(g.extra.get("species", "")),
                               "neat_hidden": str(nodes - pop.config.genome.num_outputs)})
    msg.metadata.notes = "NEAT champion (gone.neat)"
    return msg


def save_champion(pop, path) -> None:
    """The best genome ever as a graph ``.gone`` file with its NEAT facts in the metadata."""
    msg = _champion_message(pop)
    if not msg.HasField("graph"):
        raise GoneError("the champion aggregates by something other than sum, so it is no "
                        "GraphNetwork; save the run (a checkpoint) to keep it")
    _atomic.write_bytes(path, _io.seal(msg.SerializeToString()))


def describe(msg) -> dict:
    """NEAT facts of a champion or checkpoint message for ``gone info`` ({} when none)."""
    out = {}
    extra = msg.metadata.extra
    if "neat_nodes" in extra:
        out["champion"] = {"nodes": int(extra["neat_nodes"]),
                           "hidden_nodes": int(extra.get("neat_hidden") or 0),
                           "connections": int(extra["neat_connections"]),
                           "species": extra.get("neat_species", ""),
                           "genome": extra.get("neat_genome", ""),
                           "fitness": msg.metadata.fitness,
                           "generation": msg.metadata.generation}
    if is_neat(msg):
        run = msg.population.neat
        out["run"] = {"generation": msg.population.generation, "size": len(run.genomes),
                      "species": len(run.species), "solved": run.solved,
                      "evaluations": msg.population.evaluations,
                      "species_sizes": {str(s.key): len(s.members) for s in run.species}}
    return out


persistence.register_writer(NeatPopulation, save_population)
