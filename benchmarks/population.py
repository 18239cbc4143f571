#!/usr/bin/env python
"""Populations of networks: gone's stacked forward pass and GA vs per-network loops and other libraries.

Cases (side by side in one run, the sides taking turns):
  1  forward evaluations of 500 networks: (i) 5-8-2 tanh/identity, one input per
     network (a game frame, ``StackedNetworks.predict_each``); (ii) 64-32-10
     tanh/identity on a shared batch of 256 inputs (``StackedNetworks.predict``).
     gone stacked vs a loop of gone Networks vs torch.bmm vs neat-python and pygad.nn (i).
  2  wall time of one GA generation (selection, crossover, mutation, evaluation as
     classification accuracy on 256 synthetic digit-like samples, 64 features,
     10 classes) for 200 networks 64-32-10, float64 and float32: gone vs PyGAD vs EvoTorch.
  3  generations and wall time to solve XOR (fitness 4 - SSE >= 3.9) over 10
     seeds: gone's GA vs neat-python's XOR example.

The reference libraries (torch, pygad, neat-python, evotorch) are optional: a
missing one is reported as "not installed". See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np
from _common import git_revision, import_reference  # noqa: E402 (benchmarks/ is on sys.path)

import gone

_optional = import_reference  # missing or broken: reported as not installed
torch = _optional("torch")
pygad = _optional("pygad")
pygad_nn = _optional("pygad.nn")
neat = _optional("neat")
evotorch = _optional("evotorch")
if evotorch is not None:
    evotorch_algorithms = _optional("evotorch.algorithms")
    evotorch_operators = _optional("evotorch.operators")
    logging.getLogger("evotorch").setLevel(logging.WARNING)   # no INFO line per Problem

POP1 = 500              # case 1 population
POP2 = 200              # case 2 population
DATA_SEED = 20240531    # synthetic digits
WEIGHT_SEED = 7         # case 1 weights
GA_SEED = 0             # case 2 initial populations
XOR_SEEDS = range(10)   # case 3
XOR_MAX_GENERATIONS = 300
XOR_GA = dict(selection="tournament", elitism=2, mutation_rate=0.2, mutation_std=0.5)
NOT_INSTALLED = "not installed"

SCHEDULES = {  # full / quick
    "1": {"full": dict(rounds=8, timed=5, block_s=0.05), "quick": dict(rounds=2, timed=2, block_s=0.02)},
    "2": {"full": dict(rounds=6, warm=2, fast=10, slow=3), "quick": dict(rounds=1, warm=1, fast=4, slow=1)},
    "3": {"full": dict(seeds=10), "quick": dict(seeds=3)},
}


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------

def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def version(mod) -> str:
    if mod is None:
        return NOT_INSTALLED
    return str(getattr(mod, "__version__", "installed")).split("+")[0]


def environment() -> dict:
    rev = git_revision()
    return {"gone": gone.__version__, "git": rev, "python": platform.python_version(),
            "numpy": np.__version__, "torch": version(torch), "pygad": version(pygad),
            "neat-python": version(neat), "evotorch": version(evotorch), "cores": cores(),
            "torch_threads": torch.get_num_threads() if torch else None,
            "cpu": platform.processor() or platform.machine()}


def cpu_snapshot() -> dict:
    """System busy time (from /proc/stat), this process's CPU time, wall time."""
    snap = {"wall": time.perf_counter(), "self": sum(os.times()[:2]), "busy": None}
    try:
        with open("/proc/stat") as fh:
            f = [int(v) for v in fh.readline().split()[1:]]
        snap["busy"] = (f[0] + f[1] + f[2] + f[5] + f[6]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return snap


def other_cpu_pct(a: dict, b: dict) -> float | None:
    """CPU time used by other processes between two snapshots, in % of all cores."""
    if a["busy"] is None or b["busy"] is None:
        return None
    other = (b["busy"] - a["busy"]) - (b["self"] - a["self"])
    return max(0.0, 100 * other / ((b["wall"] - a["wall"]) * cores()))


def fmt_ms(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.4f}" if v < 0.1 else f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:.0f}"


def fmt_x(v) -> str:
    return "-" if v is None else f"{v:.2f}x" if v < 10 else f"{v:.1f}x" if v < 100 else f"{v:.0f}x"


def print_table(title: str, head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print(f"\n{title}")
    print(line(head))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))


def take_turns(sides: dict, rounds: int, timed: int, block_s: float) -> dict[str, list[float]]:
    """ms per call of each callable in ``sides``, timed in blocks, the sides taking turns.

    Each side's block size is calibrated so a block lasts about ``block_s``. Round
    0 is warm-up for everyone; the order rotates every round.
    """
    blocks = {}
    for name, fn in sides.items():
        fn()
        t0 = time.perf_counter()
        fn()
        blocks[name] = max(1, round(block_s / max(time.perf_counter() - t0, 1e-7)))
    names, samples = list(sides), {n: [] for n in sides}
    for rnd in range(rounds + 1):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:
            fn, n = sides[name], blocks[name]
            for _ in range(timed):
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                if rnd:
                    samples[name].append((time.perf_counter() - t0) * 1e3 / n)
    return samples


# --------------------------------------------------------------------------
# Case 1: forward evaluations of a population
# --------------------------------------------------------------------------

def net_1(kind: str, dtype="float64") -> gone.Network:
    sizes = (5, 8, 2) if kind == "i" else (64, 32, 10)
    return gone.Network([sizes[0], gone.Dense(sizes[1], "tanh"), gone.Dense(sizes[2], "identity")],
                        seed=0, dtype=dtype)


def torch_weights(stacked: gone.StackedNetworks) -> list[tuple]:
    """Per layer ``(W^T (pop, n_in, n_out), b (pop, 1, n_out))`` torch copies of the genomes."""
    return [(torch.from_numpy(np.ascontiguousarray(w.transpose(0, 2, 1))),
             torch.from_numpy(np.ascontiguousarray(b[:, None, :]))) for w, b, _ in stacked._layers]


def torch_forward(layers, x3):
    """tanh hidden, identity output, with ``torch.baddbmm`` (bmm plus the bias)."""
    (w1, b1), (w2, b2) = layers
    with torch.no_grad():
        return torch.baddbmm(b2, torch.tanh(torch.baddbmm(b1, x3, w1)), w2)


def neat_config(n_in: int, n_hidden: int, n_out: int, activation: str, pop: int,
                threshold: float = 3.9):
    """A neat.Config from neat-python's XOR example config, with the given sizes."""
    text = XOR_CONFIG.format(pop=pop, threshold=threshold, act=activation, n_in=n_in,
                             n_hidden=n_hidden, n_out=n_out,
                             conn="full_nodirect")
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as fh:
        fh.write(text)
    try:
        return neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                           neat.DefaultStagnation, fh.name)
    finally:
        os.unlink(fh.name)


def neat_frame_side(x: np.ndarray):
    """500 neat-python FeedForwardNetworks 5-8-2 (tanh), activated one by one on a frame."""
    config = neat_config(5, 8, 2, "tanh", POP1)
    genomes = neat.Population(config, seed=WEIGHT_SEED).population.values()
    nets = [neat.nn.FeedForwardNetwork.create(g, config) for g in genomes]
    return lambda: [net.activate(xi) for net, xi in zip(nets, x.tolist())]


def pygad_nn_frame_side(stacked: gone.StackedNetworks, x: np.ndarray):
    """500 pygad.nn networks 5-8-2 with the same weights, predicted one by one.

    pygad.nn has no tanh and no biases: sigmoid hidden, linear output, no bias.
    """
    lasts = []
    for w1, w2 in zip(stacked._layers[0][0], stacked._layers[1][0]):
        inp = pygad_nn.InputLayer(5)
        hid = pygad_nn.DenseLayer(8, inp, "sigmoid")
        out = pygad_nn.DenseLayer(2, hid, "None")
        hid.trained_weights, out.trained_weights = w1.T.copy(), w2.T.copy()
        lasts.append(out)
    rows = [x[i:i + 1] for i in range(len(x))]
    return lambda: [pygad_nn.predict(last, r, problem_type="regression") for last, r in zip(lasts, rows)]


def sides_1(kind: str, dtype: str = "float64") -> tuple[dict, dict]:
    """The callables of case 1 (i) or (ii) and the sides not timed (with the reason)."""
    template, rng = net_1(kind, dtype), np.random.default_rng(WEIGHT_SEED)
    stacked = gone.StackedNetworks(template, rng.normal(0, 0.5, (POP1, template.n_params)))
    nets = [template.with_genome(g) for g in stacked.genomes]
    x = rng.uniform(-1, 1, (POP1, 5) if kind == "i" else (256, 64)).astype(dtype)
    if kind == "i":
        sides = {"gone stacked": lambda: stacked.predict_each(x),
                 "per-network loop": lambda: [n.predict(xi) for n, xi in zip(nets, x)]}
    else:
        sides = {"gone stacked": lambda: stacked.predict(x),
                 "per-network loop": lambda: [n.predict(x) for n in nets]}
    missing = {}
    if torch is not None:
        layers = torch_weights(stacked)
        shape3 = (POP1, 1, 5) if kind == "i" else (POP1, 256, 64)
        fn = ((lambda: torch_forward(layers, torch.from_numpy(x).view(shape3)).numpy()[:, 0])
              if kind == "i" else (lambda: torch_forward(layers, torch.from_numpy(x).expand(shape3)).numpy()))
        ref = stacked.predict_each(x) if kind == "i" else stacked.predict(x)
        assert np.allclose(fn(), ref, rtol=1e-4, atol=1e-5), "torch and gone disagree"
        sides["torch.bmm"] = fn
    else:
        missing["torch.bmm"] = NOT_INSTALLED
    if kind == "i" and dtype == "float64":  # neat-python and pygad.nn compute in float64
        for name, mod, make in (("neat-python", neat, lambda: neat_frame_side(x)),
                                ("pygad.nn", pygad_nn, lambda: pygad_nn_frame_side(stacked, x))):
            if mod is None:
                missing[name] = NOT_INSTALLED
            else:
                sides[name] = make()
    return sides, missing


def run_case_1(sched: dict) -> list[dict]:
    rows = []
    for kind, what, dtype in (("i", "5-8-2, one input per network (frame)", "float64"),
                              ("ii", "64-32-10, shared batch of 256", "float64"),
                              ("i", "5-8-2, one input per network (frame)", "float32"),
                              ("ii", "64-32-10, shared batch of 256", "float32")):
        print(f"running (1{kind}) {POP1} networks {what}, {dtype} ...", flush=True)
        sides, missing = sides_1(kind, dtype)
        samples = take_turns(sides, sched["rounds"], sched["timed"], sched["block_s"])
        med = {k: statistics.median(v) for k, v in samples.items()}
        for name in list(sides) + list(missing):
            ms = med.get(name)
            rows.append({"case": f"1{kind}", "dtype": dtype, "workload": what, "side": name, "ms": ms,
                         "status": missing.get(name, "ok"), "samples_ms": samples.get(name),
                         "networks_per_s": POP1 / ms * 1e3 if ms else None,
                         "loop_over_side": med["per-network loop"] / ms if ms else None,
                         "torch_over_side": med["torch.bmm"] / ms if ms and "torch.bmm" in med else None})
    return rows


# --------------------------------------------------------------------------
# Case 2: one GA generation
# --------------------------------------------------------------------------

def digits() -> tuple[np.ndarray, np.ndarray]:
    """256 digit-like samples: 8x8 intensities 0..16 / 16, labels from a fixed linear map."""
    rng = np.random.default_rng(DATA_SEED)
    x = rng.integers(0, 17, size=(256, 64)) / 16.0
    labels = np.argmax((x - x.mean(0)) @ rng.standard_normal((64, 10)), axis=1)
    return x, labels


def accuracy_np(genome: np.ndarray, x: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of one 64-32-10 tanh/identity network (gone's genome layout W1 b1 W2 b2)."""
    w1, b1 = genome[:2048].reshape(32, 64), genome[2048:2080]
    w2, b2 = genome[2080:2400].reshape(10, 32), genome[2400:2410]
    out = np.tanh(x @ w1.T + b1) @ w2.T + b2
    return float(np.mean(np.argmax(out, axis=1) == labels))


class GoneGA:
    name = "gone"

    def __init__(self, dtype, x, labels):
        net = gone.Network([64, gone.Dense(32, "tanh"), gone.Dense(10, "identity")], seed=0, dtype=dtype)
        self.pop = gone.Population(net, POP2, strategy=gone.GA(selection="tournament"), seed=GA_SEED)
        xd = x.astype(dtype)

        @gone.vectorized
        def fitness(stacked):
            return np.mean(np.argmax(stacked.predict(xd), axis=2) == labels, axis=1)

        self.fitness = fitness

    def run(self, n: int) -> list[float]:
        out = []
        for _ in range(n):   # evaluate = ask (selection, crossover, mutation) + the fitness
            t0 = time.perf_counter()
            self.pop.tell(self.pop.evaluate(self.fitness))
            out.append((time.perf_counter() - t0) * 1e3)
        return out

    def best(self) -> float:
        return self.pop.best_fitness


class NumpyGA:
    """The floor: one GA generation hand-written in vectorised numpy for exactly this
    network, in the batched ``(P, B, n)`` layout (genome rows hold each layer's
    weights already as ``(n_in, n_out)``): batched matmuls, searchsorted roulette,
    ``np.where`` layer crossover, masked Gaussian mutation, elitism 1."""
    name = "numpy (hand-written)"

    def __init__(self, dtype, x, labels):
        self.rng = np.random.default_rng(GA_SEED)
        self.x, self.labels, self.dtype = x.astype(dtype), labels, np.dtype(dtype)
        n = net_2_params()
        self.genomes = self.rng.uniform(-1.0, 1.0, (POP2, n)).astype(dtype)
        self.second_layer = np.arange(n) >= 64 * 32 + 32  # genes of layer 2
        self.fitness = self.evaluate(self.genomes)

    def evaluate(self, g: np.ndarray) -> np.ndarray:
        p = len(g)
        w1, b1 = g[:, :2048].reshape(p, 64, 32), g[:, 2048:2080]
        w2, b2 = g[:, 2080:2400].reshape(p, 32, 10), g[:, 2400:2410]
        h = np.matmul(self.x, w1)
        h += b1[:, None, :]
        np.tanh(h, out=h)
        out = np.matmul(h, w2)
        out += b2[:, None, :]
        return np.mean(np.argmax(out, axis=2) == self.labels, axis=1)

    def generation(self) -> None:
        g, f, rng = self.genomes, self.fitness, self.rng
        m = len(g) - 1
        cum = np.cumsum(f - f.min() + 1e-9)
        a = g[np.searchsorted(cum, rng.random(m) * cum[-1])]
        b = g[np.searchsorted(cum, rng.random(m) * cum[-1])]
        cross = rng.random(m) < 0.5
        child = np.where(cross[:, None] & self.second_layer, b, a)
        child += np.where(rng.random(child.shape) < 0.1, rng.normal(0.0, 0.5, child.shape), 0.0
                          ).astype(self.dtype)
        self.genomes = np.concatenate([g[np.argmax(f)][None], child])
        self.fitness = self.evaluate(self.genomes)

    def run(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.generation()
            out.append((time.perf_counter() - t0) * 1e3)
        return out

    def best(self) -> float:
        return float(np.max(self.fitness))


class PyGADGA:
    """pygad.GA with a per-solution numpy fitness; ms per generation from on_generation stamps."""
    name = "PyGAD"

    def __init__(self, dtype, x, labels):
        xd, n_params = x.astype(dtype), net_2_params()
        self.stamps: list[float] = []
        self.ga = pygad.GA(
            num_generations=1, num_parents_mating=POP2 // 2, sol_per_pop=POP2, num_genes=n_params,
            fitness_func=lambda ga, sol, idx: accuracy_np(sol, xd, labels),
            parent_selection_type="tournament", K_tournament=3, keep_elitism=1,
            crossover_type="single_point", mutation_type="random", mutation_probability=0.1,
            random_mutation_min_val=-0.5, random_mutation_max_val=0.5,
            init_range_low=-1.0, init_range_high=1.0, gene_type=np.dtype(dtype).type,
            random_seed=GA_SEED, suppress_warnings=True,
            on_generation=lambda ga: self.stamps.append(time.perf_counter()))

    def run(self, n: int) -> list[float]:
        """``n + 1`` generations (a run() call re-evaluates its start); the last ``n`` intervals."""
        self.stamps, self.ga.num_generations = [], n + 1
        self.ga.run()
        return [float(d) * 1e3 for d in np.diff(self.stamps)]

    def best(self) -> float:
        return float(np.max(self.ga.last_generation_fitness))


class EvoTorchGA:
    """evotorch GeneticAlgorithm (one-point crossover with tournaments of 3, Gaussian mutation)
    on a vectorised Problem: the accuracy of all networks with torch.bmm."""
    name = "EvoTorch"

    def __init__(self, dtype, x, labels):
        tdt = getattr(torch, dtype)
        xt, lt = torch.from_numpy(x).to(tdt), torch.from_numpy(labels)

        def fitness(sol):
            p = sol.shape[0]
            w1, b1 = sol[:, :2048].reshape(p, 32, 64), sol[:, 2048:2080].reshape(p, 1, 32)
            w2, b2 = sol[:, 2080:2400].reshape(p, 10, 32), sol[:, 2400:2410].reshape(p, 1, 10)
            h = torch.tanh(torch.baddbmm(b1, xt.expand(p, -1, -1), w1.transpose(1, 2)))
            out = torch.baddbmm(b2, h, w2.transpose(1, 2))
            return (out.argmax(dim=2) == lt).to(tdt).mean(dim=1)

        problem = evotorch.Problem("max", fitness, solution_length=net_2_params(), initial_bounds=(-1, 1),
                                   dtype=tdt, vectorized=True, seed=GA_SEED)
        ops = [evotorch_operators.OnePointCrossOver(problem, tournament_size=3),
               evotorch_operators.GaussianMutation(problem, stdev=0.5, mutation_probability=0.1)]
        self.searcher = evotorch_algorithms.GeneticAlgorithm(problem, operators=ops, popsize=POP2,
                                                             re_evaluate=False)

    def run(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.searcher.step()
            out.append((time.perf_counter() - t0) * 1e3)
        return out

    def best(self) -> float:
        return float(self.searcher.status["pop_best_eval"])


def net_2_params() -> int:
    return 64 * 32 + 32 + 32 * 10 + 10


def run_case_2(sched: dict) -> list[dict]:
    x, labels = digits()
    kinds = [(GoneGA, True), (NumpyGA, True), (PyGADGA, pygad is not None),
             (EvoTorchGA, evotorch is not None)]
    rows = []
    for dtype in ("float64", "float32"):
        print(f"running (2) one GA generation, {POP2} networks 64-32-10, {dtype} ...", flush=True)
        runners = [k(dtype, x, labels) for k, ok in kinds if ok]
        samples = {r.name: [] for r in runners}
        for rnd in range(sched["rounds"] + 1):
            shift = rnd % len(runners)
            for r in runners[shift:] + runners[:shift]:
                slow = r.name == "PyGAD"
                warm = 0 if slow else sched["warm"]   # PyGAD's first interval is already warm
                ms = r.run(warm + (sched["slow"] if slow else sched["fast"]))
                if rnd:
                    samples[r.name] += ms[warm:]
        med = {k: statistics.median(v) for k, v in samples.items()}
        for name in ("gone", "numpy (hand-written)", "PyGAD", "EvoTorch"):
            r = next((r for r in runners if r.name == name), None)
            ms = med.get(name)
            rows.append({"case": "2", "dtype": dtype, "side": name, "ms": ms,
                         "status": "ok" if r else NOT_INSTALLED, "samples_ms": samples.get(name),
                         "generations_timed": len(samples.get(name, [])),
                         "best_fitness": r.best() if r else None,
                         "side_over_gone": ms / med["gone"] if ms else None})
    return rows


# --------------------------------------------------------------------------
# Case 3: XOR
# --------------------------------------------------------------------------

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


@gone.vectorized
def xor_fitness(stacked):
    return 4.0 - np.sum((stacked.predict(XOR_X)[:, :, 0] - XOR_Y) ** 2, axis=1)


def xor_gone(seed: int) -> tuple[bool, int, float]:
    """(solved, generations evaluated, seconds) for gone's GA on a 2-4-1 tanh/sigmoid network."""
    t0 = time.perf_counter()
    net = gone.Network([2, gone.Dense(4, "tanh"), gone.Dense(1, "sigmoid")], seed=seed)
    pop = gone.Population(net, 150, strategy=gone.GA(**XOR_GA), seed=seed)
    result = pop.run(xor_fitness, generations=XOR_MAX_GENERATIONS, target=3.9)
    return result.stop_reason == "target", result.generations, time.perf_counter() - t0


def xor_neat_eval(genomes, config) -> None:
    """neat-python's XOR example fitness: 4 - SSE over the four rows."""
    for _, genome in genomes:
        genome.fitness = 4.0
        net = neat.nn.FeedForwardNetwork.create(genome, config)
        for xi, xo in zip(XOR_X.tolist(), XOR_Y.tolist()):
            genome.fitness -= (net.activate(xi)[0] - xo) ** 2


def xor_neat(seed: int, config) -> tuple[bool, int, float]:
    """(solved, generations evaluated, seconds) for neat-python's XOR example."""
    t0 = time.perf_counter()
    p = neat.Population(config, seed=seed)
    try:
        winner = p.run(xor_neat_eval, XOR_MAX_GENERATIONS)
        solved = winner is not None and winner.fitness >= 3.9
    except neat.CompleteExtinctionException:
        solved = False
    return solved, p.generation + 1, time.perf_counter() - t0


def run_case_3(sched: dict) -> list[dict]:
    print(f"running (3) XOR to fitness 3.9 over {sched['seeds']} seeds ...", flush=True)
    seeds = list(XOR_SEEDS)[:sched["seeds"]]
    xor_gone(99)   # warm-up (imports, first calls)
    sides = {"gone GA": xor_gone}
    if neat is not None:
        config = neat_config(2, 0, 1, "sigmoid", 150)
        sides["neat-python"] = lambda s: xor_neat(s, config)
    runs = {name: [] for name in sides}
    for seed in seeds:     # the two sides take turns seed by seed
        for name, fn in sides.items():
            runs[name].append(fn(seed))
    rows = []
    for name in ("gone GA", "neat-python"):
        r = runs.get(name)
        row = {"case": "3", "side": name, "status": "ok" if r else NOT_INSTALLED, "runs": r}
        if r:
            row.update(solved=sum(s for s, _, _ in r), seeds=len(r),
                       median_generations=statistics.median(g for _, g, _ in r),
                       median_s=statistics.median(t for _, _, t in r))
        rows.append(row)
    return rows


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def report_1(rows: list[dict]) -> list[tuple[str, bool]]:
    table = [[f"({r['case']})", r["side"], r["dtype"], fmt_ms(r["ms"]),
              "-" if r["networks_per_s"] is None else f"{r['networks_per_s']:,.0f}",
              fmt_x(r["loop_over_side"]), fmt_x(r["torch_over_side"]),
              "" if r["status"] == "ok" else r["status"]] for r in rows]
    print_table(f"(1) forward pass of {POP1} networks, ms per frame/batch (median; sides take turns)",
                ["case", "side", "dtype", "ms", "networks/s", "loop/side", "torch/side", "note"],
                table)
    print("    (1i) 5-8-2 tanh/identity, one input per network; (1ii) 64-32-10 tanh/identity on a "
          "shared batch of 256.\n    loop/side, torch/side > 1: the side is faster. "
          "neat-python: tanh on every node; pygad.nn: sigmoid hidden, no biases (float64 only).")
    targets = []
    for dtype in ("float64", "float32"):
        for case in ("1i", "1ii"):
            g = next(r for r in rows if r["case"] == case and r["dtype"] == dtype
                     and r["side"] == "gone stacked")
            if case == "1i" and dtype == "float64":  # the 80x is for a game frame
                targets.append((f"({case}) stacked >= 80x the per-network loop: "
                                f"{fmt_x(g['loop_over_side'])}", g["loop_over_side"] >= 80))
            if g["torch_over_side"] is not None:
                targets.append((f"({case}) {dtype} stacked throughput >= torch.bmm: torch/stacked "
                                f"{fmt_x(g['torch_over_side'])}", g["torch_over_side"] >= 1.0))
            else:
                targets.append((f"({case}) {dtype} stacked >= torch.bmm: torch {NOT_INSTALLED}",
                                None))
    return targets


def report_2(rows: list[dict]) -> list[tuple[str, bool]]:
    table = [["(2)", r["side"], r["dtype"], fmt_ms(r["ms"]), fmt_x(r["side_over_gone"]),
              str(r.get("generations_timed") or "-"),
              "-" if r.get("best_fitness") is None else f"{r['best_fitness']:.3f}",
              "" if r["status"] == "ok" else r["status"]] for r in rows]
    print_table(f"(2) one GA generation, {POP2} networks 64-32-10, accuracy on 256 samples "
                "(ms, median)", ["case", "side", "dtype", "ms/gen", "side/gone", "gens timed",
                                 "best acc", "note"], table)
    print("    side/gone > 1: gone is faster. gone: Population + GA(selection='tournament'), "
          "evaluate (ask + vectorised fitness) + tell.")
    targets = []
    for dtype in ("float64", "float32"):
        by = {r["side"]: r for r in rows if r["dtype"] == dtype}
        floor = by["numpy (hand-written)"]["side_over_gone"]
        targets.append((f"(2) {dtype} gone within 1.2x of the hand-written numpy generation: "
                        f"gone/numpy {fmt_x(1 / floor)}", 1 / floor <= 1.2))
        for side, want, text in (("PyGAD", 50.0, ">= 50x faster than PyGAD"),
                                 ("EvoTorch", 1.0, "faster than EvoTorch")):
            ratio = by[side]["side_over_gone"]
            targets.append((f"(2) {dtype} gone {text}: {fmt_x(ratio) if ratio else by[side]['status']}",
                            None if ratio is None else ratio >= want if want > 1 else ratio > want))
    return targets


def report_3(rows: list[dict]) -> list[tuple[str, bool]]:
    table = [["(3)", r["side"], f"{r['solved']}/{r['seeds']}" if r.get("runs") else "-",
              fmt_ms(r.get("median_generations")), fmt_ms(r["median_s"] * 1e3) if r.get("runs") else "-",
              "" if r["status"] == "ok" else r["status"]] for r in rows]
    print_table("(3) XOR to fitness 4 - SSE >= 3.9 (median over seeds)",
                ["case", "side", "solved", "generations", "wall ms", "note"], table)
    print(f"    gone GA: 2-4-1 tanh/sigmoid, population 150, GA({', '.join(f'{k}={v!r}' for k, v in XOR_GA.items())})"
          f" (other settings default), vectorised fitness;\n    neat-python: its XOR example config "
          f"(population 150, sigmoid). Generations counted including the first; cap {XOR_MAX_GENERATIONS}.")
    g, n = rows
    if not n.get("runs"):
        return [(f"(3) gone XOR median wall time < neat-python: neat-python {NOT_INSTALLED}", None)]
    ratio = n["median_s"] / g["median_s"]
    print(f"    neat/gone: wall time {fmt_x(ratio)}, generations "
          f"{fmt_x(n['median_generations'] / g['median_generations'])}")
    return [(f"(3) gone XOR median wall time < neat-python: {g['median_s'] * 1e3:.1f} ms vs "
             f"{n['median_s'] * 1e3:.1f} ms ({fmt_x(ratio)})", ratio > 1 and g["solved"] == g["seeds"])]


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", metavar="1|2|3",
                    help="case(s) to run: 1, 2, 3 or a comma list; repeatable (default: all)")
    ap.add_argument("--quick", action="store_true", help="fewer repeats, for smoke runs (< 1 min)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    keys = []
    for item in args.case or ["1,2,3"]:
        for k in item.split(","):
            if k.strip() not in SCHEDULES:
                ap.error(f"unknown case {k!r}; choose from 1, 2, 3")
            keys += [k.strip()] if k.strip() not in keys else []
    args.keys = sorted(keys)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if torch is not None:
        torch.set_num_threads(cores())
    env = environment()
    threads = f" ({env['torch_threads']} threads)" if torch else ""
    print(f"gone {env['gone']} ({env['git']}) | python {env['python']} | numpy {env['numpy']} | "
          f"torch {env['torch']}{threads} | "
          f"pygad {env['pygad']} | neat-python {env['neat-python']} | evotorch {env['evotorch']} | "
          f"{env['cores']} cores")
    mode = "quick" if args.quick else "full"
    runners = {"1": (run_case_1, report_1), "2": (run_case_2, report_2), "3": (run_case_3, report_3)}
    t0, results, other = time.perf_counter(), {}, {}
    for key in args.keys:
        c0 = cpu_snapshot()
        results[key] = runners[key][0](SCHEDULES[key][mode])
        other[key] = other_cpu_pct(c0, cpu_snapshot())
    elapsed = time.perf_counter() - t0
    print(f"\n{mode} run, {elapsed:.0f} s; CPU used by other processes (% of all cores): "
          + ", ".join(f"case {k} {'-' if v is None else f'{v:.0f}%'}" for k, v in other.items()))
    busy = [k for k, v in other.items() if (v or 0) > 10]
    if busy:
        print(f"WARNING: other processes used more than 10% of the CPU during case {', '.join(busy)}: "
              "those timings are unreliable; re-run on a quiet machine.")
    targets = [t for key in args.keys for t in runners[key][1](results[key])]
    print("\ntargets (issue):")
    for text, ok in targets:
        print(f"  target: {text}: {'n/a' if ok is None else 'met' if ok else 'MISSED'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"environment": env, "quick": args.quick, "elapsed_s": elapsed,
                       "other_processes_cpu_pct": other,
                       "results": results, "targets": [{"target": t, "met": ok} for t, ok in targets]},
                      fh, indent=2, default=float)
        print(f"\nwrote {args.json}")
    return 0


XOR_CONFIG = """\
# neat-python's examples/xor/config-feedforward, with sizes, activation and population filled in
[NEAT]
fitness_criterion     = max
fitness_threshold     = {threshold}
pop_size              = {pop}
reset_on_extinction   = False
no_fitness_termination = False

[DefaultGenome]
activation_default      = {act}
activation_mutate_rate  = 0.0
activation_options      = {act}
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
initial_connection      = {conn}
node_add_prob           = 0.2
node_delete_prob        = 0.2
num_hidden              = {n_hidden}
num_inputs              = {n_in}
num_outputs             = {n_out}
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

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
"""

if __name__ == "__main__":
    sys.exit(main())
