"""Handwritten digits with gone's Python API: an MLP or a CNN on scikit-learn's 8x8 digits.

    python examples/digits.py          # the MLP, under a second
    python examples/digits.py cnn      # the CNN, a few seconds

The networks are gone.models' recipes, the same ones `gone train digits` trains
(gone.models.build_model shows their layers). Needs scikit-learn
(pip install 'gone-nn[datasets]').
"""

import sys

import gone
import gone.models

model = sys.argv[1] if len(sys.argv) > 1 else "mlp"
x, y = gone.datasets.load_digits(images=True)                 # (1797, 1, 8, 8), labels (1797,)
x_train, y_train, x_test, y_test = gone.datasets.split(x, y, (0.8, 0.2), seed=0)

net = gone.models.build_model(model, (1, 8, 8), seed=0)        # "mlp" or "cnn"
settings = gone.models.recipe("digits", model)                # epochs, batch size, Adam lr
curve = gone.models.fit(net, x_train, y_train, x_test, y_test, seed=0, progress=False,
                        **settings)                            # one line per epoch
accuracy = (gone.models.predict_labels(net, x_test) == y_test).mean()
print(f"{model}: test accuracy {accuracy:.2%}")
net.save("digits.gone")
print("saved digits.gone")
