#!/usr/bin/env python
"""gone.neat beside neat-python, in one run.

Cases:
  1  XOR with neat-python's own XOR example config (population 150, fitness
     threshold 3.9, at most 300 generations) over 20 seeds, the two sides taking
     turns seed by seed: generations evaluated and wall time to solve.
  2  Evaluation throughput: 1,000 grown genomes (8 inputs, 2 outputs, about 20
     hidden nodes each) on a batch of 256 inputs. gone: compile the list of
     genomes (gene tables, then a sparse plan) and run it, all genomes at once;
     the parts (gene tables, compile, step) are timed apart as well.
     neat-python: the same genomes rebuilt as neat-python genomes,
     FeedForwardNetwork.create and activate row by row. Outputs are checked to
     agree before timing.
  3  CartPole-v1: generations and time until the champion's mean return over
     100 unseen episodes is >= 475 (fitness: mean return over 3 episodes;
     population 50, tanh nodes), for gone and for neat-python on the same
     fitness and stop rule.

neat-python (the bench extra) is optional: without it only gone's side runs.
Usage: python benchmarks/neat.py [--quick] [--json PATH] [--case 1,2,3] [--xor-seeds N]
       [--xor-pop N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from _common import blas_name, git_revision, import_reference  # noqa: E402

neat = import_reference("neat")  # neat-python, not this file (which is named neat.py)

from gone.neat import Innovations, mutation, new_genome  # noqa: E402
from gone.neat.compile import compile_population  # noqa: E402
from gone.neat.defaults import XOR_CONFIG, control_config, xor_config  # noqa: E402
from gone.neat.evaluate import step  # noqa: E402
from gone.neat.genome import ACT_NAMES  # noqa: E402
from gone.neat.pool import GenePool  # noqa: E402
from gone.neat.population import NeatPopulation  # noqa: E402
from gone.neat.tasks import GymFitness, XorFitness  # noqa: E402

XOR_X = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def neat_config(text: str):
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as fh:
        fh.write(text)
    try:
        return neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                           neat.DefaultStagnation, fh.name)
    finally:
        os.unlink(fh.name)


# --- (1) XOR ------------------------------------------------------------------------

def xor_gone(seed: int, config) -> tuple[bool, int, float]:
    t0 = time.perf_counter()
    pop = NeatPopulation(config, seed=seed)
    pop.run(XorFitness(), generations=300)
    return pop.solved, pop.history[-1]["generation"] + 1, time.perf_counter() - t0


def _xor_eval(genomes, config):
    for _, genome in genomes:
        genome.fitness = 4.0
        net = neat.nn.FeedForwardNetwork.create(genome, config)
        for xi, xo in zip(XOR_X, XOR_Y):
            genome.fitness -= (net.activate(xi)[0] - xo) ** 2


def xor_neat(seed: int, config) -> tuple[bool, int, float]:
    t0 = time.perf_counter()
    p = neat.Population(config, seed=seed)
    try:
        winner = p.run(_xor_eval, 300)
        solved = winner is not None and winner.fitness >= 3.9
    except neat.CompleteExtinctionException:
        solved = False
    return solved, p.generation + 1, time.perf_counter() - t0


def case_xor(seeds: int, pop_size: int = 150) -> dict:
    print(f"(1) XOR, neat-python's example config, {seeds} seeds"
          + (f", population {pop_size}" if pop_size != 150 else "") + " ...", flush=True)
    # Each side reads its config once, outside the timing, and starts each seed from it.
    gone_config = xor_config(pop_size=pop_size)
    sides = {"gone": lambda s: xor_gone(s, gone_config)}
    if neat is not None:
        config = neat_config(XOR_CONFIG.replace("pop_size              = 150",
                                                f"pop_size              = {pop_size}"))
        sides["neat-python"] = lambda s: xor_neat(s, config)
    xor_gone(999, gone_config)  # warm-up
    runs = {k: [] for k in sides}
    for seed in range(seeds):
        for name in (list(sides) if seed % 2 == 0 else list(sides)[::-1]):
            runs[name].append(sides[name](seed))
    out = {}
    for name, rows in runs.items():
        gens = [g for ok, g, _ in rows if ok]
        secs = [s for ok, _, s in rows if ok]
        # time per generation over every run, solved or not: the speed of the code apart
        # from how many generations a seed happens to need
        per_gen = statistics.median(s / g for _, g, s in rows)
        out[name] = {"solved": len(gens), "runs": len(rows), "pop_size": pop_size,
                     "median_generations": statistics.median(gens) if gens else None,
                     "median_seconds": statistics.median(secs) if secs else None,
                     "median_ms_per_generation": per_gen * 1e3,
                     "all_generations": [g for _, g, _ in rows]}
        print(f"    {name:12s} solved {len(gens)}/{len(rows)}  median generations "
              f"{out[name]['median_generations']}  median wall time "
              f"{out[name]['median_seconds']:.3f} s  ({per_gen * 1e3:.2f} ms per generation)",
              flush=True)
    return out


# --- (2) evaluation throughput --------------------------------------------------------

def grown_genomes(n: int, hidden: int, seed: int = 0):
    config = control_config(8, 2).with_genome(activation_default="sigmoid",
                                              activation_options=("sigmoid",))
    g = config.genome
    rng, inn = np.random.default_rng(seed), Innovations(g.num_outputs)
    genomes = [new_genome(i, g, inn, rng) for i in range(n)]
    for genome in genomes:
        while genome.n_nodes < g.num_outputs + hidden:
            mutation.add_node(genome, g, inn, rng)
        for _ in range(2 * hidden):
            mutation.add_connection(genome, g, inn, rng)
    mutation.mutate_attributes(genomes, g, rng)
    return genomes, config


def to_neat_python(genome, config):
    """The same genome as a neat-python DefaultGenome."""
    ng = neat.DefaultGenome(genome.key)
    for i, node in enumerate(genome.nodes.tolist()):
        gene = neat.genes.DefaultNodeGene(node)
        gene.bias, gene.response = float(genome.bias[i]), float(genome.response[i])
        gene.activation, gene.aggregation = ACT_NAMES[genome.act[i]], "sum"
        gene.time_constant = 1.0
        ng.nodes[node] = gene
    for s, d, inn, w, e in zip(genome.src.tolist(), genome.dst.tolist(), genome.innov.tolist(),
                               genome.weight.tolist(), genome.enabled.tolist()):
        gene = neat.genes.DefaultConnectionGene((s, d), innovation=inn)
        gene.weight, gene.enabled = w, e
        ng.connections[(s, d)] = gene
    return ng


def case_throughput(n: int, neat_n: int) -> dict:
    print(f"(2) evaluation of {n} grown genomes on 256 inputs ...", flush=True)
    genomes, config = grown_genomes(n, 20)
    x = np.random.default_rng(1).normal(size=(256, 8))
    hidden = np.mean([g.n_nodes - 2 for g in genomes])
    times, parts = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        out = step(compile_population(genomes, 8, 2), x)[0]
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pool = GenePool.from_genomes(genomes)
        t1 = time.perf_counter()
        plan = compile_population(pool, 8, 2)
        t2 = time.perf_counter()
        step(plan, x)
        parts.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    gone_rate = n / min(times)
    tables, compiled, stepped = (min(p) * 1e3 for p in zip(*parts))
    result = {"genomes": n, "mean_hidden": float(hidden), "gone_genomes_per_s": gone_rate,
              "gone_seconds": min(times), "gone_parts_ms": {"gene_tables": tables,
                                                            "compile": compiled,
                                                            "step": stepped}}
    print(f"    gone         {gone_rate:,.0f} genomes/s ({min(times) * 1e3:.1f} ms for {n}, "
          f"compile included; mean hidden nodes {hidden:.1f})", flush=True)
    print(f"                 parts: gene tables {tables:.1f} ms, compile {compiled:.1f} ms, "
          f"step {stepped:.1f} ms (first step of a plan)", flush=True)
    if neat is not None:
        nconf = neat_config(XOR_CONFIG.replace("num_inputs              = 2",
                                               "num_inputs              = 8")
                            .replace("num_outputs             = 1",
                                     "num_outputs             = 2"))
        subset = genomes[:neat_n]
        ngs = [to_neat_python(g, config) for g in subset]
        rows = x.tolist()
        t0 = time.perf_counter()
        ref = []
        for ng in ngs:
            net = neat.nn.FeedForwardNetwork.create(ng, nconf)
            ref.append([net.activate(r) for r in rows])
        secs = time.perf_counter() - t0
        diff = float(np.max(np.abs(np.array(ref) - out[:neat_n])))
        rate = neat_n / secs
        result.update({"neat_genomes_per_s": rate, "neat_measured_on": neat_n,
                       "max_abs_difference": diff, "ratio": gone_rate / rate})
        print(f"    neat-python  {rate:,.1f} genomes/s (measured on {neat_n} of the genomes); "
              f"outputs agree to {diff:.1e}", flush=True)
        print(f"    gone/neat-python: {gone_rate / rate:,.0f}x", flush=True)
    return result


# --- (3) CartPole ------------------------------------------------------------------------

def cartpole_gone(seed: int, max_gens: int) -> dict:
    fitness = GymFitness("CartPole-v1", episodes=3)
    pop = NeatPopulation(control_config(4, 2, pop_size=50), seed=seed)
    verdict = {"unseen": None}

    def solved(p, stats):
        # the generation's champion plays unseen episodes, as on the neat-python side
        # (the best ever would stay the first genome to tie CartPole's maximum of 500)
        if stats["best"] < 475:
            return False
        verdict["unseen"] = float(fitness.evaluate(p.champion, p.config, 100,
                                                   seed + 10_000).mean())
        return verdict["unseen"] >= 475
    t0 = time.perf_counter()
    pop.run(fitness, max_gens, callbacks=[solved])
    return {"generations": pop.history[-1]["generation"] + 1,
            "seconds": time.perf_counter() - t0, "unseen_mean": verdict["unseen"]}


def _play(net, env, seed):
    obs, _ = env.reset(seed=int(seed))
    total, done = 0.0, False
    while not done:
        action = int(np.argmax(net.activate(obs.tolist())))
        obs, r, term, trunc, _ = env.step(action)
        total, done = total + r, term or trunc
    return total


def cartpole_neat(seed: int, max_gens: int) -> dict:
    import gymnasium

    text = XOR_CONFIG.replace("num_inputs              = 2", "num_inputs              = 4") \
        .replace("num_outputs             = 1", "num_outputs             = 2") \
        .replace("pop_size              = 150", "pop_size              = 50") \
        .replace("fitness_threshold     = 3.9", "fitness_threshold     = 1e9") \
        .replace("activation_default      = sigmoid", "activation_default      = tanh") \
        .replace("activation_options      = sigmoid", "activation_options      = tanh")
    config = neat_config(text)
    env = gymnasium.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    state = {"unseen": None, "done": False}

    def evaluate(genomes, cfg):
        seeds = rng.integers(0, 2**31 - 1, 3)
        best = None
        for _, g in genomes:
            net = neat.nn.FeedForwardNetwork.create(g, cfg)
            g.fitness = float(np.mean([_play(net, env, s) for s in seeds]))
            best = g if best is None or g.fitness > best.fitness else best
        if best.fitness >= 475:
            net = neat.nn.FeedForwardNetwork.create(best, cfg)
            unseen = np.random.default_rng(seed + 10_000).integers(0, 2**31 - 1, 100)
            state["unseen"] = float(np.mean([_play(net, env, s) for s in unseen]))
            if state["unseen"] >= 475:
                state["done"] = True
                for _, g in genomes:       # stop neat-python through its own threshold
                    g.fitness = max(g.fitness, 0.0)
                best.fitness = 2e9
    p = neat.Population(config, seed=seed)
    t0 = time.perf_counter()
    p.run(evaluate, max_gens)
    return {"generations": p.generation + 1, "seconds": time.perf_counter() - t0,
            "unseen_mean": state["unseen"], "solved": state["done"]}


def case_cartpole(seeds: int, max_gens: int) -> dict:
    print(f"(3) CartPole-v1, {seeds} seeds, at most {max_gens} generations ...", flush=True)
    out = {"gone": [cartpole_gone(s, max_gens) for s in range(seeds)]}
    if neat is not None:
        out["neat-python"] = [cartpole_neat(s, max_gens) for s in range(seeds)]
    for name, rows in out.items():
        for s, r in enumerate(rows):
            print(f"    {name:12s} seed {s}: {r['generations']} generations, "
                  f"{r['seconds']:.1f} s, champion mean over 100 unseen episodes "
                  f"{r['unseen_mean']}", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="4 XOR seeds, 1 CartPole seed")
    ap.add_argument("--case", default="1,2,3")
    ap.add_argument("--xor-seeds", type=int, default=20,
                    help="XOR seeds (20 as the issue asks; the median of 20 runs moves by "
                         "about 10 generations from one set of seeds to another)")
    ap.add_argument("--xor-pop", type=int, default=150,
                    help="XOR population size for both sides (150: neat-python's example)")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    cases = {c.strip() for c in args.case.split(",")}
    print(f"gone {git_revision()} | numpy {np.__version__} ({blas_name()}) | neat-python "
          f"{getattr(neat, '__version__', 'not installed') if neat else 'not installed'} | "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    results = {}
    if "1" in cases:
        results["xor"] = case_xor(4 if args.quick else args.xor_seeds, args.xor_pop)
    if "2" in cases:
        results["throughput"] = case_throughput(1000, 20 if args.quick else 100)
    if "3" in cases:
        results["cartpole"] = case_cartpole(1 if args.quick else 3, 100)
    _targets(results)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


def median_gap_interval(a, b, draws: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of ``median(a) - median(b)`` (independent samples).

    A 20-seed median of generations moves by about 10 from one seed set to
    another, so the difference between two sides means little without it.
    """
    rng = np.random.default_rng(seed)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    gap = (np.median(rng.choice(a, (draws, len(a))), axis=1)
           - np.median(rng.choice(b, (draws, len(b))), axis=1))
    lo, hi = np.percentile(gap, [2.5, 97.5])
    return float(lo), float(hi)


def _targets(r: dict) -> None:
    print("targets:")
    x = r.get("xor", {})
    if "neat-python" in x and x["gone"]["median_generations"] and x["neat-python"]["median_generations"]:
        g, n = x["gone"], x["neat-python"]
        print(f"  XOR median generations gone {g['median_generations']} vs neat-python "
              f"{n['median_generations']}: {'met' if g['median_generations'] <= n['median_generations'] else 'missed'}")
        lo, hi = median_gap_interval(g["all_generations"], n["all_generations"])
        print(f"    gone - neat-python median generations, all runs (unsolved at the cap), "
              f"95% bootstrap interval [{lo:+g}, {hi:+g}]: "
              + ("no detectable difference" if lo <= 0 <= hi
                 else "gone slower" if lo > 0 else "gone faster"))
        ratio = n["median_seconds"] / g["median_seconds"]
        print(f"  XOR wall time neat-python/gone {ratio:.2f}x (target >= 10x): "
              f"{'met' if ratio >= 10 else 'missed'}")
        print(f"  XOR time per generation neat-python/gone "
              f"{n['median_ms_per_generation'] / g['median_ms_per_generation']:.2f}x")
    t = r.get("throughput", {})
    if "ratio" in t:
        print(f"  evaluation throughput {t['ratio']:,.0f}x (target >= 100x): "
              f"{'met' if t['ratio'] >= 100 else 'missed'}")
    for row in r.get("cartpole", {}).get("gone", []):
        ok = row["unseen_mean"] is not None and row["unseen_mean"] >= 475
        print(f"  CartPole solved on 100 unseen episodes: {'met' if ok else 'missed'} "
              f"({row['unseen_mean']})")


if __name__ == "__main__":
    sys.exit(main())
