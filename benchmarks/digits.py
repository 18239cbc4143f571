#!/usr/bin/env python
"""Digit classifiers on scikit-learn's digits: gone vs PyTorch (CPU), epoch time and accuracy.

Both sides train the default architectures of ``gone train digits`` (the
MLP 64-128-10 and the CNN conv32-pool-conv64-pool-128-10, see
``gone/models/digits.py``) from the SAME initial weights (gone's, copied into
``torch.nn.Linear``/``Conv2d``), on the same seeded 80/20 split, in the same
per-epoch sample order (each side draws ``permutation(n)`` per epoch from its
own ``numpy.random.default_rng(12345)``), with Adam (lr 1e-3) at batch 32 for
the CLI's default number of epochs. Only dropout masks differ (each library
draws its own), so a single run's accuracies can differ by a sample or two
(0.28 points of the 359 test images); the accuracy reported is therefore the
mean over ``--seeds`` runs (initial weights and shuffles from seeds 0, 1, ...;
the test split stays the same).

The sides take turns epoch by epoch (gone, torch, torch, gone, ...), so load
from other processes falls on both; the first two epochs of each run are
warm-up and the median of the rest, over all runs, is reported.

    python benchmarks/digits.py                 # both models, float32, 3 seeds, ~30 s on 2 cores
    python benchmarks/digits.py --model cnn --dtype float64
    python benchmarks/digits.py --no-torch      # gone only
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import numpy as np

import gone
from gone.models import DEFAULTS, build_model, predict_labels

try:  # optional: without torch only gone is timed
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

SHUFFLE_SEED = 12345
WARMUP = 2
TARGETS = {"mlp": 3.0, "cnn": 1.0}   # torch ms / gone ms at least this
ACCURACY_POINTS = 0.5


class GoneSide:
    name = "gone"

    def __init__(self, net, x, y, lr, bs, seed):
        self.net, self.x, self.y, self.bs = net, x, y, bs
        self.opt = gone.Adam(lr=lr, batch_size=bs)
        self.rng = np.random.default_rng(SHUFFLE_SEED + seed)

    def epoch(self) -> float:
        t = time.perf_counter()
        self.net.train(self.x, self.y, optimizer=self.opt, epochs=1, metrics=(), rng=self.rng)
        return time.perf_counter() - t

    def accuracy(self, x, y) -> float:
        return float(np.mean(predict_labels(self.net, x) == y))


def torch_model(net):
    """The same layers as ``net`` in torch, holding ``net``'s current weights."""
    mods = []
    for layer in net.layers:
        if layer.kind == "conv2d":
            f, c = layer.filters, layer.in_shape[0]
            m = torch.nn.Conv2d(c, f, layer.kernel, stride=layer.stride, padding=layer.pads())
            m.weight.data = torch.tensor(layer.weight.reshape(f, c, *layer.kernel))
        elif layer.kind == "maxpool2d":
            mods.append(torch.nn.MaxPool2d(layer.pool, layer.stride))
            continue
        elif layer.kind == "flatten":
            mods.append(torch.nn.Flatten())
            continue
        else:
            m = torch.nn.Linear(layer.n_in, layer.units)
            m.weight.data = torch.tensor(layer.weight.copy())
        m.bias.data = torch.tensor(layer.bias.copy())
        mods.append(m)
        if layer.activation.name == "relu":
            mods.append(torch.nn.ReLU())
        if layer.dropout:
            mods.append(torch.nn.Dropout(layer.dropout))
    return torch.nn.Sequential(*mods)   # softmax is inside F.cross_entropy


class TorchSide:
    name = "torch"

    def __init__(self, net, x, y, lr, bs, seed):
        torch.manual_seed(seed)
        self.model = torch_model(net)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
        self.x, self.y, self.bs = torch.from_numpy(x), torch.from_numpy(y), bs
        self.rng = np.random.default_rng(SHUFFLE_SEED + seed)

    def epoch(self) -> float:
        t = time.perf_counter()
        self.model.train()
        order = torch.from_numpy(self.rng.permutation(len(self.x)))
        x, y = self.x[order], self.y[order]
        for s in range(0, len(x), self.bs):
            self.opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(x[s:s + self.bs]), y[s:s + self.bs])
            loss.backward()
            self.opt.step()
        return time.perf_counter() - t

    def accuracy(self, x, y) -> float:
        self.model.eval()
        with torch.no_grad():
            return float((self.model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def run(model: str, dtype: str, use_torch: bool, epochs: int | None, seeds: int) -> dict:
    x, y = gone.datasets.load_digits(images=True)
    x_train, y_train, x_test, y_test = gone.datasets.split(x, y, (0.8, 0.2), seed=0)
    x_train, x_test = x_train.astype(dtype), x_test.astype(dtype)
    if model == "mlp":
        x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    d = DEFAULTS[("digits", model)]
    epochs = epochs or d["epochs"]
    times, accs = {}, {}
    for seed in range(seeds):
        net = build_model(model, (1, 8, 8), seed=seed, dtype=dtype)
        kinds = [GoneSide] + ([TorchSide] if use_torch else [])
        sides = [k(net, x_train, y_train, d["lr"], d["batch_size"], seed) for k in kinds]
        run_times = {s.name: [] for s in sides}
        for e in range(epochs):
            for s in (sides if e % 2 == 0 else sides[::-1]):
                run_times[s.name].append(s.epoch())
        for s in sides:
            times.setdefault(s.name, []).extend(run_times[s.name][WARMUP:])
            accs.setdefault(s.name, []).append(s.accuracy(x_test, y_test))
    return {name: {"ms": 1e3 * statistics.median(times[name]), "accuracy": np.mean(accs[name]),
                   "runs": accs[name]} for name in times} | {"epochs": epochs}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="both sides (float32 is torch's default)")
    p.add_argument("--epochs", type=int, default=None, help="default: the CLI's")
    p.add_argument("--seeds", type=int, default=3, help="runs per model (default 3)")
    p.add_argument("--no-torch", action="store_true")
    args = p.parse_args(argv)
    use_torch = torch is not None and not args.no_torch
    print(f"{platform.machine()} | python {platform.python_version()} | numpy {np.__version__} "
          f"| torch {torch.__version__ if use_torch else 'not used'}"
          f"{f' ({torch.get_num_threads()} threads)' if use_torch else ''} | {args.dtype}")
    if torch is None:
        print("note: PyTorch is not installed; only gone is timed (pip install torch).")
    models = ["mlp", "cnn"] if args.model == "both" else [args.model]
    rows = {}
    for m in models:
        print(f"running {m} ...", flush=True)
        rows[m] = run(m, args.dtype, use_torch, args.epochs, max(1, args.seeds))
    print(f"\n{'model':6} {'epochs':>6} {'gone ms/epoch':>14} {'torch ms/epoch':>15} "
          f"{'torch/gone':>10} {'gone acc':>9} {'torch acc':>10}   (accuracy: mean of {args.seeds} runs)")
    for m, r in rows.items():
        g, t = r["gone"], r.get("torch")
        t_ms = f"{t['ms']:.1f}" if t else "-"
        ratio = f"{t['ms'] / g['ms']:.2f}x" if t else "-"
        t_acc = f"{t['accuracy']:.2%}" if t else "-"
        print(f"{m:6} {r['epochs']:6d} {g['ms']:14.1f} {t_ms:>15} {ratio:>10} "
              f"{g['accuracy']:9.2%} {t_acc:>10}")
    if use_torch:
        print(f"\ntargets: gone's MLP epochs >= {TARGETS['mlp']:.0f}x faster than torch's, the "
              f"CNN's no slower; accuracy within {ACCURACY_POINTS} points")
        for m, r in rows.items():
            speed = r["torch"]["ms"] / r["gone"]["ms"]
            gap = 100 * abs(r["gone"]["accuracy"] - r["torch"]["accuracy"])
            runs = "; ".join(f"{k} " + " ".join(f"{a:.2%}" for a in r[k]["runs"])
                             for k in ("gone", "torch"))
            print(f"  {m} per run: {runs}")
            print(f"  {m}: speed {speed:.2f}x (want >= {TARGETS[m]:.0f}x): "
                  f"{'met' if speed >= TARGETS[m] else 'MISSED'}; accuracy gap {gap:.2f} points: "
                  f"{'met' if gap <= ACCURACY_POINTS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
