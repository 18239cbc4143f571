"""NEAT settings, read from neat-python's INI files unchanged.

A neat-python config has five sections; every key keeps neat-python's name and
meaning::

    [NEAT]                 fitness_criterion, fitness_threshold, pop_size, ...
    [DefaultGenome]        num_inputs, num_outputs, activation_*, bias_*, weight_*, ...
    [DefaultSpeciesSet]    compatibility_threshold
    [DefaultStagnation]    species_fitness_func, max_stagnation, species_elitism
    [DefaultReproduction]  elitism, survival_threshold, min_species_size

An unknown section or key is a :class:`~gone.errors.ConfigError` naming the
file and line. Keys gone reads but does not act on are listed in
:data:`IGNORED_KEYS`. gone's own additions (all optional) are listed in
:data:`GONE_KEYS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .._base.registry import suggest
from ..errors import ConfigError
from .activations import names as activation_names

#: Keys neat-python knows that change nothing here, and why.
IGNORED_KEYS = {
    **{("DefaultGenome", f"time_constant_{s}"): "neat-python 2's CTRNN node time constant; "
       "gone's NEAT has no CTRNN, so the value is read and unused"
       for s in ("init_mean", "init_stdev", "init_type", "replace_rate", "mutate_rate",
                 "mutate_power", "max_value", "min_value")},
}

#: Keys gone adds to neat-python's sections; a neat-python file never needs them.
GONE_KEYS = {
    ("DefaultSpeciesSet", "target_num_species"): "hold about this many species by moving the "
    "compatibility threshold (0 = fixed threshold, neat-python's behaviour)",
    ("DefaultSpeciesSet", "threshold_adjust"): "step of that move (default 0.1)",
}

AGGREGATIONS = ("sum", "product", "max", "min", "mean", "median", "maxabs")
INITIAL_CONNECTIONS = ("unconnected", "fs_neat_nohidden", "fs_neat_hidden", "fs_neat",
                       "full_nodirect", "full_direct", "full", "partial_nodirect",
                       "partial_direct", "partial")


@dataclass(frozen=True)
class FloatGene:
    """One float attribute (bias, response, weight): how it starts, mutates and is clamped."""

    init_mean: float = 0.0
    init_stdev: float = 1.0
    init_type: str = "gaussian"
    replace_rate: float = 0.0
    mutate_rate: float = 0.0
    mutate_power: float = 0.0
    max_value: float = 30.0
    min_value: float = -30.0


@dataclass(frozen=True)
class GenomeConfig:
    """``[DefaultGenome]``: the shape of genomes and the rates of every mutation."""

    num_inputs: int = 2
    num_outputs: int = 1
    num_hidden: int = 0
    feed_forward: bool = True
    initial_connection: str = "full_direct"
    connection_fraction: float = 1.0
    compatibility_disjoint_coefficient: float = 1.0
    compatibility_weight_coefficient: float = 0.5
    conn_add_prob: float = 0.5
    conn_delete_prob: float = 0.5
    node_add_prob: float = 0.2
    node_delete_prob: float = 0.2
    single_structural_mutation: bool = False
    structural_mutation_surer: str = "default"
    activation_default: str = "sigmoid"
    activation_options: tuple = ("sigmoid",)
    activation_mutate_rate: float = 0.0
    aggregation_default: str = "sum"
    aggregation_options: tuple = ("sum",)
    aggregation_mutate_rate: float = 0.0
    bias: FloatGene = FloatGene(0.0, 1.0, "gaussian", 0.1, 0.7, 0.5)
    response: FloatGene = FloatGene(1.0, 0.0, "gaussian", 0.0, 0.0, 0.0)
    weight: FloatGene = FloatGene(0.0, 1.0, "gaussian", 0.1, 0.8, 0.5)
    enabled_default: str = "true"
    enabled_mutate_rate: float = 0.01
    enabled_rate_to_true_add: float = 0.0
    enabled_rate_to_false_add: float = 0.0

    @property
    def surer(self) -> bool:
        """structural_mutation_surer as a bool (``default`` follows single_structural_mutation)."""
        if self.structural_mutation_surer == "default":
            return self.single_structural_mutation
        return self.structural_mutation_surer == "true"


@dataclass(frozen=True)
class NeatConfig:
    """All five sections; build one directly or with :func:`read_config`."""

    genome: GenomeConfig = field(default_factory=GenomeConfig)
    fitness_criterion: str = "max"
    fitness_threshold: float = 3.9
    pop_size: int = 150
    reset_on_extinction: bool = False
    no_fitness_termination: bool = False
    seed: int = 0
    compatibility_threshold: float = 3.0
    target_num_species: int = 0
    threshold_adjust: float = 0.1
    species_fitness_func: str = "mean"
    max_stagnation: int = 15
    species_elitism: int = 0
    elitism: int = 0
    survival_threshold: float = 0.2
    min_species_size: int = 1

    def with_genome(self, **changes) -> "NeatConfig":
        """A copy whose genome settings have ``changes`` (e.g. ``num_inputs=4``)."""
        return replace(self, genome=replace(self.genome, **changes))


# --- the INI reader ----------------------------------------------------------------

_FLOAT_SUFFIXES = tuple(f.name for f in fields(FloatGene))
_SECTIONS = {
    "NEAT": {"fitness_criterion", "fitness_threshold", "pop_size", "reset_on_extinction",
             "no_fitness_termination", "seed"},
    "DefaultGenome": ({f.name for f in fields(GenomeConfig)}
                      - {"bias", "response", "weight", "connection_fraction"}
                      | {f"{a}_{s}" for a in ("bias", "response", "weight")
                         for s in _FLOAT_SUFFIXES}
                      | {k for sec, k in IGNORED_KEYS if sec == "DefaultGenome"}),
    "DefaultSpeciesSet": {"compatibility_threshold", "target_num_species", "threshold_adjust"},
    "DefaultStagnation": {"species_fitness_func", "max_stagnation", "species_elitism"},
    "DefaultReproduction": {"elitism", "survival_threshold", "min_species_size"},
}
_REQUIRED = {"NEAT": {"fitness_criterion", "fitness_threshold", "pop_size"},
             "DefaultGenome": {"num_inputs", "num_outputs"}}


def _lines(text: str, source: str) -> dict:
    """``{section: {key: (value, line)}}`` from INI text (``#``/``;`` comments, ``=`` or ``:``)."""
    out: dict = {}
    section = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        where = f"{source}: line {number}"
        if line.startswith("["):
            if not line.endswith("]"):
                raise ConfigError(f"{where}: a section header must end with ']': {line!r}")
            section = line[1:-1].strip()
            if section not in _SECTIONS:
                raise ConfigError(f"{where}: unknown section [{section}] "
                                  f"(known: {', '.join(_SECTIONS)})")
            if section in out:
                raise ConfigError(f"{where}: section [{section}] given twice")
            out[section] = {}
            continue
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep <= 0:
            raise ConfigError(f"{where}: expected 'key = value', got {line!r}")
        if section is None:
            raise ConfigError(f"{where}: {line!r} comes before any [section]")
        key, value = line[:sep].strip(), line[sep + 1:].strip()
        for mark in (" #", " ;", "\t#", "\t;"):  # inline comments, as configparser allows
            value = value.split(mark)[0].strip()
        if key not in _SECTIONS[section]:
            raise ConfigError(f"{where}: unknown key {key!r} in [{section}]"
                              f"{suggest(key, sorted(_SECTIONS[section]))}")
        if key in out[section]:
            raise ConfigError(f"{where}: key {key!r} given twice in [{section}]")
        out[section][key] = (value, number)
    return out


class _Reader:
    """Typed values of one section, each error naming the file and line."""

    def __init__(self, items: dict, section: str, source: str):
        self.items, self.section, self.source = items, section, source

    def _raw(self, key):
        return self.items[key]

    def fail(self, key, what: str) -> ConfigError:
        value, line = self.items[key]
        return ConfigError(f"{self.source}: line {line}: [{self.section}] {key} = {value!r}: {what}")

    def get(self, key, kind, default):
        if key not in self.items:
            return default
        value = self.items[key][0]
        try:
            if kind is bool:
                low = value.lower()
                if low not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError
                return low in ("true", "1", "yes", "on")
            if kind is int:
                return int(value)
            if kind is float:
                number = float(value)
                if math.isnan(number):
                    raise ValueError
                return number
            if kind is tuple:
                return tuple(value.split())
            return value
        except ValueError:
            raise self.fail(key, f"expected {getattr(kind, '__name__', kind)}") from None


def _genome(r: _Reader) -> GenomeConfig:
    base = GenomeConfig()
    values = {}
    for f in fields(GenomeConfig):
        if f.name in ("bias", "response", "weight"):
            default = getattr(base, f.name)
            values[f.name] = FloatGene(**{
                s: r.get(f"{f.name}_{s}", type(getattr(default, s)), getattr(default, s))
                for s in _FLOAT_SUFFIXES})
        elif f.name != "connection_fraction":
            kind = tuple if f.name.endswith("_options") else type(getattr(base, f.name))
            values[f.name] = r.get(f.name, kind, getattr(base, f.name))
    values["initial_connection"], values["connection_fraction"] = _initial(r)
    config = GenomeConfig(**values)
    _check_genome(config, r)
    return config


def _initial(r: _Reader) -> tuple[str, float]:
    """``initial_connection = partial_nodirect 0.5`` -> ``("partial_nodirect", 0.5)``."""
    if "initial_connection" not in r.items:
        return "unconnected", 1.0
    words = r.items["initial_connection"][0].split()
    if not words or words[0] not in INITIAL_CONNECTIONS:
        raise r.fail("initial_connection", f"expected one of {', '.join(INITIAL_CONNECTIONS)}")
    name = {"fs_neat": "fs_neat_hidden", "full": "full_direct", "partial": "partial_direct"}.get(
        words[0], words[0])
    if name.startswith("partial"):
        try:
            fraction = float(words[1])
        except (IndexError, ValueError):
            raise r.fail("initial_connection", "partial connection needs a fraction, "
                         "e.g. 'partial_direct 0.5'") from None
        if not 0 <= fraction <= 1:
            raise r.fail("initial_connection", "the fraction must be in [0, 1]")
        return name, fraction
    return name, 1.0


def _check_genome(g: GenomeConfig, r: _Reader) -> None:
    def bad(key, what):
        return r.fail(key, what) if key in r.items else ConfigError(f"{r.source}: {key}: {what}")

    if g.num_inputs < 1 or g.num_outputs < 1 or g.num_hidden < 0:
        key = "num_inputs" if g.num_inputs < 1 else "num_outputs" if g.num_outputs < 1 else "num_hidden"
        raise bad(key, "needs at least one input and one output, and no negative hidden count")
    for kind, known in (("activation", activation_names()), ("aggregation", AGGREGATIONS)):
        options, default = getattr(g, kind + "_options"), getattr(g, kind + "_default")
        for key, names in ((kind + "_options", options), (kind + "_default", (default,))):
            for name in names:
                if name not in known and name not in ("random", "none"):
                    raise bad(key, f"unknown {kind} {name!r} (known: {', '.join(known)})")
    if g.structural_mutation_surer not in ("default", "true", "false"):
        raise bad("structural_mutation_surer", "expected default, true or false")
    if g.enabled_default.lower() not in ("true", "false", "random", "none"):
        raise bad("enabled_default", "expected True, False or random")
    for name in ("bias", "response", "weight"):
        gene = getattr(g, name)
        if gene.init_type.lower() not in ("gaussian", "normal", "uniform"):
            raise bad(f"{name}_init_type", "expected gaussian or uniform")
        # values are clamped to [min_value, max_value]: an empty range would pin every one
        if not gene.min_value <= gene.max_value:
            raise bad(f"{name}_max_value", f"below {name}_min_value = {gene.min_value:g}")
        for part in ("init_stdev", "mutate_power"):
            if not getattr(gene, part) >= 0:
                raise bad(f"{name}_{part}", "must not be negative")


def read_config(path=None, text: str | None = None, **overrides) -> NeatConfig:
    """A :class:`NeatConfig` from a neat-python INI file (or its ``text``).

    ``overrides`` replace [NEAT]/species/stagnation/reproduction settings after
    reading (e.g. ``pop_size=50``). Raises ConfigError naming file and line.
    """
    source = str(path) if path is not None else "<config>"
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {source}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{source}: not UTF-8 text: {exc}") from None
    sections = _lines(text, source)
    for section, keys in _REQUIRED.items():
        if section not in sections:
            raise ConfigError(f"{source}: missing section [{section}]")
        missing = sorted(keys - set(sections[section]))
        if missing:
            raise ConfigError(f"{source}: [{section}] is missing {', '.join(missing)}")
    readers = {s: _Reader(sections.get(s, {}), s, source) for s in _SECTIONS}
    base = NeatConfig()
    values = {"genome": _genome(readers["DefaultGenome"])}
    for section in ("NEAT", "DefaultSpeciesSet", "DefaultStagnation", "DefaultReproduction"):
        for key in _SECTIONS[section]:
            values[key] = readers[section].get(key, type(getattr(base, key)), getattr(base, key))
    config = replace(NeatConfig(**values), **overrides)
    _check(config, readers)
    return config


def _check(c: NeatConfig, readers: dict) -> None:
    checks = [
        ("NEAT", "fitness_criterion", c.fitness_criterion in ("max", "min", "mean"),
         "expected max, min or mean"),
        ("NEAT", "pop_size", c.pop_size >= 2, "needs at least 2"),
        ("DefaultStagnation", "species_fitness_func",
         c.species_fitness_func in ("max", "min", "mean", "median"), "expected max, min, mean or median"),
        ("DefaultStagnation", "max_stagnation", c.max_stagnation >= 1, "must be at least 1"),
        ("DefaultReproduction", "survival_threshold", 0 < c.survival_threshold <= 1,
         "must be in (0, 1]"),
        ("DefaultReproduction", "elitism", c.elitism >= 0, "must not be negative"),
        # every species keeps at least this many: more than the population can never be met
        ("DefaultReproduction", "elitism", c.elitism <= c.pop_size,
         f"more than pop_size = {c.pop_size}"),
        ("DefaultReproduction", "min_species_size", c.min_species_size <= c.pop_size,
         f"more than pop_size = {c.pop_size}"),
        ("DefaultSpeciesSet", "compatibility_threshold", c.compatibility_threshold > 0,
         "must be positive"),
    ]
    for section, key, ok, what in checks:
        if not ok:
            r = readers[section]
            if key in r.items:
                raise r.fail(key, what)
            raise ConfigError(f"{key}: {what}")
