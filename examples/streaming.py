"""Learning from a stream, one sample at a time, with train_step.

A sensor emits (x, sin(x)) pairs forever; the network never sees a data set,
only the next sample, as in an online or embedded setting.

    python examples/streaming.py
"""

import numpy as np

import gone


def sensor(rng):
    while True:
        x = rng.uniform(-np.pi, np.pi)
        yield np.array([x]), np.array([np.sin(x)])


rng = np.random.default_rng(3)
net = gone.Network([1, gone.Dense(16, "tanh"), gone.Dense(1)], seed=3)
optimizer = gone.Adam(lr=0.01)  # keeps its moments between steps

recent = []
for step, (x, y) in zip(range(1, 20001), sensor(rng)):
    recent.append(net.train_step(x, y, optimizer))
    if step % 5000 == 0:
        print(f"step {step:5d}: mean loss of the last 5000 samples {np.mean(recent):.5f}")
        recent.clear()

grid = np.linspace(-3, 3, 7)[:, None]
for x, p in zip(grid[:, 0], net.predict(grid)[:, 0]):
    print(f"sin({x:+.1f}) = {np.sin(x):+.3f}, network says {p:+.3f}")
