"""Ad-hoc A/B of the nn branch against its base commit, in ONE process (see notes/nn-README.md).

Setup: git archive dcebf6a | tar -x -C /tmp/nnbase && cp -r /tmp/nnbase/gone /tmp/nnab/gone_base
Run:   cd /tmp && PYTHONPATH=/tmp/nnab .venv/bin/python notes/nn-ab-harness.py 7   (ONLY=train,... to filter)
Min over rounds, sides alternating; not a benchmark of record.
"""
import sys, time, json
import numpy as np
import gone, gone_base
try:
    import torch
    torch.set_num_threads(2)
except ImportError:
    torch = None

def workloads(g, tag):
    rng = np.random.default_rng(7)
    W = {}
    for dt in ("float64", "float32"):
        t = g.Network([5, g.Dense(8, "tanh"), g.Dense(2)], seed=0, dtype=dt)
        s = g.StackedNetworks(t, rng.normal(0, .5, (500, t.n_params)))
        x = rng.uniform(-1, 1, (500, 5)).astype(dt)
        W[f"1i {dt}"] = (lambda s=s, x=x: s.predict_each(x), 300)
        if dt == "float64":
            nets = [t.with_genome(gg) for gg in s.genomes]
            W["1i loop"] = (lambda nets=nets, x=x: [n.predict(xi) for n, xi in zip(nets, x)], 3)
        t2 = g.Network([64, g.Dense(32, "tanh"), g.Dense(10)], seed=0, dtype=dt)
        s2 = g.StackedNetworks(t2, rng.normal(0, .5, (500, t2.n_params)))
        x2 = rng.uniform(-1, 1, (256, 64)).astype(dt)
        W[f"1ii {dt}"] = (lambda s=s2, x=x2: s.predict(x), 3)
        if torch is not None and tag == "new":
            for key, st, xx, shape in ((f"1i {dt}", s, x, (500, 1, 5)), (f"1ii {dt}", s2, x2, (500, 256, 64))):
                tw = [(torch.from_numpy(np.ascontiguousarray(w.transpose(0, 2, 1))),
                       torch.from_numpy(np.ascontiguousarray(b[:, None, :]))) for w, b, _ in st._layers]
                def tf(tw=tw, xx=xx, shape=shape):
                    with torch.no_grad():
                        xt = torch.from_numpy(xx)
                        x3 = xt.view(shape) if shape[1] == 1 else xt.expand(shape)
                        return torch.baddbmm(tw[1][1], torch.tanh(torch.baddbmm(tw[0][1], x3, tw[0][0])), tw[1][0]).numpy()
                W["torch " + key] = (tf, 300 if shape[1] == 1 else 3)
    xd = rng.integers(0, 17, size=(256, 64)) / 16.0
    labels = rng.integers(0, 10, 256)
    for dt in ("float64", "float32"):
        net = g.Network([64, g.Dense(32, "tanh"), g.Dense(10, "identity")], seed=0, dtype=dt)
        pop = g.Population(net, 200, strategy=g.GA(selection="tournament"), seed=0)
        xx = xd.astype(dt)
        def make(xx):
            def fit(st):
                return np.mean(np.argmax(st.predict(xx), axis=2) == labels, axis=1)
            fit.vectorized = True
            return fit
        fit = make(xx)
        W[f"2 {dt}"] = (lambda pop=pop, fit=fit: pop.tell(pop.evaluate(fit)), 3)
    X = rng.normal(size=(2000, 64)); Y = rng.integers(0, 10, 2000)
    net = g.Network([64, g.Dense(32, "relu"), g.Dense(10, "softmax")], loss="cross_entropy", seed=0)
    W["train sgd bs1"] = (lambda net=net: net.train(X[:300], Y[:300], optimizer=g.SGD(lr=0.01), epochs=1), 1)
    net2 = g.Network([64, g.Dense(32, "relu"), g.Dense(10, "softmax")], loss="cross_entropy", seed=0)
    W["train adam bs32"] = (lambda net=net2: net.train(X, Y, optimizer=g.Adam(batch_size=32), epochs=1), 1)
    cnn = g.Network([(1, 8, 8), g.Conv2D(8, 3, padding="same", activation="relu"), g.MaxPool2D(2),
                     g.Flatten(), g.Dense(10, "softmax")], loss="cross_entropy", seed=0, dtype="float32")
    Xi = rng.normal(size=(512, 64)).astype("float32")
    W["train cnn"] = (lambda: cnn.train(Xi, Y[:512], optimizer=g.Adam(batch_size=32), epochs=1), 1)
    XX = np.array([[0., 0], [0, 1], [1, 0], [1, 1]]); XY = np.array([0., 1, 1, 0])
    def xf(st):
        return 4.0 - np.sum((st.predict(XX)[:, :, 0] - XY) ** 2, axis=1)
    xf.vectorized = True
    def xor():
        n = g.Network([2, g.Dense(4, "tanh"), g.Dense(1, "sigmoid")], seed=0)
        p = g.Population(n, 150, strategy=g.GA(selection="tournament", elitism=2, mutation_rate=0.2, mutation_std=0.5), seed=0)
        p.run(xf, generations=300, target=3.9)
    W["3 xor seed0"] = (xor, 1)
    return W

import os
A, B = workloads(gone_base, "base"), workloads(gone, "new")
if os.environ.get("ONLY"):
    B = {k: v for k, v in B.items() if any(k.startswith(o) for o in os.environ["ONLY"].split(","))}
keys = [k for k in B if not k.startswith("torch")]
res = {("base", k): 1e9 for k in keys}
res.update({("new", k): 1e9 for k in B})
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
for r in range(rounds):
    for k in B:
        for side in (("base", "new") if r % 2 else ("new", "base")):
            if side == "base" and k not in A:
                continue
            f, n = (A if side == "base" else B)[k]
            f()
            t0 = time.perf_counter()
            for _ in range(n): f()
            res[(side, k)] = min(res[(side, k)], (time.perf_counter() - t0) / n * 1e3)
for k in keys:
    b, n = res[("base", k)], res[("new", k)]
    extra = f"   torch {res[('new', 'torch ' + k)]:8.3f} ms  torch/new {res[('new', 'torch ' + k)] / n:5.2f}" if ("new", "torch " + k) in res else ""
    print(f"{k:16s} base {b:9.3f}  new {n:9.3f}  new/base {n / b:5.2f}{extra}", flush=True)
