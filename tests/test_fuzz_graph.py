"""Seeded fuzzing of graph files: JSON and ``.gone`` loading raise only GraphError/GoneFormatError.

Thousands of damaged files (structural edits of the config with hostile
values, byte edits of the text and of ``.gone`` files, and re-sealed ``.gone``
messages with hostile fields, so the checksum does not stop them early) are
loaded in a subprocess under an address-space cap (``resource.setrlimit``)
and a CPU-time cap per file. Anything else (RecursionError, OverflowError,
ValueError, TypeError, MemoryError, a time-out) is a failure naming the case.
``GONE_FUZZ_CASES=20000`` runs more (2,500 per kind by default, a few seconds).

This file is also the worker: ``python test_fuzz_graph.py SEED CASES``.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import signal
import subprocess
import sys

import numpy as np

CASES = int(os.environ.get("GONE_FUZZ_CASES", "2500"))  # per format
MEMORY_CAP = 1 << 30        # bytes of address space for the worker
SECONDS_PER_FILE = 5.0      # CPU seconds; a small file needs milliseconds

HOSTILE = [None, True, False, 0, -1, 10 ** 400, -(10 ** 400), 1e308, 5e-324, "nan", "",
           "x" * 5000, [], {}, [1, 2], {"": 1}, {"bias": {}}, float("nan"), float("inf"),
           "\u00e9\u0000", "relu", ["a"] * 300, {"x1": 1e308, "x1 ": 1}, "ReLU(0.1)"]


def base_configs() -> list[dict]:
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "graph")
    out = [json.load(open(os.path.join(here, f))) for f in ("flip-flop.json", "gates.json")]
    out.append({"inputs": ["x"], "outputs": ["y"], "neurons": {
        "h": {"bias": 0.5, "activation": "leaky_relu", "activation_params": {"alpha": 0.2},
              "synapses": {"x": 1.5, "h": -0.5, "y": 0.25}},
        "y": {"activation": "tanh", "synapses": {"h": 2.0}}}})
    return out


def _nodes(obj, path=()):
    """Every (path, value) in a JSON tree."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _nodes(v, path + (i,))


def mutate_config(config: dict, rng) -> str:
    """JSON text of ``config`` with one to three hostile structural edits, or a text edit."""
    config = json.loads(json.dumps(config))
    for _ in range(int(rng.integers(1, 4))):
        nodes = list(_nodes(config))
        path, _ = nodes[int(rng.integers(len(nodes)))]
        if not path:
            continue
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        op = rng.integers(4)
        if op == 0:
            parent[path[-1]] = copy.deepcopy(HOSTILE[int(rng.integers(len(HOSTILE)))])
        elif op == 1 and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == 2 and isinstance(parent, dict):  # rename a key
            parent[str(path[-1]) + "_"] = parent.pop(path[-1])
        else:
            parent[path[-1]] = [parent[path[-1]]] if rng.random() < 0.5 else {"k": parent[path[-1]]}
    text = json.dumps(config)
    roll = rng.random()
    if roll < 0.05:
        return "[" * 100_000 + "]" * 100_000  # deep nesting: RecursionError in json
    if roll < 0.1:
        return text.replace("{", '{"inputs": [], ', 1)  # a duplicate key
    if roll < 0.3:
        return mutate_bytes(text.encode(), rng).decode("utf-8", "replace")
    return text


def mutate_bytes(data: bytes, rng) -> bytes:
    buf = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        pos = int(rng.integers(0, len(buf) + 1))
        op = rng.integers(5)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << int(rng.integers(8))
        elif op == 1:
            buf[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
        elif op == 2:
            del buf[pos:pos + int(rng.integers(1, 9))]
        elif op == 3:
            del buf[pos:]
        else:
            buf[pos:pos + 8] = np.array([rng.choice([np.nan, np.inf, 1e308, 2.0 ** 62])]).tobytes()
    return bytes(buf)


def hostile_message(config: dict, rng) -> bytes:
    """A sealed ``.gone`` graph message with hostile fields (the checksum is valid)."""
    from gone.format import graph as gio
    from gone.format import network as nio
    from gone.graph import GraphNetwork

    msg = gio.to_message(GraphNetwork.from_config(config))
    neuron = msg.graph.neurons[int(rng.integers(len(msg.graph.neurons)))]
    op = rng.integers(9)
    if op == 0:
        neuron.bias = float(rng.choice([np.nan, np.inf, -np.inf, 1e308]))
    elif op == 1 and neuron.synapses:
        neuron.synapses[0].weight = float(rng.choice([np.nan, np.inf]))
    elif op == 2:
        neuron.activation = str(rng.choice(["", "softmax", "nope", "leaky_relu", "\u00e9"]))
    elif op == 3:
        neuron.activation_params[str(rng.choice(["alpha", "", "beta", "zz"]))] = float(
            rng.choice([np.nan, -1.0, 1e308, 0.5]))
    elif op == 4:
        neuron.state = float(rng.choice([np.nan, np.inf, 1e308]))
    elif op == 5:
        neuron.synapses.add(source=str(rng.choice(["", "ghost", neuron.name])), weight=1.0)
    elif op == 6:
        msg.graph.outputs.append(str(rng.choice(["", "x", neuron.name, "ghost"])))
    elif op == 7:
        msg.graph.neurons.add(name=str(rng.choice(["", neuron.name, "x", "r"])))
    else:
        del msg.graph.inputs[:]
    data = nio.seal(msg.SerializeToString())
    return mutate_bytes(data, rng) if rng.random() < 0.2 else data


class _TimeUp(Exception):
    pass


def _on_alarm(signum, frame):
    raise _TimeUp()


def _timed(kind: str, case: int, load, problems: list, outcomes: dict) -> None:
    """Run ``load()`` under the per-file CPU cap; record its outcome."""
    from gone.errors import GoneFormatError, GraphError

    signal.setitimer(signal.ITIMER_PROF, SECONDS_PER_FILE)
    try:
        load()
        outcome = "ok"
    except (GraphError, GoneFormatError) as exc:
        outcome = type(exc).__name__
    except _TimeUp:
        outcome = "slow"
        problems.append(f"{kind} case {case}: over {SECONDS_PER_FILE} CPU seconds")
    except BaseException as exc:  # noqa: BLE001 - what the test is looking for
        outcome = "undocumented"
        problems.append(f"{kind} case {case}: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    counts = outcomes.setdefault(kind, {})
    counts[outcome] = counts.get(outcome, 0) + 1


def run(seed: int, cases: int) -> tuple[list[str], dict]:
    """Load ``cases`` damaged files of each format; one line per undocumented outcome."""
    from gone.format import graph as gio

    signal.signal(signal.SIGPROF, _on_alarm)
    rng = np.random.default_rng(seed)
    configs = base_configs()
    sealed = [gio.dumps(gio.GraphNetwork.from_config(c)) for c in configs]
    problems: list = []
    outcomes: dict = {}
    for case in range(cases):
        config = configs[case % len(configs)]
        text = mutate_config(config, rng)
        _timed("json", case, lambda t=text: gio.from_json(t, "f.json"), problems, outcomes)
        data = mutate_bytes(sealed[case % len(sealed)], rng)
        _timed("gone-bytes", case, lambda d=data: gio.loads(d, "f.gone"), problems, outcomes)
        data = hostile_message(config, rng)
        _timed("gone-msg", case, lambda d=data: gio.loads(d, "f.gone"), problems, outcomes)
    return problems, outcomes


POPULATION_JUNK = ["", "{", "[]", "null", "1e999", '{"a": [1, 2]}', '"x"', '{"selection": 5}',
                   "\u0000", "[" * 5000]


def hostile_population(data: bytes, rng) -> bytes:
    """A population file with one hostile field, re-sealed (the checksum is valid)."""
    from gone._proto import gone_pb2 as pb
    from gone.format import network as nio

    msg = pb.NeuralNetwork()
    msg.ParseFromString(data)
    msg.ClearField("crc32")
    pop, junk = msg.population, POPULATION_JUNK[int(rng.integers(len(POPULATION_JUNK)))]
    op = rng.integers(6)
    if op == 0:
        pop.strategy_settings = junk
    elif op == 1:
        pop.rng_state = junk
    elif op == 2:
        pop.strategy = junk
    elif op == 3:
        pop.size = int(rng.choice([-1, 0, 2 ** 40]))
    elif op == 4:
        pop.history_columns.append(junk)
    else:
        pop.generation = int(rng.choice([-5, 2 ** 62]))
    return nio.seal(msg.SerializeToString())


def info_files(folder: str, rng, cases: int):
    """Damaged network, population and graph files for ``gone info``."""
    import gone

    net = gone.Network([2, gone.Dense(3, "tanh"), 1], seed=0)
    pop = gone.Population(net, 6, seed=1)
    bases = [gone.format.network.dumps(net)]
    pop.save(os.path.join(folder, "pop.gone"))
    bases.append(open(os.path.join(folder, "pop.gone"), "rb").read())
    configs = base_configs()
    for case in range(cases):
        path = os.path.join(folder, f"{case}.gone")
        kind = case % 4
        data = (hostile_message(configs[case % len(configs)], rng) if kind == 2
                else hostile_population(bases[1], rng) if kind == 3
                else mutate_bytes(bases[kind], rng))
        with open(path, "wb") as fh:
            fh.write(data)
        yield case, path


def run_info(seed: int, cases: int, folder: str) -> tuple[list[str], dict]:
    """``gone info`` on damaged files: exit 0 or 2 and never a traceback."""
    import contextlib
    import io

    from gone.cli.main import main

    problems: list = []
    outcomes: dict = {}
    for case, path in info_files(folder, np.random.default_rng(seed), cases):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["info", path])
            except BaseException as exc:  # noqa: BLE001
                code = f"raised {type(exc).__name__}: {exc}"
        lines = err.getvalue().splitlines()
        if code not in (0, 2) or "Traceback" in err.getvalue() or (code == 2 and len(lines) != 1):
            problems.append(f"info case {case}: exit {code}: {err.getvalue()[-300:]}")
        outcomes[code] = outcomes.get(code, 0) + 1
    return problems, {"info": {str(k): v for k, v in outcomes.items()}}


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def test_graph_loaders_and_info_raise_only_documented_errors(tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "7", str(CASES),
                           str(tmp_path)],
                          capture_output=True, text=True, env=env, preexec_fn=_cap_memory,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["problems"] == [], "\n".join(report["problems"][:20])
    outcomes = report["outcomes"]
    assert sum(outcomes["json"].values()) == CASES
    # the damage reaches the graph checks, not only the decoder, and some files still load
    for kind in ("json", "gone-msg"):
        assert outcomes[kind].get("GraphError", 0) > CASES // 10, outcomes
        assert outcomes[kind].get("ok", 0) > 0, outcomes
    assert outcomes["info"].get("2", 0) > 0 and outcomes["info"].get("0", 0) > 0, outcomes


if __name__ == "__main__":
    seed, cases, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    found, seen = run(seed, cases)
    info_found, info_seen = run_info(seed, max(cases // 5, 30), folder)
    print(json.dumps({"problems": found + info_found, "outcomes": {**seen, **info_seen}}))
