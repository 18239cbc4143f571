"""The configs ``gone evolve TASK --strategy neat`` uses without ``--config``.

XOR uses neat-python's own XOR example config (population 150, threshold
3.9), so a run compares one to one with neat-python's example. Other tasks
start from it with the task's inputs and outputs, tanh nodes (centred, so
controllers start near "do nothing" rather than saturated) and no fitness
threshold (the task decides when it is solved, on unseen episodes).
"""

from __future__ import annotations

from dataclasses import replace

from .config import NeatConfig, read_config

XOR_CONFIG = """\
# neat-python's examples/xor/config-feedforward
[NEAT]
fitness_criterion     = max
fitness_threshold     = 3.9
pop_size              = 150
reset_on_extinction   = False
no_fitness_termination = False

[DefaultGenome]
activation_default      = sigmoid
activation_mutate_rate  = 0.0
activation_options      = sigmoid
aggregation_default     = sum
aggregation_mutate_rate = 0.0
aggregation_options     = sum
bias_init_mean          = 0.0
bias_init_stdev         = 1.0
bias_max_value          = 30.0
bias_min_value          = -30.0
bias_mutate_power       = 0.5
bias_mutate_rate        = 0.7
bias_replace_rate       = 0.1
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient   = 0.5
conn_add_prob           = 0.5
conn_delete_prob        = 0.5
enabled_default         = True
enabled_mutate_rate     = 0.01
feed_forward            = True
initial_connection      = full
node_add_prob           = 0.2
node_delete_prob        = 0.2
num_hidden              = 0
num_inputs              = 2
num_outputs             = 1
response_init_mean      = 1.0
response_init_stdev     = 0.0
response_max_value      = 30.0
response_min_value      = -30.0
response_mutate_power   = 0.0
response_mutate_rate    = 0.0
response_replace_rate   = 0.0
weight_init_mean        = 0.0
weight_init_stdev       = 1.0
weight_max_value        = 30
weight_min_value        = -30
weight_mutate_power     = 0.5
weight_mutate_rate      = 0.8
weight_replace_rate     = 0.1
single_structural_mutation = false
structural_mutation_surer  = default
bias_init_type          = gaussian
response_init_type      = gaussian
weight_init_type        = gaussian
enabled_rate_to_true_add  = 0.0
enabled_rate_to_false_add = 0.0

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
min_species_size   = 2
"""


def xor_config(**overrides) -> NeatConfig:
    """neat-python's XOR example config (``overrides`` as in :func:`read_config`)."""
    return read_config(text=XOR_CONFIG, **overrides)


def control_config(n_inputs: int, n_outputs: int, pop_size: int = 100) -> NeatConfig:
    """A config for controllers (Gymnasium, games): the XOR settings with tanh nodes."""
    config = xor_config(pop_size=pop_size, no_fitness_termination=True,
                        fitness_threshold=float("inf"))
    return replace(config.with_genome(num_inputs=n_inputs, num_outputs=n_outputs,
                                      activation_default="tanh", activation_options=("tanh",)),
                   target_num_species=0)
