#!/usr/bin/env python
"""Flappy Bird (games/flappy): simulation throughput and time to a 100-pipe champion.

Part 1, throughput, 500 birds headless, in bird-frames per second (birds alive
x frames / wall time), brains included:

  vectorised   ``FlockSim`` + one ``StackedNetworks.predict_each`` per frame
               (the loop of ``play_generation``)
  object loop  500 ``Bird`` objects on shared ``Pipes``, each with its own
               ``gone.Network`` whose ``predict`` runs once per frame

Both fly the same 500 hand-wired autopilot brains (5-8-2 tanh/identity; bird
i flaps when its bottom is within 12..18 px of the bottom pipe), which never
die, so every frame has 500 living birds. The sides take turns (the order
rotates each round); the first round is warm-up; ms per frame is the median
of the timed blocks. A sanity check replays 300 frames on both and compares
every bird's y.

Part 2, evolution: ``gone_games.flappy.evolve.evolve(seed=s)`` with its default
SETTINGS until a champion passes 100 pipes in at least 9 of 10 held-out games
(seeds never used for selection), for seeds 0..4 (0..2 with --quick):
generations, wall seconds and the held-out pipe counts per seed, medians; the
champion then plays 20 more unseen games. The evaluation
throughput of those runs (bird-frames of all generations / evaluation time,
few birds alive late in a game) is reported too.

Options: ``--quick`` (fewer rounds, 3 seeds), ``--json PATH`` (results also as JSON),
``--replay FILE`` (only: a saved champion plays seeds 0..19, games stopped at 1000 pipes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _common import blas_name, git_revision  # noqa: E402 (benchmarks/ is on sys.path)

import gone

if __package__ in (None, ""):   # run as a script from a checkout: games/ sits beside gone/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gone_games.flappy import rules as R  # noqa: E402
from gone_games.flappy.evolve import SETTINGS, evaluate_champion, evolve, make_fitness  # noqa: E402
from gone_games.flappy.fitness import FlappyFitness, play_network  # noqa: E402
from gone_games.flappy.sim import Bird, FlockSim, Pipes, check_brains  # noqa: E402

N_BIRDS = 500
SIM_SEED = 2024
TARGET_BIRD_FRAMES = 2_000_000
TARGET_SECONDS = 60.0
TARGET_PIPES = 100


def autopilots(n: int) -> tuple[gone.Network, np.ndarray]:
    """A 5-8-2 template and ``n`` autopilot genomes ``(n, n_params)`` with margins 12..18 px."""
    template = gone.Network([R.N_INPUTS, gone.Dense(8, "tanh"), gone.Dense(R.N_OUTPUTS)], seed=0)
    check_brains(template.n_inputs, template.n_outputs)
    genomes = np.zeros((n, template.n_params))
    margin = np.linspace(12.0, 18.0, n)
    k = 50.0
    w1, b1 = np.zeros((8, 5)), np.zeros(8)
    w2 = np.zeros((2, 8))
    w2[0, 0] = 1.0                                  # out0 = h0, out1 = 0: flap iff h0 > 0
    for i, c in enumerate(margin):
        w1[0, 3], b1[0] = -k, k * c / R.HEIGHT      # h0 > 0 iff input 3 < c / 900
        genomes[i] = gone.Network.from_arrays([w1, w2], [b1, np.zeros(2)],
                                              activations=["tanh", "identity"]).genome()
    return template, genomes


class Vectorised:
    name = "vectorised"

    def __init__(self, template, genomes):
        self.stacked = gone.StackedNetworks(template, genomes)
        self.sim = FlockSim(len(genomes), SIM_SEED)

    def frames(self, count: int) -> int:
        """Play ``count`` frames; returns the living bird-frames played."""
        sim, brains, done = self.sim, self.stacked, 0
        for _ in range(count):
            out = brains.predict_each(sim.observe_alive())
            sim.step_alive(R.flaps(out))
            done += sim.n_alive
        return done

    def ys(self) -> np.ndarray:
        return self.sim.y


class ObjectLoop:
    name = "object loop"

    def __init__(self, template, genomes):
        self.nets = [template.with_genome(g) for g in genomes]
        self.birds = [Bird() for _ in genomes]
        self.pipes = Pipes([gone.make_rng(SIM_SEED)])
        self.pipes.scroll()                    # as Game: the first frame's steps 1-3
        for bird in self.birds:
            bird.check(self.pipes, moved=False)

    def frames(self, count: int) -> int:
        done = 0
        for _ in range(count):
            for bird, net in zip(self.birds, self.nets):
                if bird.alive:
                    out = net.predict(bird.observe(self.pipes))
                    bird.move(bool(R.flaps(out)))
            self.pipes.recycle()
            self.pipes.scroll()
            for bird in self.birds:
                bird.check(self.pipes)
                done += bird.alive
        return done

    def ys(self) -> np.ndarray:
        return np.array([b.y for b in self.birds])


def throughput(quick: bool) -> dict:
    template, genomes = autopilots(N_BIRDS)
    rounds, blocks = (2, 3) if quick else (5, 5)
    sides = {"vectorised": (Vectorised, 200), "object loop": (ObjectLoop, 3)}   # frames per block
    runners = {name: cls(template, genomes) for name, (cls, _) in sides.items()}
    ms, rate = {n: [] for n in sides}, {n: [] for n in sides}
    for rnd in range(rounds + 1):
        order = list(sides)[rnd % 2:] + list(sides)[:rnd % 2]
        for name in order:
            per_block = sides[name][1]
            for _ in range(blocks):
                t0 = time.perf_counter()
                bird_frames = runners[name].frames(per_block)
                dt = time.perf_counter() - t0
                if rnd:   # round 0 is warm-up
                    ms[name].append(dt * 1e3 / per_block)
                    rate[name].append(bird_frames / dt)
    alive = {n: (runners[n].sim.n_alive if n == "vectorised" else sum(b.alive for b in runners[n].birds))
             for n in sides}
    check = [cls(template, genomes) for cls, _ in sides.values()]
    for side in check:
        side.frames(300)
    diff = float(np.max(np.abs(check[0].ys() - check[1].ys())))
    return {"ms_per_frame": {n: statistics.median(v) for n, v in ms.items()},
            "bird_frames_per_s": {n: statistics.median(v) for n, v in rate.items()},
            "alive_at_end": alive, "agree_max_abs_y_diff_300_frames": diff}


class _Tally(gone.EvolutionCallback):
    """Sums every generation's bird-frames (from ``fitness.last``) and evaluation seconds."""

    def __init__(self, fitness: FlappyFitness):
        self.fitness, self.bird_frames, self.seconds = fitness, 0, 0.0

    def on_generation(self, pop, stats):
        self.bird_frames += int(self.fitness.last["frames"].sum())
        self.seconds += stats["seconds"]


def evolution(seeds) -> list[dict]:
    """``evolve(seed=s)`` with the default SETTINGS until a champion passes 100 pipes in
    9 of 10 held-out games, per seed; then that champion replays 20 more unseen games."""
    rows = []
    for seed in seeds:
        fitness = make_fitness(TARGET_PIPES)
        tally = _Tally(fitness)
        t0 = time.perf_counter()
        result = evolve(seed=seed, target=TARGET_PIPES, max_time=300, callbacks=[tally],
                        fitness=fitness)
        wall = time.perf_counter() - t0
        test = fitness.champion or {"scores": [], "passed": 0}
        fresh = evaluate_champion(result.best, TARGET_PIPES, seed=1000 + seed, games=20)
        rows.append({"seed": seed, "generations": result.generations, "seconds": wall,
                     "stop_reason": result.stop_reason, "held_out_scores": test["scores"],
                     "held_out_passed": test["passed"], "tests": len(fitness.tests),
                     "fresh_20_passed": fresh["passed"],
                     "bird_frames": tally.bird_frames, "eval_seconds": tally.seconds})
        print(f"  seed {seed}: {result.generations} generations, {wall:.2f} s (stop: "
              f"{result.stop_reason}); champion's held-out pipes {test['scores']} "
              f"({test['passed']}/10 >= {TARGET_PIPES}, {len(fitness.tests)} champion(s) tested); "
              f"20 more unseen games: {fresh['passed']}/20 >= {TARGET_PIPES}", flush=True)
    return rows


def replay(path: str, games: int = 20, cap: int = 1000) -> None:
    """A saved champion plays seeds 0..games-1, each game stopped at ``cap`` pipes."""
    net = gone.load(path)
    t0 = time.perf_counter()
    scores = play_network(net, list(range(games)), max_score=cap)
    print(f"{path} on seeds 0..{games - 1} (games stop at {cap} pipes): {scores.tolist()}; "
          f"median {np.median(scores):g}, min {scores.min()}, max {scores.max()} "
          f"({time.perf_counter() - t0:.1f} s)")


def environment() -> dict:
    rev = git_revision()
    blas = blas_name()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"python": platform.python_version(), "numpy": np.__version__, "blas": blas,
            "cores": cores, "cpu": platform.processor() or platform.machine(),
            "gone": gone.__version__, "git": rev}


def cpu_busy() -> tuple[float, float] | None:
    """(system busy CPU seconds, wall seconds) from /proc/stat, or None off Linux."""
    try:
        with open("/proc/stat") as fh:
            f = [int(v) for v in fh.readline().split()[1:]]
        return (f[0] + f[1] + f[2] + f[5] + f[6]) / os.sysconf("SC_CLK_TCK"), time.perf_counter()
    except (OSError, ValueError, IndexError):
        return None


def other_cpu_pct(before, after, self_cpu: float, cores: int) -> float | None:
    """CPU other processes used between two cpu_busy() readings, in % of all cores."""
    if before is None or after is None:
        return None
    span = (after[1] - before[1]) * cores
    return max(0.0, 100 * ((after[0] - before[0]) - self_cpu) / span)


def fmt_rate(v: float) -> str:
    return f"{v:,.0f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer timing rounds and 3 evolution seeds instead of 5")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--replay", metavar="FILE", help="only replay a saved champion on seeds 0..19")
    args = ap.parse_args(argv)
    if args.replay:
        replay(args.replay)
        return 0

    env = environment()
    print(f"gone {env['gone']} ({env['git']}) | python {env['python']} | numpy {env['numpy']} "
          f"({env['blas']}, default threads) | {env['cores']} cores | {env['cpu']}")
    t_start, cpu0, self0 = time.perf_counter(), cpu_busy(), sum(os.times()[:2])

    print(f"\nthroughput: {N_BIRDS} birds headless, brains included ...", flush=True)
    tp = throughput(args.quick)
    vec, obj = (tp["bird_frames_per_s"][k] for k in ("vectorised", "object loop"))
    print(f"\n{'side':<14}{'ms/frame':>10}{'bird-frames/s':>16}{'x object loop':>15}")
    print(f"{'-' * 13:<14}{'-' * 9:>10}{'-' * 15:>16}{'-' * 14:>15}")
    for name in ("vectorised", "object loop"):
        rate = tp["bird_frames_per_s"][name]
        print(f"{name:<14}{tp['ms_per_frame'][name]:>10.4f}{fmt_rate(rate):>16}{rate / obj:>15.1f}")
    print(f"sanity: after 300 frames both sides agree on every bird's y to "
          f"{tp['agree_max_abs_y_diff_300_frames']:.1e} px; birds alive at the end: "
          f"{tp['alive_at_end']['vectorised']} / {tp['alive_at_end']['object loop']}")

    seeds = list(range(3 if args.quick else 5))
    print(f"\nevolution to a champion that passes {TARGET_PIPES} pipes in 9 of 10 unseen games, "
          f"default SETTINGS {SETTINGS}, "
          f"seeds {seeds[0]}..{seeds[-1]}:", flush=True)
    rows = evolution(seeds)
    gens = statistics.median(r["generations"] for r in rows)
    secs = statistics.median(r["seconds"] for r in rows)
    solved = sum(r["stop_reason"] == "target" for r in rows)
    eval_rate = sum(r["bird_frames"] for r in rows) / sum(r["eval_seconds"] for r in rows)
    print(f"median {gens:g} generations, {secs:.2f} s; {solved}/{len(rows)} seeds reached "
          f"{TARGET_PIPES} pipes in 9+ of 10 unseen games; evaluation throughput over all generations "
          f"{fmt_rate(eval_rate)} bird-frames/s (few birds alive late in a game)")

    elapsed = time.perf_counter() - t_start
    other = other_cpu_pct(cpu0, cpu_busy(), sum(os.times()[:2]) - self0, env["cores"])
    if other is not None and other > 10:
        print(f"\nWARNING: other processes used {other:.0f}% of the CPU during the run; "
              "timings are unreliable: re-run on a quiet machine.")
    print(f"\nvectorised / object loop: {vec / obj:.1f}x")
    print(f"target: >= {TARGET_BIRD_FRAMES:,} bird-frames/s ({fmt_rate(vec)}): "
          f"{'met' if vec >= TARGET_BIRD_FRAMES else 'MISSED'}")
    ok = solved == len(rows) and secs < TARGET_SECONDS
    print(f"target: median < {TARGET_SECONDS:g} s to a champion passing {TARGET_PIPES} pipes "
          f"in 9 of 10 unseen games "
          f"({secs:.2f} s): {'met' if ok else 'MISSED'}")
    print(f"(total {elapsed:.0f} s)")

    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"environment": env, "quick": args.quick, "elapsed_s": elapsed,
                       "other_processes_cpu_pct": other, "throughput": tp,
                       "evolution": {"settings": SETTINGS, "runs": rows, "median_generations": gens,
                                     "median_seconds": secs, "eval_bird_frames_per_s": eval_rate}},
                      fh, indent=2, default=float)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
