"""Which network ``gone serve`` reads drawings with.

A file named on the command line wins. Otherwise the page is a drawing pad, and
a network trained on MNIST (handwriting at 28x28) reads drawings best, so the
MNIST model a user saved at :func:`mnist_model_path` is served when it exists::

    mkdir -p ~/.local/share/gone
    gone train mnist --data ~/mnist --model cnn --save ~/.local/share/gone/mnist.gone

(``$XDG_DATA_HOME/gone/mnist.gone`` when XDG_DATA_HOME is set). Without one, an
MLP is trained on scikit-learn's 8x8 digits at start (seeded, a few seconds).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..datasets import load_digits
from ..format.network import load
from ..models import build_model
from ..nn.optimizers import Adam

DIGITS_EPOCHS = 30  # 64-128-10 MLP, Adam 1e-3, batch 32: a few seconds


def mnist_model_path() -> Path:
    """Where ``gone serve`` looks for an MNIST model when no file is named."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gone" / "mnist.gone"


def load_model(path=None) -> tuple:
    """``(network, name, note)`` to serve: the file at ``path``, else the MNIST model, else
    a digits network trained now. ``note`` (or None) tells the user which and why."""
    if path is not None:
        return load(path), os.path.basename(str(path)), None
    mnist = mnist_model_path()
    if mnist.is_file():
        return load(mnist), mnist.name, f"no model named: serving the MNIST model {mnist}"
    note = (f"no model named and no MNIST model at {mnist}: serving an MLP trained now on "
            "scikit-learn's 8x8 digits. An MNIST model reads handwriting better: "
            f"gone train mnist --data DIR --model cnn --save {mnist}")
    return digits_model(), "scikit-learn digits MLP", note


def digits_model(seed: int = 0):
    """The digits MLP recipe (:func:`gone.models.build_model`, 64-128-10) trained on all of
    scikit-learn's digits (seeded: same seed, same bits)."""
    x, y = load_digits()
    net = build_model("mlp", (64,), seed=seed)
    net.train(x, y, optimizer=Adam(lr=1e-3, batch_size=32), epochs=DIGITS_EPOCHS)
    return net
