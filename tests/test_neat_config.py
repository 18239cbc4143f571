"""neat-python INI configs read unchanged; unknown keys are errors with the line number."""

import pytest
from neat_configs import CTRNN, PENDULUM, XOR

from gone.errors import ConfigError
from gone.neat import read_config
from gone.neat.config import GONE_KEYS, IGNORED_KEYS


def test_xor_example_config():
    c = read_config(text=XOR)
    assert (c.pop_size, c.fitness_threshold, c.fitness_criterion) == (150, 3.9, "max")
    g = c.genome
    assert (g.num_inputs, g.num_outputs, g.num_hidden, g.feed_forward) == (2, 1, 0, True)
    assert g.initial_connection == "full_direct"          # neat-python: 'full' means full_direct
    assert g.activation_options == ("sigmoid",) and g.aggregation_default == "sum"
    assert (g.weight.mutate_rate, g.weight.replace_rate, g.weight.mutate_power) == (0.8, 0.1, 0.5)
    assert (g.weight.max_value, g.weight.min_value) == (30.0, -30.0)
    assert (g.bias.mutate_rate, g.response.init_mean, g.response.init_stdev) == (0.7, 1.0, 0.0)
    assert (g.conn_add_prob, g.node_add_prob, g.enabled_mutate_rate) == (0.5, 0.2, 0.01)
    assert g.compatibility_weight_coefficient == 0.5 and not g.single_structural_mutation
    assert (c.compatibility_threshold, c.species_fitness_func, c.max_stagnation) == (3.0, "max", 20)
    assert (c.species_elitism, c.elitism, c.survival_threshold, c.min_species_size) == (2, 2, 0.2, 2)


def test_pendulum_example_config_partial_and_several_activations():
    c = read_config(text=PENDULUM)
    assert c.genome.initial_connection == "partial_direct" and c.genome.connection_fraction == 0.5
    assert c.genome.activation_options == ("tanh", "sigmoid", "relu")
    assert c.reset_on_extinction is False and c.elitism == 3
    assert c.genome.response.init_stdev == 0.1


def test_recurrent_example_config():
    c = read_config(text=CTRNN)
    assert c.genome.feed_forward is False and c.no_fitness_termination and c.reset_on_extinction
    assert (c.genome.weight.max_value, c.genome.weight.init_stdev) == (5.0, 2.0)


def test_unknown_key_names_file_and_line(tmp_path):
    path = tmp_path / "neat.ini"
    path.write_text(XOR.replace("conn_add_prob ", "conn_ad_prob "))
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if "conn_ad_prob" in l)
    with pytest.raises(ConfigError, match=rf"neat.ini: line {line}: unknown key 'conn_ad_prob'.*conn_add_prob"):
        read_config(path)


def _line(key: str) -> int:
    """The line of ``key`` in neat-python's XOR config (1-based)."""
    return next(i for i, line in enumerate(XOR.splitlines(), 1) if line.startswith(key))


@pytest.mark.parametrize("change, message", [
    (("[DefaultStagnation]", "[MyStagnation]"), r"line \d+: unknown section \[MyStagnation\]"),
    (("pop_size              = 150", "pop_size = many"), r"line 4: \[NEAT\] pop_size = 'many': expected int"),
    (("activation_options      = sigmoid", "activation_options = sigmoidal"), "unknown activation 'sigmoidal'"),
    (("initial_connection      = full", "initial_connection = partial_direct"), "needs a fraction"),
    (("species_fitness_func = max", "species_fitness_func = best"), "expected max, min, mean or median"),
    (("fitness_threshold     = 3.9\n", ""), r"\[NEAT\] is missing fitness_threshold"),
    # the key at fault is the one named, with its line
    (("activation_default      = sigmoid", "activation_default = foo"),
     rf"line {_line('activation_default')}: \[DefaultGenome\] activation_default = 'foo': "
     "unknown activation 'foo'"),
    (("bias_max_value          = 30.0", "bias_max_value = -40"),
     rf"line {_line('bias_max_value')}: \[DefaultGenome\] bias_max_value = '-40': below "
     "bias_min_value = -30"),
    (("weight_init_stdev       = 1.0", "weight_init_stdev = -1"),
     r"weight_init_stdev = '-1': must not be negative"),
    (("elitism            = 2", "elitism = 1000"),
     r"\[DefaultReproduction\] elitism = '1000': more than pop_size = 150"),
    (("min_species_size               = 2", "min_species_size = 151"),
     r"min_species_size = '151': more than pop_size = 150"),
])
def test_bad_values_are_config_errors(change, message):
    with pytest.raises(ConfigError, match=message):
        read_config(text=XOR.replace(*change))


def test_ignored_and_gone_keys_are_accepted_and_documented():
    text = XOR.replace("[DefaultSpeciesSet]\n", "[DefaultSpeciesSet]\ntarget_num_species = 5\n")
    text = text.replace("[DefaultGenome]\n", "[DefaultGenome]\ntime_constant_init_mean = 1.0\n")
    c = read_config(text=text + "\n")
    assert c.target_num_species == 5
    assert ("DefaultGenome", "time_constant_init_mean") in IGNORED_KEYS
    assert ("DefaultSpeciesSet", "target_num_species") in GONE_KEYS


def test_neat_python_reads_the_same_files(tmp_path):
    """The configs in these tests are neat-python's own: neat-python itself accepts them."""
    neat = pytest.importorskip("neat", reason="neat-python (the bench extra) is not installed")
    for name, text in (("xor", XOR), ("pendulum", PENDULUM), ("ctrnn", CTRNN)):
        path = tmp_path / name
        path.write_text(text)
        c = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                        neat.DefaultStagnation, str(path))
        mine = read_config(path)
        assert c.pop_size == mine.pop_size
        assert c.genome_config.num_inputs == mine.genome.num_inputs
        assert c.genome_config.compatibility_weight_coefficient == \
            mine.genome.compatibility_weight_coefficient
