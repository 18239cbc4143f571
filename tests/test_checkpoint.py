"""Population files: round trips, bit-identical resume, the best network, corrupt files."""

import json

import numpy as np
import pytest

import gone
from gone.format import network as gio
from gone.format import population as checkpoint
from gone.format.network import seal

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_net(dtype="float64"):
    return gone.Network([2, gone.Dense(4, "tanh"), gone.Dense(1, "sigmoid")], seed=0,
                        dtype=dtype)


@gone.vectorized
def noisy_fitness(stacked, rng):
    """Uses the generation's rng, so a resumed run must restore the RNG exactly."""
    x = X + rng.normal(0, 0.1, size=(len(stacked), 4, 2))
    return 4.0 - ((stacked.predict(x) - Y) ** 2).sum(axis=(1, 2))


def strategy(name):
    if name == "es":
        return gone.ES(sigma=0.2, learning_rate=0.05, weight_decay=0.01)
    return gone.GA(selection="tournament", elitism=2, crossover="uniform", mutation_decay=0.99,
                   shaping="centered_ranks")


def evolved(name, dtype="float64", generations=4):
    pop = gone.Population(xor_net(dtype), 10, strategy=strategy(name), seed=3, hall_of_fame=3)
    pop.settings["note"] = json.dumps({"task": "xor"})
    pop.run(noisy_fitness, generations)
    return pop


def same_history(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert list(ra) == list(rb)
        for key in ra:
            assert ra[key] == rb[key] or (np.isnan(ra[key]) and np.isnan(rb[key])), key
            assert type(ra[key]) is type(rb[key]), key


@pytest.mark.parametrize("name", ["ga", "es"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_save_load_round_trips_everything(tmp_path, name, dtype):
    pop = evolved(name, dtype)
    pop.save(tmp_path / "pop.gone")
    back = gone.load_population(tmp_path / "pop.gone")
    assert (back.size, back.generation, back.evaluations) == (pop.size, 4, 40)
    assert back.genomes.dtype == pop.genomes.dtype == np.dtype(dtype)
    assert np.array_equal(back.genomes, pop.genomes)
    assert np.array_equal(back.fitness, pop.fitness)
    assert back.template.sizes == pop.template.sizes
    hof, hof2 = pop.hall_of_fame, back.hall_of_fame
    assert hof2.capacity == hof.capacity == 3
    assert np.array_equal(hof2.genomes, hof.genomes) and hof2.genomes.dtype == hof.genomes.dtype
    assert np.array_equal(hof2.fitness, hof.fitness)
    assert np.array_equal(hof2.generations, hof.generations)
    same_history(back.history, pop.history)
    assert back.settings == pop.settings
    assert type(back.strategy) is type(pop.strategy)
    assert back.strategy == pop.strategy and back.strategy.settings() == pop.strategy.settings()
    assert back.rng.bit_generator.state == pop.rng.bit_generator.state
    assert np.array_equal(back.rng.random(5), pop.rng.random(5))
    if name == "es":
        assert np.array_equal(back.state.mean, pop.state.mean)
        assert back.state.mean.dtype == pop.state.mean.dtype
        s, s2 = pop.state, back.state
        assert s2.opt_step == s.opt_step == 4 and sorted(s2.opt_slots) == ["m", "v"]
        for slot in ("m", "v"):
            assert np.array_equal(s2.opt_slots[slot], s.opt_slots[slot])
            assert s2.opt_slots[slot].dtype == s.opt_slots[slot].dtype == np.dtype(dtype)
            assert np.any(s.opt_slots[slot])


def test_an_unevaluated_population_round_trips(tmp_path):
    pop = gone.Population(xor_net(), 6, seed=1)
    pop.save(tmp_path / "new.gone")
    back = gone.load_population(tmp_path / "new.gone")
    assert back.fitness is None and back.generation == 0 and len(back.hall_of_fame) == 0
    assert np.array_equal(back.ask(), pop.ask())


@pytest.mark.parametrize("name", ["ga", "es"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resume_is_bit_identical(tmp_path, name, dtype):
    n = 5
    a = gone.Population(xor_net(dtype), 10, strategy=strategy(name), seed=11)
    a.run(noisy_fitness, 2 * n)
    b = gone.Population(xor_net(dtype), 10, strategy=strategy(name), seed=11)
    b.run(noisy_fitness, n)
    b.save(tmp_path / "half.gone")
    del b
    c = gone.load_population(tmp_path / "half.gone")
    c.run(noisy_fitness, n)
    assert c.generation == a.generation == 2 * n
    assert np.array_equal(c.genomes, a.genomes) and c.genomes.dtype == a.genomes.dtype
    assert np.array_equal(c.fitness, a.fitness)
    assert np.array_equal(c.hall_of_fame.genomes, a.hall_of_fame.genomes)
    assert [h["best"] for h in c.history] == [h["best"] for h in a.history]
    if name == "es":
        assert np.array_equal(c.state.mean, a.state.mean)


def test_checkpoint_option_writes_a_resumable_file(tmp_path):
    path = tmp_path / "run.gone"
    pop = gone.Population(xor_net(), 10, seed=2)
    pop.run(noisy_fitness, 7, checkpoint=path, checkpoint_every=3)
    back = gone.load_population(path)
    assert back.generation == 7 and np.array_equal(back.genomes, pop.genomes)


def test_gone_load_of_a_population_file_is_the_population_and_its_network_the_best(tmp_path):
    pop = evolved("ga")
    gone.save(pop, tmp_path / "pop.gone")
    back = gone.load(tmp_path / "pop.gone")           # dispatches on the file's own message
    assert isinstance(back, gone.Population) and np.array_equal(back.genomes, pop.genomes)
    net = gio.load(tmp_path / "pop.gone")             # the network reader (gone predict, Go)
    assert isinstance(net, gone.Network)
    assert np.array_equal(net.genome(), pop.best.genome())
    assert net.metadata["fitness"] == pop.best_fitness
    assert net.metadata["generation"] == pop.hall_of_fame.generations[0]
    assert np.array_equal(net.predict(X), pop.best.predict(X))
    assert checkpoint.is_population(tmp_path / "pop.gone")


def test_a_plain_network_is_not_a_population(tmp_path):
    xor_net().save(tmp_path / "net.gone")
    assert not checkpoint.is_population(tmp_path / "net.gone")
    with pytest.raises(gone.GoneFormatError, match="not a population"):
        gone.load_population(tmp_path / "net.gone")


# --- corrupt files --------------------------------------------------------------------------

def write(tmp_path, msg):
    path = tmp_path / "bad.gone"
    path.write_bytes(seal(msg.SerializeToString()))
    return path


def corrupt_n_params(p):
    p.n_params += 1


def corrupt_genomes(p):
    del p.genomes.data[-3:]


def corrupt_genomes_shape(p):
    p.genomes.shape[:] = [p.size + 1, p.n_params]


def corrupt_rng(p):
    p.rng_state = '{"bit_generator": "PCG64", "state": '


def corrupt_rng_structure(p):
    p.rng_state = '{"bit_generator": "NoSuchGenerator", "state": {}}'


def corrupt_rng_values(p):
    p.rng_state = '{"bit_generator": "PCG64", "state": {"state": "x", "inc": 1}}'


def corrupt_fitness(p):
    del p.fitness[-1]


def corrupt_size(p):
    p.size = 1


def corrupt_strategy(p):
    p.strategy = "annealing"


def corrupt_settings_json(p):
    p.strategy_settings = "{elitism: 2"


def corrupt_settings_key(p):
    p.strategy_settings = json.dumps({"elitism": 2, "warp": 9})


def corrupt_settings_value(p):
    p.strategy_settings = json.dumps({"elitism": -1})


def corrupt_settings_type(p):
    p.strategy_settings = json.dumps({"mutation_rate": "lots"})


def corrupt_hall_of_fame(p):
    del p.hall_of_fame.data[-1]


def corrupt_hall_of_fame_nan(p):
    p.hall_of_fame_fitness[0] = float("nan")


def corrupt_history(p):
    p.history.shape[:] = [p.history.shape[0], p.history.shape[1] + 1]


def corrupt_genome_values(p):
    p.genomes.data[0] = float("inf")


@pytest.mark.parametrize("corrupt", [
    corrupt_n_params, corrupt_genomes, corrupt_genomes_shape, corrupt_rng, corrupt_rng_structure,
    corrupt_rng_values, corrupt_fitness, corrupt_size, corrupt_strategy, corrupt_settings_json,
    corrupt_settings_key, corrupt_settings_value, corrupt_settings_type, corrupt_hall_of_fame,
    corrupt_hall_of_fame_nan, corrupt_history, corrupt_genome_values,
], ids=lambda f: f.__name__.removeprefix("corrupt_"))
def test_corrupt_population_fields_are_format_errors(tmp_path, corrupt):
    msg = checkpoint.to_message(evolved("ga", generations=2))
    corrupt(msg.population)
    with pytest.raises(gone.GoneFormatError, match="bad.gone"):
        gone.load_population(write(tmp_path, msg))


def corrupt_es_state(p):
    del p.strategy_state["mean"].data[-1]


def corrupt_es_state_missing(p):
    del p.strategy_state["mean"]


def corrupt_es_optimizer(p):
    del p.strategy_state["opt_slots.m"].data[-1]


def corrupt_es_step(p):
    p.strategy_state["opt_step"].data[0] = 2.5


def corrupt_es_unknown_field(p):
    p.strategy_state["warp"].CopyFrom(p.strategy_state["mean"])


@pytest.mark.parametrize("corrupt", [corrupt_es_state, corrupt_es_state_missing,
                                     corrupt_es_optimizer, corrupt_es_step,
                                     corrupt_es_unknown_field],
                         ids=lambda f: f.__name__.removeprefix("corrupt_"))
def test_corrupt_es_state_is_a_format_error(tmp_path, corrupt):
    msg = checkpoint.to_message(evolved("es", generations=2))
    corrupt(msg.population)
    with pytest.raises(gone.GoneFormatError, match="bad.gone"):
        gone.load_population(write(tmp_path, msg))


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.99])
def test_truncated_population_file_is_a_format_error(tmp_path, keep):
    pop = evolved("es", generations=2)
    pop.save(tmp_path / "pop.gone")
    data = (tmp_path / "pop.gone").read_bytes()
    path = tmp_path / "cut.gone"
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(gone.GoneFormatError, match="cut.gone"):
        gone.load_population(path)
    with pytest.raises(gone.GoneFormatError):
        gone.load(path)


# --- files written before strategies were data ------------------------------------------

# tests/data/population_v1_*.gone were written by gone before this layout (the ES
# optimizer in its own message), each after 3 generations of noisy_fitness from
# seed 3; the hashes are of the genomes that code reached after 2 more.
PREVIOUS = {
    "ga": ("dd001bf8920ffea51e5c5315a3e05a8dd980db5fa5b28e718a35f9741a7914f4", 3.074672210436561),
    "es": ("8cb662b68262f6d4397827ff657a411b4cc30033e535e958633e4dd734074f1c", 3.0770623188554955),
}


@pytest.mark.parametrize("name", ["ga", "es"])
def test_files_of_the_previous_layout_load_and_resume_as_before(name):
    import hashlib
    from pathlib import Path

    path = Path(__file__).parent / "data" / f"population_v1_{name}.gone"
    pop = gone.load_population(path)
    assert (pop.generation, pop.size, pop.settings) == (3, 10, {"note": "old"})
    if name == "es":  # the optimizer given as gone.Adam(lr=0.02) keeps its step size and moments
        assert pop.strategy.optimizer == "adam" and pop.strategy.optimizer_params["lr"] == 0.02
        assert pop.state.opt_step == 3 and sorted(pop.state.opt_slots) == ["m", "v"]
        assert pop.state.mean.dtype == np.float32
    pop.run(noisy_fitness, 2)
    digest, best = PREVIOUS[name]
    assert hashlib.sha256(pop.genomes.tobytes()).hexdigest() == digest
    assert pop.best_fitness == best


# --- hybrids: settings saved, data re-attached, resumed bit for bit ----------------------

def hybrid(kind, data=True):
    x, y = (X, Y) if data else (None, None)
    if kind == "lamarckian":
        return gone.Lamarckian(x, y, steps=3, optimizer=gone.Adam(lr=0.05), batch_size=2, top=2)
    return gone.Baldwinian(x, y, steps=2, optimizer="sgd", batch_size=3)


@pytest.mark.parametrize("kind", ["lamarckian", "baldwinian"])
@pytest.mark.parametrize("name", ["ga", "es"])
def test_hybrid_settings_round_trip_and_resume_needs_the_data(tmp_path, kind, name):
    a = gone.Population(xor_net(), 10, strategy=strategy(name), seed=1, refine=hybrid(kind))
    a.run(noisy_fitness, 2)
    a.save(tmp_path / "h.gone")
    back = gone.load_population(tmp_path / "h.gone")
    assert back.refine.settings() == a.refine.settings() and type(back.refine) is type(a.refine)
    assert not back.refine.has_data
    with pytest.raises(gone.ConfigError, match=f"{kind} learning.*attach_data"):
        back.run(noisy_fitness, 1)
    assert back.generation == 2  # nothing ran
    back.attach_data(X, Y)
    a.run(noisy_fitness, 3)
    back.run(noisy_fitness, 3)
    assert np.array_equal(back.genomes, a.genomes) and np.array_equal(back.fitness, a.fitness)
    if name == "es":
        assert np.array_equal(back.state.mean, a.state.mean)
    with_data = gone.load_population(tmp_path / "h.gone", data=(X, Y))
    assert with_data.refine.has_data


HYBRID_SCRIPT = '''
import sys, time
import numpy as np
import gone

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])

@gone.vectorized
def fitness(stacked, rng):
    time.sleep(float(sys.argv[3]))  # slow enough to be killed; no effect on the bits
    x = X + rng.normal(0, 0.1, size=(len(stacked), 4, 2))
    return 4.0 - ((stacked.predict(x) - Y) ** 2).sum(axis=(1, 2))

path, mode = sys.argv[1], sys.argv[2]
if mode == "new":
    net = gone.Network([2, gone.Dense(4, "tanh"), gone.Dense(1, "sigmoid")], seed=0)
    refine = gone.Lamarckian(X, Y, steps=3, optimizer=gone.Adam(lr=0.05), batch_size=2, top=2)
    pop = gone.Population(net, 20, strategy=gone.GA(elitism=2, mutation_rate=0.3), seed=9,
                          refine=refine)
else:
    pop = gone.load_population(path, data=(X, Y))
pop.run(fitness, 40 - pop.generation, checkpoint=path, checkpoint_every=1)
'''


def test_a_killed_hybrid_run_resumes_bit_identically(tmp_path):
    import subprocess
    import sys
    import time

    script = tmp_path / "hybrid_run.py"
    script.write_text(HYBRID_SCRIPT)

    def start(path, mode, pause):
        return subprocess.Popen([sys.executable, str(script), str(tmp_path / path), mode, pause],
                                stderr=subprocess.PIPE, text=True)

    reference = start("ref.gone", "new", "0")
    victim = start("run.gone", "new", "0.1")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert victim.poll() is None, victim.stderr.read()
            path = tmp_path / "run.gone"
            if path.exists() and gone.load_population(path).generation >= 5:
                break
            time.sleep(0.02)
        victim.kill()
        victim.wait(timeout=30)
        killed = gone.load_population(tmp_path / "run.gone")
        assert 5 <= killed.generation < 40 and type(killed.refine) is gone.Lamarckian
        with pytest.raises(gone.ConfigError, match="attach_data"):
            killed.run(noisy_fitness, 1)  # without its data: an error, not a plain GA
        resumed = start("run.gone", "resume", "0")
        assert resumed.wait(timeout=120) == 0, resumed.stderr.read()
        assert reference.wait(timeout=120) == 0, reference.stderr.read()
    finally:
        for proc in (reference, victim):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    a, b = gone.load_population(tmp_path / "ref.gone"), gone.load_population(tmp_path / "run.gone")
    assert a.generation == b.generation == 40
    assert np.array_equal(a.genomes, b.genomes) and np.array_equal(a.fitness, b.fitness)
    assert np.array_equal(a.hall_of_fame.genomes, b.hall_of_fame.genomes)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


# --- a user's own strategy goes through the same generic routine -------------------------

from dataclasses import dataclass, replace  # noqa: E402

from gone.evolution.strategy import State, Strategy, count, register, vector  # noqa: E402


@dataclass(frozen=True)
class WalkState(State):
    centre: np.ndarray = vector(default=None)
    improved: int = count(default=0)


@register
@dataclass(frozen=True)
class RandomWalk(Strategy):
    """Sample around a centre; move the centre to any better sample."""

    step: float = 0.3
    name = "test_random_walk"
    state_class = WalkState

    def init(self, template, size, rng):
        centre = template.genome()
        return WalkState(np.repeat(centre[None], size, 0), np.empty(0), 0, centre=centre)

    def ask(self, state, rng):
        noise = rng.normal(0, self.step, state.genomes.shape).astype(state.centre.dtype)
        return state.centre + noise, state

    def tell(self, state, genomes, fitness):
        best = int(np.nanargmax(fitness))
        better = state.evaluated and fitness[best] > np.nanmax(state.fitness)
        centre = genomes[best] if better or not state.evaluated else state.centre
        return replace(state, genomes=genomes, fitness=fitness, generation=state.generation + 1,
                       centre=centre, improved=state.improved + int(better))


def test_a_registered_strategy_saves_loads_and_resumes_by_name(tmp_path):
    a = gone.Population(xor_net(), 8, strategy="test_random_walk", seed=2)
    a.run(noisy_fitness, 6)
    b = gone.Population(xor_net(), 8, strategy=RandomWalk(), seed=2)
    b.run(noisy_fitness, 3)
    b.save(tmp_path / "walk.gone")
    c = gone.load_population(tmp_path / "walk.gone")
    assert c.strategy == RandomWalk() and isinstance(c.state, WalkState)
    assert c.state.improved == b.state.improved and np.array_equal(c.state.centre, b.state.centre)
    c.run(noisy_fitness, 3)
    assert np.array_equal(c.genomes, a.genomes) and c.state.improved == a.state.improved


@pytest.mark.parametrize("text", ["{elitism: 2", "[1, 2]", "null", "[" * 5000])
def test_gone_info_describes_a_population_with_unreadable_settings(tmp_path, text):
    import subprocess
    import sys

    msg = checkpoint.to_message(evolved("ga", generations=1))
    msg.population.strategy_settings = text
    msg.population.extra["gone.hybrid"] = text
    path = write(tmp_path, msg)
    facts = checkpoint.describe(msg)
    assert isinstance(facts["strategy_settings"], dict)
    result = subprocess.run([sys.executable, "-m", "gone", "info", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 2) and "Traceback" not in result.stderr
    with pytest.raises(gone.GoneFormatError, match="settings"):
        gone.load_population(path)
