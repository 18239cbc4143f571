"""Fuzzing population files: any bytes load or raise GoneFormatError, never anything else,
within a memory cap (``resource.setrlimit``) and a time cap per file, in a subprocess.

Most cases change the decoded message field by field (counts, shapes, JSON settings,
generator states, hybrid settings) and seal it again, so they pass the checksum and
reach the population reader; the rest damage bytes. Seeded; ``GONE_FUZZ_CASES`` runs more.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import gone

resource = pytest.importorskip("resource", reason="memory caps need the resource module (POSIX)")

N_CASES = int(os.environ.get("GONE_FUZZ_CASES", 3000))
MEMORY_CAP = 2 << 30      # bytes of address space for the fuzzing process
SECONDS_PER_FILE = 5      # a file that takes longer fails the test

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])

WORKER = r'''
import json, math, random, signal, sys, time, resource
import numpy as np
import gone
from gone.format import network as gio, population as gpop

cases, seed, cap, per_file = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
seeds = [open(p, "rb").read() for p in sys.argv[5:]]
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
rng = random.Random(seed)

INTS = [0, -1, 1, 2, 3, 7, 2**31, 2**62, -2**63, 2**63 - 1]
NUMBERS = [0, -1, 1, 2, 3, 2**31, 2**62, -2**63, 10**30, 1e308, float("nan"), float("inf"), -0.0, 0.5]
TEXTS = ["", "{", "[]", "null", "NaN", '{"a": NaN}', "1e999", "[" * 5000, '"x"', "{}",
         '{"bit_generator": "seed"}', '{"bit_generator": "MT19937", "state": {"key": '
         '{"__ndarray__": "|S1000000000", "data": []}, "pos": 0}}',
         '{"bit_generator": "PCG64", "state": {"state": 1, "inc": 1}, "has_uint32": 0, '
         '"uinteger": 0}', '{"kind": "lamarckian", "steps": 1e300}', '{"kind": "nope"}',
         '{"elitism": 1e300}', '{"selection": 5}', '{"optimizer": {"x": 1}}',
         '{"optimizer_params": {"lr": -1}}', '{"sigma": NaN}', '{"tournament_size": 0}']

def field_mutation(msg):
    p = msg.population
    op = rng.randrange(14)
    if op == 0:
        setattr(p, rng.choice(["size", "n_params", "generation", "evaluations",
                               "hall_of_fame_capacity"]), rng.choice(INTS))
    elif op == 1:
        setattr(p, rng.choice(["strategy_settings", "rng_state", "strategy"]), rng.choice(TEXTS))
    elif op == 2:
        p.extra[rng.choice(["gone.hybrid", "gone.layout", "gone evolve", "x"])] = rng.choice(TEXTS)
    elif op == 3:
        t = rng.choice([p.genomes, p.hall_of_fame, p.history])
        t.shape[:] = [rng.choice(INTS) for _ in range(rng.randrange(4))]
    elif op == 4:
        t = rng.choice([p.genomes, p.hall_of_fame, p.history])
        if len(t.data):
            t.data[rng.randrange(len(t.data))] = rng.choice(NUMBERS)
        else:
            t.data.append(rng.choice(NUMBERS))
    elif op == 5 and p.strategy_state:
        key = rng.choice(sorted(p.strategy_state))
        t = p.strategy_state[key]
        if rng.random() < 0.5:
            t.shape[:] = [rng.choice(INTS) for _ in range(rng.randrange(3))]
        elif len(t.data):
            t.data[rng.randrange(len(t.data))] = rng.choice(NUMBERS)
    elif op == 6:
        p.strategy_state[rng.choice(["mean", "opt_step", "opt_slots.m", "warp", "opt_slots."])
                         ].CopyFrom(rng.choice([p.genomes, p.history]))
    elif op == 7:
        for f in (p.fitness, p.hall_of_fame_fitness, p.hall_of_fame_generation):
            if len(f) and rng.random() < 0.5:
                del f[rng.randrange(len(f))]
    elif op == 8 and len(p.fitness):
        p.fitness[rng.randrange(len(p.fitness))] = rng.choice(NUMBERS)
    elif op == 9:
        p.hall_of_fame_generation.append(rng.choice(INTS))
        p.hall_of_fame_fitness.append(rng.choice(NUMBERS))
    elif op == 10:
        p.history_columns.append(rng.choice(["best", "x", ""]))
    elif op == 11:
        p.evaluated = not p.evaluated
    elif op == 12:
        p.optimizer.name = rng.choice(["adam", "sgd", "momentum", "x", ""])
        p.optimizer.step = rng.choice(INTS)
        p.optimizer.hyperparams[rng.choice(["lr", "beta1", "x"])] = rng.choice(NUMBERS)
        p.optimizer.slots[rng.choice(["m", "v", "velocity"])].tensors.add().CopyFrom(p.genomes)
    else:
        p.ClearField(rng.choice(["genomes", "rng_state", "strategy", "hall_of_fame", "history",
                                 "strategy_settings", "strategy_state", "extra"]))

def byte_mutation(data):
    buf = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        op, pos = rng.randrange(4), rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 2:
            del buf[pos:pos + rng.randrange(1, 16)]
        else:
            del buf[pos:]
    return bytes(buf)

class Slow(Exception):
    pass

def alarm(signum, frame):
    raise Slow()

signal.signal(signal.SIGALRM, alarm)
outcomes, failures, slowest = {"loaded": 0, "GoneFormatError": 0}, [], 0.0
for i in range(cases):
    base = rng.choice(seeds)
    kind = rng.random()
    if kind < 0.7:
        msg = gio.decode(base)
        for _ in range(rng.randrange(1, 4)):
            field_mutation(msg)
        data = gio.seal(msg.SerializeToString())
    elif kind < 0.9:
        data = gio.seal(byte_mutation(base[:-5]))
    else:
        data = byte_mutation(base)
    t0 = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, per_file)
    try:
        gpop.from_message(gio.decode(data, "fuzz.gone"), "fuzz.gone")
        outcomes["loaded"] += 1
    except gone.GoneFormatError:
        outcomes["GoneFormatError"] += 1
    except Slow:
        failures.append((i, "took longer than the time cap"))
    except BaseException as exc:
        failures.append((i, f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    slowest = max(slowest, time.perf_counter() - t0)
print(json.dumps({"outcomes": outcomes, "failures": failures[:20], "n_failures": len(failures),
                  "slowest": slowest}))
'''


def seed_files(folder):
    """Population files of every shape the loader reads: GA, ES (float32), hybrids, fresh."""
    @gone.vectorized
    def fitness(stacked):
        return 4.0 - ((stacked.predict(X) - Y) ** 2).sum(axis=(1, 2))

    net = gone.Network([2, gone.Dense(3, "tanh"), gone.Dense(1, "sigmoid")], seed=0)
    net32 = gone.Network([2, gone.Dense(3, "tanh"), gone.Dense(1)], seed=0, dtype="float32")
    pops = [
        gone.Population(net, 6, strategy=gone.GA(selection="tournament"), seed=1,
                        refine=gone.Lamarckian(X, Y, steps=1)),
        gone.Population(net32, 6, strategy=gone.ES(optimizer=gone.Adam(lr=0.01)), seed=2,
                        refine=gone.Baldwinian(X, Y, steps=1)),
        gone.Population(net, 4, strategy="es", seed=3),
    ]
    for pop in pops[:2]:
        pop.settings["gone evolve"] = json.dumps({"task": "xor"})
        pop.run(fitness, 3)
    paths = []
    for i, pop in enumerate(pops):
        paths.append(folder / f"seed{i}.gone")
        pop.save(paths[-1])
        gone.load_population(paths[-1])  # every seed file is valid
    return paths


def test_population_loader_raises_only_format_errors_within_its_caps(tmp_path):
    paths = seed_files(tmp_path)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", WORKER, str(N_CASES), "20261130",
                           str(MEMORY_CAP), str(SECONDS_PER_FILE), *map(str, paths)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["n_failures"] == 0, report["failures"]
    outcomes = report["outcomes"]
    assert sum(outcomes.values()) == N_CASES
    # The mutations reach the reader: many files fail for a reason beyond the checksum,
    # and some damaged files still load.
    assert outcomes["GoneFormatError"] > N_CASES // 2 and outcomes["loaded"] > 0
