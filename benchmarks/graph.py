#!/usr/bin/env python
"""Graph loading: time and peak memory of a large sparse graph, from JSON and from ``.gone``.

Issue 12 item 2 asks that a 100,000-neuron, 300,000-synapse graph load in
under 2 s and 500 MB. Each load runs in a fresh subprocess, so the peak
resident memory (``VmHWM``) is that load's alone (it includes the Python
interpreter, numpy and gone: the baseline is printed too). Also timed: one
propagation step and one learning step of a batch of 32.

Graphs (``--shape``):
  random  neuron i reads 3 sources drawn uniformly from the inputs and neurons
          0..i-1, plus, with probability 0.05, one recurrent source (any neuron)
  chain   neuron i reads neuron i-1 (depth = neurons): the worst case for levels

The reference is the issue's target, not another library (no peer loads this
JSON shape); gone before the sparse compile needed neurons^2 memory (a
20,000-neuron chain died with MemoryError). Run
``python benchmarks/graph.py --neurons 100000 --synapses 300000``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import blas_name, git_revision  # noqa: E402


def make_config(n_neurons: int, n_synapses: int, shape: str, seed: int = 0) -> dict:
    """A graph config of ``n_neurons`` over 10 inputs, about ``n_synapses`` synapses."""
    rng = np.random.default_rng(seed)
    inputs = [f"x{j}" for j in range(10)]
    names = [f"n{i}" for i in range(n_neurons)]
    nodes = inputs + names
    per = max(1, n_synapses // n_neurons)
    acts = ["tanh", "sigmoid", "identity", "relu"]
    neurons = {}
    for i, name in enumerate(names):
        if shape == "chain":
            sources = [nodes[9 + i]]
        else:
            sources = {nodes[j] for j in rng.integers(0, 10 + i, size=per)}
            if rng.random() < 0.05:
                sources.add(names[rng.integers(n_neurons)])
        neurons[name] = {"bias": float(rng.normal()), "activation": acts[i % len(acts)],
                         "synapses": {s: float(rng.normal()) for s in sources}}
    return {"inputs": inputs, "outputs": names[-5:], "neurons": neurons}


_CHILD = r"""
import sys, time
import numpy as np
import gone
def hwm():  # peak resident set of this process (MB); ru_maxrss would include the parent's
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
base = hwm()
t0, c0 = time.perf_counter(), time.process_time()
g = gone.load_graph(sys.argv[1])
load, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = hwm()
x = np.random.default_rng(0).normal(size=(32, g.n_inputs))
t0 = time.perf_counter(); g.propagate(x); step = time.perf_counter() - t0
g.reset_state()
t0 = time.perf_counter(); g.learn(x, np.zeros((32, g.n_outputs)), 0.01)
learn = time.perf_counter() - t0
print(load, cpu, base, peak, step, learn, g.n_neurons, g.n_params - g.n_neurons)
"""


def measure(path: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, path], capture_output=True, text=True,
                         check=True).stdout.split()
    keys = ("load_s", "load_cpu_s", "baseline_mb", "peak_mb", "step32_s", "learn32_s", "neurons", "synapses")
    return dict(zip(keys, map(float, out)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=100_000)
    ap.add_argument("--synapses", type=int, default=300_000)
    ap.add_argument("--shape", choices=("random", "chain", "both"), default="both")
    args = ap.parse_args(argv)
    import gone

    print(f"gone {gone.__version__} ({git_revision()}), numpy {np.__version__}, BLAS {blas_name()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shapes = ("random", "chain") if args.shape == "both" else (args.shape,)
    with tempfile.TemporaryDirectory() as tmp:
        for shape in shapes:
            config = make_config(args.neurons, args.synapses, shape)
            graph = gone.GraphNetwork.from_config(config)
            for ext in ("json", "gone"):
                path = os.path.join(tmp, f"{shape}.{ext}")
                graph.save(path)
                r = measure(path)
                size = os.path.getsize(path) / 1e6
                ok = "ok" if r["load_s"] < 2 and r["peak_mb"] < 500 else "OVER TARGET"
                if ok != "ok" and r["load_cpu_s"] < 2 and r["peak_mb"] < 500:
                    ok = "CPU ok, wall over: a loaded machine?"
                print(f"{shape:6s} .{ext:4s} {int(r['neurons']):>7} neurons "
                      f"{int(r['synapses']):>7} "
                      f"synapses {size:6.1f} MB file: load {r['load_s']:.2f} s "
                      f"(CPU {r['load_cpu_s']:.2f} s), peak RSS "
                      f"{r['peak_mb']:.0f} MB (interpreter+imports {r['baseline_mb']:.0f} MB), "
                      f"step(32) {r['step32_s'] * 1e3:.0f} ms, learn(32) "
                      f"{r['learn32_s'] * 1e3:.0f} ms  [{ok}: < 2 s, < 500 MB]")


if __name__ == "__main__":
    main()
