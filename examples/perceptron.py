"""A single-layer perceptron learns which side of a line a point lies on.

The line is y = 0.7 x + 0.1; points above it are class 1. One Dense layer with
a sigmoid and binary cross-entropy is logistic regression, and its learned
weights recover the line's direction.

    python examples/perceptron.py
"""

import numpy as np

import gone

rng = np.random.default_rng(7)
points = rng.uniform(-1, 1, size=(500, 2))
above = (points[:, 1] > 0.7 * points[:, 0] + 0.1).astype(float)[:, None]

net = gone.Network([2, gone.Dense(1, "sigmoid")], loss="binary_cross_entropy", seed=1)
train, test = slice(0, 400), slice(400, None)
history = net.train(points[train], above[train], optimizer=gone.Adam(lr=0.1), epochs=100)

w, b = net.layers[0].weight[0], net.layers[0].bias[0]
print(f"train accuracy {history['accuracy'][-1]:.3f}, "
      f"test accuracy {net.evaluate(points[test], above[test])['accuracy']:.3f}")
# The decision boundary w0 x + w1 y + b = 0 is y = -(w0/w1) x - b/w1.
print(f"learned line: y = {-w[0] / w[1]:.2f} x + {-b / w[1]:.2f}   (true: y = 0.70 x + 0.10)")
