"""Handwritten digits with gone's Python API: an MLP or a CNN on scikit-learn's 8x8 digits.

    python examples/digits.py          # the MLP, under a second
    python examples/digits.py cnn      # the CNN, a few seconds

Needs scikit-learn (pip install 'gone[datasets]').
"""

import sys

import gone

model = sys.argv[1] if len(sys.argv) > 1 else "mlp"
x, y = gone.datasets.load_digits(images=True)                 # (1797, 1, 8, 8), labels (1797,)
x_train, y_train, x_test, y_test = gone.datasets.split(x, y, (0.8, 0.2), seed=0)

if model == "cnn":
    net = gone.Network([(1, 8, 8),
                        gone.Conv2D(32, 3, padding="same", activation="relu"), gone.MaxPool2D(2),
                        gone.Conv2D(64, 3, padding="same", activation="relu"), gone.MaxPool2D(2),
                        gone.Flatten(),
                        gone.Dense(128, "relu", dropout=0.3),
                        gone.Dense(10, "softmax")],
                       loss="cross_entropy", init="he", seed=0)
    epochs = 40
else:
    net = gone.Network([64, gone.Dense(128, "relu"), gone.Dense(10, "softmax")],
                       loss="cross_entropy", init="he", seed=0)
    x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)   # flat rows
    epochs = 50

net.train(x_train, y_train, optimizer=gone.Adam(lr=1e-3, batch_size=32), epochs=epochs,
          validation=(x_test, y_test), rng=0)
print(f"{model}: test accuracy {net.evaluate(x_test, y_test)['accuracy']:.2%}")
net.save("digits.gone")
print("saved digits.gone")
