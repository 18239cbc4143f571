#!/usr/bin/env python
"""Mini-batch training time per epoch: gone vs a hand-written numpy loop vs PyTorch (CPU).

All three train the same network from the same initial weights (gone's, copied
into ``torch.nn.Linear`` and into the numpy loop), on the same data, in the same
per-epoch sample orders (each side draws ``permutation(n)`` once per epoch from
its own ``numpy.random.default_rng(SHUFFLE_SEED)``; gone gets such a Generator
through ``train(rng=...)``), with the same optimizer: plain SGD, same step size.

Cases:
  a  64-32-10, sigmoid/sigmoid, gone's MSE (Go semantics), 1,438 digit-sized samples, batch 32
  b  784-128-10, relu/softmax, cross-entropy, 60,000 MNIST-sized samples, batch 64
  c  XOR 2-4-1, sigmoid hidden, identity output, MSE, batch 1 and batch 4

The data are synthetic with a fixed seed (sizes and value ranges of sklearn's
digits and of MNIST; labels from a fixed random linear map, so they are learnable).

The "numpy floor" is the same training written as a minimal, preallocated,
in-place numpy loop with no abstraction: the figure gone could reach.

Run ``python benchmarks/train_mlp.py --help`` for options; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
import traceback
from dataclasses import dataclass

import numpy as np
from _common import blas_name, git_revision  # noqa: E402 (benchmarks/ is on sys.path)

import gone

try:  # torch is optional: without it the benchmark runs gone and the numpy floor only
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

DATA_SEED = 20240531      # synthetic data
INIT_SEED = 0             # gone's initial weights (the network's seed)
SHUFFLE_SEED = 12345      # the per-epoch permutations, identical for every side
CHECK_TOL = 1e-5          # float64 agreement after one epoch


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    key: str
    title: str
    sizes: tuple[int, int, int]
    hidden: str            # hidden activation: sigmoid | relu
    output: str            # output activation: sigmoid | softmax | identity
    loss: str              # mse (gone's, Go semantics) | cross_entropy
    n: int                 # samples per epoch
    batches: tuple[int, ...]
    dtypes: tuple[str, ...]
    lr: float
    # Schedule. The three sides take turns: a round runs each side for ``warm +
    # timed`` blocks of ``block`` epochs (the order rotates between rounds) and
    # keeps the last ``timed``; the first round is all warm-up. Taking turns
    # spreads any load from other processes over all sides, and the dropped
    # blocks absorb the other library's thread pool still spinning.
    rounds: int            # rounds after the warm-up round
    warm: int              # untimed blocks at the start of each turn
    timed: int             # timed blocks per turn
    block: int = 1         # epochs per timed block (tiny epochs are timed in blocks)
    quick: tuple[int, int, int, int] = (1, 1, 3, 1)   # rounds, warm, timed, block for --quick

    def arch(self) -> str:
        return "-".join(map(str, self.sizes))

    def schedule(self, quick: bool) -> tuple[int, int, int, int]:
        return self.quick if quick else (self.rounds, self.warm, self.timed, self.block)


CASES = {
    "a": Case("a", "64-32-10 sigmoid, mse", (64, 32, 10), "sigmoid", "sigmoid", "mse",
              1438, (32,), ("float64", "float32"), lr=0.1,
              rounds=10, warm=2, timed=5, quick=(2, 1, 4, 1)),
    "b": Case("b", "784-128-10 relu/softmax, CE", (784, 128, 10), "relu", "softmax",
              "cross_entropy", 60000, (64,), ("float32", "float64"), lr=0.05,
              rounds=5, warm=1, timed=2, quick=(2, 0, 1, 1)),
    "c": Case("c", "XOR 2-4-1 sigmoid/identity, mse", (2, 4, 1), "sigmoid", "identity", "mse",
              4, (1, 4), ("float64",), lr=0.5,
              rounds=8, warm=1, timed=3, block=50, quick=(2, 1, 2, 20)),
}


def make_data(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs ``(n, n_in)`` float64, one-hot targets ``(n, n_out)`` float64, labels ``(n,)``."""
    rng = np.random.default_rng(DATA_SEED)
    if case.key == "c":
        x, y = gone.datasets.xor()
        return x, y, y[:, 0].astype(np.intp)
    n, n_in, n_out = case.n, case.sizes[0], case.sizes[-1]
    if case.key == "a":   # sklearn digits: 8x8 images with integer intensities 0..16
        x = rng.integers(0, 17, size=(n, n_in)) / 16.0
    else:                 # MNIST: 28x28 intensities in [0, 1], mostly background
        x = rng.random((n, n_in), dtype=np.float32)
        x[x < 0.6] = 0.0
        x = x.astype(np.float64)
    proj = rng.standard_normal((n_in, n_out))
    labels = np.argmax((x - x.mean(0)) @ proj, axis=1)
    return x, np.eye(n_out)[labels], labels


def make_net(case: Case, dtype: str) -> gone.Network:
    n0, n1, n2 = case.sizes
    return gone.Network([n0, gone.Dense(n1, case.hidden), gone.Dense(n2, case.output)],
                        loss=case.loss, learning_rate=case.lr, seed=INIT_SEED, dtype=dtype)


def epoch_batch_sizes(n: int, bs: int) -> list[int]:
    return [min(bs, n - s) for s in range(0, n, bs)]


def matmul_flops(case: Case, bs: int) -> int:
    """FLOPs (2 m n k each) of the matmuls gone does in one epoch.

    Forward x W1^T, a1 W2^T; backward dW2 = d2^T a1, dx2 = d2 W2, dW1 = d1^T x
    (gone skips the input gradient of the first layer).
    """
    n0, n1, n2 = case.sizes
    return sum(2 * m * (2 * n0 * n1 + 3 * n1 * n2) for m in epoch_batch_sizes(case.n, bs))


# --------------------------------------------------------------------------
# Timing helpers
# --------------------------------------------------------------------------

def _per_epoch_ms(stamps: list[float], block: int) -> list[float]:
    return [float(d) * 1e3 / block for d in np.diff(stamps)]


class _Stamp(gone.Callback):
    """Records the time at the start of training and after every ``every`` epochs."""

    def __init__(self, every: int):
        self.every, self.stamps = every, []

    def on_train_begin(self, run):
        self.stamps = [time.perf_counter()]

    def on_epoch_end(self, run, logs):
        if (run.epoch + 1) % self.every == 0:
            self.stamps.append(time.perf_counter())


# Each runner keeps its model, optimizer and shuffle Generator between calls;
# ``run(blocks)`` trains ``blocks * block`` more epochs and returns ms per epoch
# of each block.

class GoneRunner:
    name = "gone"

    def __init__(self, case, dtype, bs, x, y, labels, block):
        self.net = make_net(case, dtype)
        self.opt = gone.MBGD(bs)
        self.rng = np.random.default_rng(SHUFFLE_SEED)
        self.x, self.y, self.block = x, y, block
        self.stamp = _Stamp(block)
        self.loss = math.nan

    def run(self, blocks: int) -> list[float]:
        hist = self.net.train(self.x, self.y, optimizer=self.opt, epochs=blocks * self.block,
                              shuffle=True, metrics=(), callbacks=[self.stamp], rng=self.rng)
        self.loss = hist.loss[-1]
        return _per_epoch_ms(self.stamp.stamps, self.block)

    def params(self):
        return [p.copy() for p in self.net.params]                  # W1 b1 W2 b2


class FloorMLP:
    """A 2-layer MLP trained by plain SGD with nothing but numpy calls on preallocated arrays.

    The learning rate is folded into the output delta, so every gradient is
    already ``lr * dL/dp`` and the update is a single in-place subtraction.
    """

    def __init__(self, case: Case, net: gone.Network, bs: int):
        dt = net.dtype
        self.case, self.bs, self.dt = case, bs, dt
        (self.W1, self.W2), (self.b1, self.b2), _ = net.to_arrays()
        self.dW1, self.db1 = np.empty_like(self.W1), np.empty_like(self.b1)
        self.dW2, self.db2 = np.empty_like(self.W2), np.empty_like(self.b2)
        n0, n1, n2 = case.sizes
        self.buf = {}
        for m in set(epoch_batch_sizes(case.n, bs)):
            self.buf[m] = dict(x=np.empty((m, n0), dt), y=np.empty((m, n2), dt),
                               a1=np.empty((m, n1), dt), a2=np.empty((m, n2), dt),
                               d1=np.empty((m, n1), dt), t1=np.empty((m, n1), dt),
                               t2=np.empty((m, n2), dt), mask=np.empty((m, n1), bool),
                               rows=np.arange(m))
        self.scale = {m: dt.type(case.lr / (m * n2) if case.loss == "mse" else case.lr / m)
                      for m in self.buf}

    @staticmethod
    def _sigmoid_(a):
        # 1 / (1 + exp(-z)) in place (numpy's exp is much faster than its tanh).
        # exp may overflow to inf for z < -88 (float32): the result is then 0,
        # the right limit; run() ignores that warning.
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1.0
        np.reciprocal(a, out=a)

    def epoch(self, X, Y, L, perm) -> float:
        """One epoch over ``perm``; returns the mean loss."""
        case, W1, b1, W2, b2 = self.case, self.W1, self.b1, self.W2, self.b2
        dW1, db1, dW2, db2 = self.dW1, self.db1, self.dW2, self.db2
        hidden_sigmoid = case.hidden == "sigmoid"
        out, mse = case.output, case.loss == "mse"
        total = 0.0
        for s in range(0, len(perm), self.bs):
            idx = perm[s:s + self.bs]
            m = len(idx)
            B = self.buf[m]
            xb, yb, a1, a2, d1, t1, t2 = B["x"], B["y"], B["a1"], B["a2"], B["d1"], B["t1"], B["t2"]
            np.take(X, idx, axis=0, out=xb, mode="clip")
            # forward
            np.matmul(xb, W1.T, out=a1)
            a1 += b1
            if hidden_sigmoid:
                self._sigmoid_(a1)
            else:
                np.maximum(a1, 0, out=a1)
            np.matmul(a1, W2.T, out=a2)
            a2 += b2
            if out == "sigmoid":
                self._sigmoid_(a2)
                np.subtract(1, a2, out=t2)   # t2 = sigmoid'(z2) = a2 (1 - a2)
                t2 *= a2
            elif out == "softmax":
                a2 -= a2.max(axis=1, keepdims=True)
                np.exp(a2, out=a2)
                a2 /= a2.sum(axis=1, keepdims=True)
            # loss and output delta (in place in a2), already times lr
            if mse:
                np.take(Y, idx, axis=0, out=yb, mode="clip")
                a2 -= yb
                total += float(np.vdot(a2, a2)) / a2.shape[1]
            else:
                lb = L[idx]
                total -= float(np.log(np.maximum(a2[B["rows"], lb], 1e-12)).sum())
                a2[B["rows"], lb] -= 1
            a2 *= self.scale[m]
            if out == "sigmoid":
                a2 *= t2
            # backward
            np.matmul(a2, W2, out=d1)
            np.matmul(a2.T, a1, out=dW2)
            np.sum(a2, axis=0, out=db2)
            if hidden_sigmoid:
                np.subtract(1, a1, out=t1)
                t1 *= a1
                d1 *= t1
            else:
                np.greater(a1, 0, out=B["mask"])
                d1 *= B["mask"]
            np.matmul(d1.T, xb, out=dW1)
            np.sum(d1, axis=0, out=db1)
            # plain SGD step
            W2 -= dW2
            b2 -= db2
            W1 -= dW1
            b1 -= db1
        return total / len(perm)

    def params(self):
        return [self.W1, self.b1, self.W2, self.b2]


class FloorRunner:
    name = "floor"

    def __init__(self, case, dtype, bs, x, y, labels, block):
        self.mlp = FloorMLP(case, make_net(case, dtype), bs)
        self.rng = np.random.default_rng(SHUFFLE_SEED)
        self.case, self.x, self.y, self.labels, self.block = case, x, y, labels, block
        self.loss = math.nan

    def run(self, blocks: int) -> list[float]:
        stamps = [time.perf_counter()]
        with np.errstate(over="ignore"):
            for _ in range(blocks):
                for _ in range(self.block):
                    self.loss = self.mlp.epoch(self.x, self.y, self.labels,
                                               self.rng.permutation(self.case.n))
                stamps.append(time.perf_counter())
        return _per_epoch_ms(stamps, self.block)

    def params(self):
        return [p.copy() for p in self.mlp.params()]


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------

def torch_model(case: Case, net: gone.Network):
    """``nn.Sequential`` with gone's initial weights; softmax is left to the loss."""
    tdt = torch.float64 if net.dtype == np.float64 else torch.float32
    mods = []
    for layer in net.layers:
        lin = torch.nn.Linear(layer.n_in, layer.units, dtype=tdt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.weight.copy()))
            lin.bias.copy_(torch.from_numpy(layer.bias.copy()))
        mods.append(lin)
        name = layer.activation.name
        if name == "sigmoid":
            mods.append(torch.nn.Sigmoid())
        elif name == "relu":
            mods.append(torch.nn.ReLU())
        elif name == "softmax":
            assert case.loss == "cross_entropy"   # fused into F.cross_entropy
        elif name != "identity":
            raise ValueError(name)
    return torch.nn.Sequential(*mods)


def torch_loss(case: Case):
    if case.loss == "mse":
        # gone's MSE gradient is (y_pred - y) / (batch n_out): the gradient of
        # 0.5 * mean over all elements. Reported value: the plain mean (gone's).
        return lambda out, t: 0.5 * F.mse_loss(out, t), 2.0
    return lambda out, t: F.cross_entropy(out, t), 1.0


class TorchRunner:
    name = "torch"

    def __init__(self, case, dtype, bs, x, y, labels, block):
        self.model = torch_model(case, make_net(case, dtype))
        self.X = torch.from_numpy(x)
        self.T = (torch.from_numpy(y) if case.loss == "mse"
                  else torch.from_numpy(labels.astype(np.int64)))
        self.loss_fn, self.report = torch_loss(case)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=case.lr)
        self.rng = np.random.default_rng(SHUFFLE_SEED)
        self.case, self.bs, self.block = case, bs, block
        self.loss = math.nan

    def run(self, blocks: int) -> list[float]:
        model, opt, loss_fn, X, T, bs, n = (self.model, self.opt, self.loss_fn, self.X, self.T,
                                            self.bs, self.case.n)
        stamps = [time.perf_counter()]
        for _ in range(blocks):
            for _ in range(self.block):
                perm = torch.from_numpy(self.rng.permutation(n))
                total = 0.0
                for s in range(0, n, bs):
                    idx = perm[s:s + bs]
                    xb, tb = X.index_select(0, idx), T.index_select(0, idx)
                    opt.zero_grad(set_to_none=True)
                    batch_loss = loss_fn(model(xb), tb)
                    batch_loss.backward()
                    opt.step()
                    total += batch_loss.item() * idx.shape[0]
                self.loss = self.report * total / n
            stamps.append(time.perf_counter())
        return _per_epoch_ms(stamps, self.block)

    def params(self):
        return [p.detach().numpy().copy() for p in self.model.parameters()]  # W1 b1 W2 b2


def max_diff(ps, qs) -> float:
    return max(float(np.max(np.abs(p.astype(np.float64) - q))) for p, q in zip(ps, qs))


# --------------------------------------------------------------------------
# numpy's own matmul throughput for the same shapes
# --------------------------------------------------------------------------

class MatmulRunner:
    """Only the five matmuls per batch gone does (same shapes, layouts, ``out=``), per epoch."""

    name = "matmul"

    def __init__(self, case, dtype, bs, x, y, labels, block):
        dt = np.dtype(dtype)
        n0, n1, n2 = case.sizes
        rng = np.random.default_rng(1)
        self.W1 = rng.uniform(-0.1, 0.1, (n1, n0)).astype(dt)
        self.W2 = rng.uniform(-0.1, 0.1, (n2, n1)).astype(dt)
        self.dW1, self.dW2 = np.empty_like(self.W1), np.empty_like(self.W2)
        self.sizes = epoch_batch_sizes(case.n, bs)
        self.bufs = {m: [rng.uniform(-1, 1, shape).astype(dt) for shape in
                         [(m, n0), (m, n1), (m, n2), (m, n2), (m, n1), (m, n1)]]
                     for m in set(self.sizes)}
        self.block = block

    def run(self, blocks: int) -> list[float]:
        W1, W2, dW1, dW2 = self.W1, self.W2, self.dW1, self.dW2
        stamps = [time.perf_counter()]
        for _ in range(blocks):
            for _ in range(self.block):
                for m in self.sizes:
                    xb, z1, z2, d2, d1, a1 = self.bufs[m]
                    np.matmul(xb, W1.T, out=z1)
                    np.matmul(a1, W2.T, out=z2)
                    np.matmul(d2.T, a1, out=dW2)
                    np.matmul(d2, W2, out=d1)
                    np.matmul(d1.T, xb, out=dW1)
            stamps.append(time.perf_counter())
        return _per_epoch_ms(stamps, self.block)


# --------------------------------------------------------------------------
# Other load on the machine while a case ran
# --------------------------------------------------------------------------

def cpu_snapshot() -> dict:
    """System busy and steal time (from /proc/stat), this process's CPU time, wall time."""
    snap = {"wall": time.perf_counter(), "self": sum(os.times()[:2]), "busy": None, "steal": None}
    try:
        with open("/proc/stat") as fh:
            f = [int(v) for v in fh.readline().split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
        # user nice system idle iowait irq softirq steal ...
        snap["busy"] = (f[0] + f[1] + f[2] + f[5] + f[6]) / hz
        snap["steal"] = (f[7] if len(f) > 7 else 0) / hz
    except (OSError, ValueError, IndexError):
        pass
    return snap


def cpu_share(a: dict, b: dict) -> dict:
    """CPU used by other processes, and stolen by the hypervisor, in % of all cores' time."""
    if a["busy"] is None or b["busy"] is None:
        return {"other_pct": None, "steal_pct": None}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    span = (b["wall"] - a["wall"]) * cores
    other = (b["busy"] - a["busy"]) - (b["self"] - a["self"])
    return {"other_pct": max(0.0, 100 * other / span), "steal_pct": 100 * (b["steal"] - a["steal"]) / span}


# --------------------------------------------------------------------------
# float32 audit: does any operation on the training path produce float64?
# --------------------------------------------------------------------------

class _Traced(np.ndarray):
    """An ndarray that logs every ufunc (incl. matmul, reductions) whose result is float64."""

    log: list = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [i.view(np.ndarray) if isinstance(i, _Traced) else i for i in inputs]
        outs = kwargs.get("out")
        if outs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, _Traced) else o for o in outs)
        result = getattr(ufunc, method)(*args, **kwargs)
        for r in result if isinstance(result, tuple) else (result,):
            if getattr(r, "dtype", None) == np.float64:
                _Traced.log.append((f"{ufunc.__name__}.{method}", _gone_frame()))
        if outs:
            return outs[0] if len(outs) == 1 else outs
        wrap = lambda r: r.view(_Traced) if isinstance(r, np.ndarray) else r  # noqa: E731
        return tuple(map(wrap, result)) if isinstance(result, tuple) else wrap(result)


def _gone_frame() -> str:
    root = os.path.dirname(gone.__file__)
    for frame in reversed(traceback.extract_stack()[:-2]):
        if frame.filename.startswith(root):
            return f"gone/{os.path.relpath(frame.filename, root)}:{frame.lineno}: {frame.line}"
    return "(outside gone)"


def float32_audit(cases) -> list[str]:
    """Run gone's float32 training path on traced arrays; list every float64 result."""
    from gone import activations, losses, optimizers

    T = lambda a: np.asarray(a, np.float32).view(_Traced)  # noqa: E731
    found = {}

    def collect(where):
        for op, frame in _Traced.log:
            found.setdefault(f"{frame}  [{op}]", where)
        _Traced.log = []

    _Traced.log = []
    rng = np.random.default_rng(0)
    for case in cases:
        net = make_net(case, "float32")
        x, y, _ = make_data(case)
        xb, yb = T(x[:8]), T(y[:8])
        out, caches = net._forward_train(xb, None)
        _, grad_z = net._top_grad(out, yb, caches)
        grad = net._backward(grad_z, caches, 0.5)  # 0.5: the folded-learning-rate path too
        arrays = [out, grad, *[c for cache in caches for c in cache if c is not None]]
        bad = [str(a.dtype) for a in arrays if a.dtype != np.float32]
        if bad:
            found[f"case {case.key}: arrays of dtype {bad}"] = case.key
        collect(f"case {case.key}")
        hist = net.train(x[:64].astype(np.float32), y[:64].astype(np.float32), epochs=1,
                         optimizer=gone.MBGD(16), metrics=(), rng=0)
        if net.flat.dtype != np.float32 or not all(p.dtype == np.float32 for p in net.params):
            found[f"case {case.key}: parameters left float32 after training"] = case.key
        del hist
    # dropout and L2 (not used by the cases) on the same path
    net = gone.Network([6, gone.Dense(8, "relu", dropout=0.5, l2=1e-3), gone.Dense(3, "softmax")],
                       loss="cross_entropy", dtype="float32", seed=0)
    xb, yb = T(rng.uniform(0, 1, (5, 6))), T(np.eye(3)[[0, 1, 2, 0, 1]])
    out, caches = net._forward_train(xb, np.random.default_rng(0))
    _, grad_z = net._top_grad(out, yb, caches)
    net._backward(grad_z, caches, 0.5)
    collect("dropout+l2 network")
    z = T(rng.uniform(-3, 3, (4, 5)))
    for name in activations.names():
        act = activations.get(name)
        a = act.fn(z)
        act.backward(z, a, T(np.ones((4, 5))))
        collect(f"activation {name}")
    p, yy = T(rng.uniform(0.05, 0.95, (4, 5))), T(np.eye(5)[[0, 1, 2, 3]])
    for name in losses.names():
        loss = losses.get(name)
        loss.fn(p, yy)
        loss.grad(p, yy)
        for fused in loss.fused.values():
            fused(p, yy)
        collect(f"loss {name}")
    for cls in (optimizers.GD, optimizers.Momentum, optimizers.Nesterov,
                optimizers.RMSprop, optimizers.Adam):
        opt = cls(lr=0.01)
        params = [T(np.ones(6))]
        for _ in range(2):
            opt.step(params, [T(np.full(6, 0.1))])
        collect(f"optimizer {cls.name}")
        if params[0].dtype != np.float32:
            found[f"optimizer {cls.name}: parameter became {params[0].dtype}"] = cls.name
    return [f"{where}: {what}" for what, where in found.items()]


# --------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------

def profile_gone(case, dtype, bs, x, y, epochs, top=18) -> str:
    net = make_net(case, dtype)
    net.train(x, y, optimizer=gone.MBGD(bs), epochs=1, metrics=(), rng=0)  # warm-up
    prof = cProfile.Profile()
    prof.enable()
    net.train(x, y, optimizer=gone.MBGD(bs), epochs=epochs, metrics=(), rng=1)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def environment() -> dict:
    rev = git_revision()
    blas = blas_name()
    return {
        "python": platform.python_version(), "numpy": np.__version__, "blas": blas,
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": platform.processor() or platform.machine(), "gone": gone.__version__, "git": rev,
        "blas_threads_env": {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                         "MKL_NUM_THREADS") if k in os.environ},
    }


def fmt(v, spec="{:.2f}") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else spec.format(v)


def fmt_ms(v) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:.0f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", metavar="a|b|c",
                    help="case(s) to run: a, b, c or a comma list; repeatable (default: all)")
    ap.add_argument("--quick", action="store_true", help="fewer epochs, for smoke runs")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    ap.add_argument("--profile", action="store_true",
                    help="print a cProfile of gone's training (tottime) for each case and dtype")
    args = ap.parse_args(argv)

    keys = []
    for item in args.case or ["a,b,c"]:
        for k in item.split(","):
            k = k.strip().lower()
            if k not in CASES:
                ap.error(f"unknown case {k!r}; choose from a, b, c")
            if k not in keys:
                keys.append(k)
    use_torch = torch is not None and not args.no_torch
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if use_torch:
        torch.set_num_threads(cores)
    env = environment()
    print(f"gone {env['gone']} ({env['git']}) | python {env['python']} | numpy {env['numpy']} "
          f"({env['blas']}, default threads) | torch {env['torch'] or 'not used'}"
          f"{f' ({cores} threads)' if use_torch else ''} | {cores} cores")
    if torch is None:
        print("note: PyTorch is not installed, so only gone and the numpy floor are timed "
              "(pip install torch==2.13.0 for the comparison).")
    elif not use_torch:
        print("note: --no-torch given; PyTorch is not timed.")

    results, checks = [], []
    t_start = time.perf_counter()
    for key in keys:
        case = CASES[key]
        rounds, warm, timed, block = case.schedule(args.quick)
        x64, y64, labels = make_data(case)
        for dtype in case.dtypes:
            x, y = x64.astype(dtype), y64.astype(dtype)
            for bs in case.batches:
                label = f"({key}) {case.arch()} {dtype} batch {bs}"
                print(f"running {label} ...", flush=True)
                kinds = [GoneRunner, FloorRunner] + ([TorchRunner] if use_torch else []) + [MatmulRunner]
                runners = [k(case, dtype, bs, x, y, labels, block) for k in kinds]
                samples = {r.name: [] for r in runners}
                dropped = {r.name: [] for r in runners}
                cpu0 = cpu_snapshot()
                for rnd in range(rounds + 1):
                    shift = rnd % len(runners)
                    for r in runners[shift:] + runners[:shift]:
                        ms = r.run(warm + timed)
                        if rnd:      # round 0 is warm-up for everyone
                            samples[r.name] += ms[warm:]
                            dropped[r.name] += ms[:warm]
                cpu = cpu_share(cpu0, cpu_snapshot())
                flops = matmul_flops(case, bs)
                med = {k: statistics.median(v) for k, v in samples.items()}
                gone_r, floor_r = runners[0], runners[1]
                torch_r = runners[2] if use_torch else None
                row = {
                    "case": key, "network": case.title, "arch": case.arch(), "dtype": dtype,
                    "batch": bs, "samples": case.n, "epochs_timed_per_side": rounds * timed * block,
                    "gone_ms": med["gone"], "floor_ms": med["floor"], "torch_ms": med.get("torch"),
                    "matmul_only_ms": med["matmul"],
                    "min_ms": {k: min(v) for k, v in samples.items()},
                    "samples_ms": samples,
                    "dropped_first_of_turn_ms": dropped,
                    "matmul_flops_per_epoch": flops,
                    "other_processes_cpu_pct": cpu["other_pct"], "steal_pct": cpu["steal_pct"],
                    "final_loss": {"gone": gone_r.loss, "floor": floor_r.loss,
                                   "torch": torch_r.loss if torch_r else None},
                    "final_max_abs_diff": {
                        "floor_vs_gone": max_diff(floor_r.params(), gone_r.params()),
                        "torch_vs_gone": (max_diff(torch_r.params(), gone_r.params())
                                          if torch_r else None)},
                }
                row["torch_over_gone"] = row["torch_ms"] / row["gone_ms"] if torch_r else None
                row["gone_over_floor"] = row["gone_ms"] / row["floor_ms"]
                for who in ("gone", "floor", "torch", "matmul_only"):
                    if row[f"{who}_ms"] is not None:
                        row[f"{who}_gflops"] = flops / (row[f"{who}_ms"] * 1e-3) / 1e9
                results.append(row)
                del runners, gone_r, floor_r, torch_r
                if dtype == "float64":   # sanity check: one epoch from the same start agrees
                    one = {k.name: k(case, dtype, bs, x, y, labels, 1) for k in kinds[:-1]}
                    for r in one.values():
                        r.run(1)
                    ref = one["gone"].params()
                    chk = {"case": key, "dtype": dtype, "batch": bs}
                    for name in ("floor", "torch"):
                        if name in one:
                            chk[f"{name}_vs_gone"] = max_diff(one[name].params(), ref)
                    chk["ok"] = all(v <= CHECK_TOL for k, v in chk.items() if k.endswith("_vs_gone"))
                    checks.append(chk)
                if args.profile:
                    print(f"\n--- cProfile of gone, {label}, 3 epochs (sorted by tottime) ---")
                    print(profile_gone(case, dtype, bs, x, y, epochs=3 * block))
    elapsed = time.perf_counter() - t_start

    # ---- the table
    head = ["case", "network", "dtype", "batch", "gone ms", "floor ms", "torch ms",
            "torch/gone", "gone/floor", "gone GF/s", "matmul GF/s", "matmul ms", "other CPU"]
    rows = [[f"({r['case']})", r["arch"], r["dtype"], str(r["batch"]), fmt_ms(r["gone_ms"]),
             fmt_ms(r["floor_ms"]), fmt_ms(r["torch_ms"]), fmt(r["torch_over_gone"], "{:.2f}x"),
             fmt(r["gone_over_floor"], "{:.2f}x"), fmt(r["gone_gflops"], "{:.3g}"),
             fmt(r["matmul_only_gflops"], "{:.3g}"), fmt_ms(r["matmul_only_ms"]),
             fmt(r["other_processes_cpu_pct"], "{:.0f}%")] for r in results]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.rjust(w) if i > 2 else c.ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print(f"\nms per epoch, median of the timed epochs (sides take turns, warm-up dropped) "
          f"({'quick' if args.quick else 'full'} run, {elapsed:.0f} s)")
    print(line(head))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    print("\nfloor = hand-written preallocated numpy loop; matmul = only the 5 matmuls per batch "
          "gone does (numpy, same shapes);\nGF/s = those matmuls' FLOPs / epoch time; other CPU = "
          "CPU time other processes used while the row ran, in % of all cores.")
    busy = [f"({r['case']}) {r['dtype']} batch {r['batch']}" for r in results
            if (r["other_processes_cpu_pct"] or 0) > 10]
    if busy:
        print(f"WARNING: other processes used more than 10% of the CPU during {', '.join(busy)}; "
              "those timings are unreliable (BLAS and torch thread pools stall when a core is "
              "taken): re-run on a quiet machine.")

    targets = {"a": 5.0, "b": 2.0}
    print("\ntargets (issue): gone >= 5x faster than torch on (a), >= 2x on (b); "
          "gone within 10% of the numpy floor")
    for r in results:
        parts = []
        if r["case"] in targets and r["torch_over_gone"] is not None:
            want = targets[r["case"]]
            parts.append(f"torch/gone {r['torch_over_gone']:.2f}x (want >= {want:.0f}x): "
                         f"{'met' if r['torch_over_gone'] >= want else 'MISSED'}")
        parts.append(f"gone/floor {r['gone_over_floor']:.2f}x (want <= 1.10x): "
                     f"{'met' if r['gone_over_floor'] <= 1.10 else 'MISSED'}")
        print(f"  ({r['case']}) {r['dtype']} batch {r['batch']}: " + "; ".join(parts))

    if checks:
        print(f"\nsanity check: max |w - w_gone| over all parameters after one epoch in float64 "
              f"from the same start and shuffle (tolerance {CHECK_TOL:g})")
        for c in checks:
            tv = f", torch {c['torch_vs_gone']:.1e}" if "torch_vs_gone" in c else ""
            print(f"  ({c['case']}) batch {c['batch']}: floor {c['floor_vs_gone']:.1e}{tv}  "
                  f"{'OK' if c['ok'] else 'MISMATCH'}")
    print("final epoch loss (gone / floor / torch), same data, start and shuffles:")
    for r in results:
        fl = r["final_loss"]
        print(f"  ({r['case']}) {r['dtype']} batch {r['batch']}: {fl['gone']:.6g} / "
              f"{fl['floor']:.6g} / {fmt(fl['torch'], '{:.6g}')}")

    audit = float32_audit([CASES[k] for k in keys])
    print("\nfloat32 audit (every ufunc result on gone's training path, activations, losses, "
          "optimizers):", "no float64 anywhere" if not audit else f"{len(audit)} float64 result(s)")
    for a in audit:
        print("  UPCAST", a)

    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"environment": env, "quick": args.quick, "elapsed_s": elapsed,
                       "results": results, "checks": checks, "float32_audit": audit},
                      fh, indent=2, default=float)
        print(f"\nwrote {args.json}")
    return 0 if all(c["ok"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
