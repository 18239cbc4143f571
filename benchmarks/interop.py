#!/usr/bin/env python
"""Interoperability: ONNX export/import of the digit models, gone vs onnxruntime, Ray vs processes.

    python benchmarks/interop.py [--repeats N] [--ray] [--quick]

Cases:
  1  export (``net.to_onnx``) and import (``gone.from_onnx``) time for the digit MLP
     (64-128-10) and CNN (``gone train digits`` models, built by
     ``gone.models.build_model``), and the largest difference between gone's and
     onnxruntime's outputs on 256 random images (float32).
  2  predict time, gone vs onnxruntime (one thread, the same model, float32), batch 1
     and 256: median of ``--repeats`` timed calls after warm-up, the two sides taking
     turns so a busy machine slows both alike. The ratio is gone / onnxruntime (> 1:
     onnxruntime is faster).
  3  (``--ray``) seconds per generation of a population of 32 evaluated by the ray
     backend (a local Ray, 2 CPUs) and the process backend (2 workers), for a cheap
     fitness (~0.1 ms per network) and an expensive one (~20 ms per network): the
     overhead a cluster has to win back.

Numbers depend on the machine and its load: the script prints the CPU count and
the load average next to them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# One BLAS thread, as onnxruntime is given one below: the comparison is per core, and
# on a loaded machine BLAS threads that wait for each other cost more than they give.
# Set OPENBLAS_NUM_THREADS yourself to see another case.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from _common import blas_name, git_revision  # noqa: E402 (benchmarks/ is on sys.path)

import gone  # noqa: E402
from gone.models import build_model  # noqa: E402


def models() -> dict:
    return {"digit MLP": build_model("mlp", (1, 8, 8), dtype="float32", seed=0),
            "digit CNN": build_model("cnn", (1, 8, 8), dtype="float32", seed=0)}


def images(net, batch: int, rng) -> np.ndarray:
    """``batch`` random 8x8 images in the shape ``net`` takes: ``(batch, 1, 8, 8)`` or ``(batch, 64)``."""
    x = rng.random((batch, 1, 8, 8), dtype=np.float32)
    return x if net.input_shape else x.reshape(batch, -1)


def session(model):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1  # as gone: one core, no pool
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])


def best_of(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def case_1(nets: dict, repeats: int) -> None:
    print("\n1. export / import and agreement (float32, 256 random images)")
    print(f"   {'model':10} {'params':>8} {'export ms':>10} {'import ms':>10} {'max |gone - ort|':>17}")
    rng = np.random.default_rng(0)
    for name, net in nets.items():
        export = best_of(lambda: net.to_onnx(), repeats)
        model = net.to_onnx()
        data = model.SerializeToString()
        imp = best_of(lambda: gone.from_onnx(data), repeats)
        x = images(net, 256, rng)
        diff = float(np.abs(session(model).run(None, {"input": x})[0] - net.predict(x)).max())
        back = gone.from_onnx(data)
        same = np.array_equal(back.genome(), net.genome())
        print(f"   {name:10} {net.n_params:>8} {export * 1e3:>10.2f} {imp * 1e3:>10.2f} "
              f"{diff:>17.2e}   round trip equal: {same}")


def case_2(nets: dict, repeats: int) -> None:
    print("\n2. predict, gone vs onnxruntime (1 thread, float32); median ms per call")
    print(f"   {'model':10} {'batch':>5} {'gone':>9} {'onnxruntime':>12} {'gone/ort':>9}")
    rng = np.random.default_rng(1)
    for name, net in nets.items():
        sess = session(net.to_onnx())
        for batch in (1, 256):
            x = images(net, batch, rng)
            sides = {"gone": lambda: net.predict(x), "ort": lambda: sess.run(None, {"input": x})}
            times = {k: [] for k in sides}
            for fn in sides.values():
                fn()  # warm-up
            for _ in range(repeats):  # taking turns: load hits both sides alike
                for key, fn in sides.items():
                    t = time.perf_counter()
                    fn()
                    times[key].append(time.perf_counter() - t)
            g, o = statistics.median(times["gone"]), statistics.median(times["ort"])
            print(f"   {name:10} {batch:>5} {g * 1e3:>9.3f} {o * 1e3:>12.3f} {g / o:>9.2f}")


def spin(seconds: float) -> float:
    """Busy work for ``seconds`` (a fitness that costs CPU, not a sleep)."""
    end, x = time.perf_counter() + seconds, 0.0
    while time.perf_counter() < end:
        x += 1.0
    return x


class Fitness:
    """A fitness of a chosen cost: the network's output sum plus ``cost`` s of CPU."""

    def __init__(self, cost: float):
        self.cost, self.x = cost, np.linspace(-1, 1, 16).reshape(8, 2)

    def __call__(self, net):
        if self.cost:
            spin(self.cost)
        return float(net.predict(self.x).sum())


def case_3(generations: int) -> None:
    from gone.evolution.backends import ProcessBackend, RayBackend

    print(f"\n3. seconds per generation, population 32 of 2-16-1 networks, "
          f"{generations} generations after one warm-up")
    print(f"   {'fitness':22} {'serial':>8} {'process(2)':>11} {'ray(2)':>8} {'ray/process':>12}")
    template = gone.Network([2, gone.Dense(16, "tanh"), 1], seed=0)
    genomes = np.random.default_rng(2).normal(size=(32, template.n_params))
    for label, cost in (("cheap (~0.1 ms)", 0.0), ("expensive (20 ms)", 0.02)):
        fitness, row = Fitness(cost), {}
        for name, backend in (("serial", gone.evolution.backends.SerialBackend()),
                              ("process", ProcessBackend(workers=2)),
                              ("ray", RayBackend(workers=2))):
            with backend:
                backend.map(fitness, template, genomes, seed=0)  # start-up, not counted
                t = time.perf_counter()
                for g in range(generations):
                    backend.map(fitness, template, genomes, seed=g)
                row[name] = (time.perf_counter() - t) / generations
        print(f"   {label:22} {row['serial']:>8.3f} {row['process']:>11.3f} {row['ray']:>8.3f} "
              f"{row['ray'] / row['process']:>12.2f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--generations", type=int, default=5)
    p.add_argument("--ray", action="store_true", help="also case 3 (starts a local Ray)")
    args = p.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore", gone.PerformanceWarning)  # the cheap case is on purpose
    print(f"gone {gone.__version__} ({git_revision()}), numpy {np.__version__} ({blas_name()}), "
          f"python {sys.version.split()[0]}")
    import onnxruntime

    print(f"onnxruntime {onnxruntime.__version__}; OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}; {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    nets = models()
    case_1(nets, max(3, args.repeats // 10))
    case_2(nets, args.repeats)
    if args.ray:
        case_3(args.generations)
    print(f"\nload average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
