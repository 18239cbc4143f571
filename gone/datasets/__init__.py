"""Data sets: small built-in ones (no download), MNIST files a user downloads, own tables.

- :func:`xor`, :func:`load_digits` (scikit-learn's 8x8 digits, shipped with it);
- :func:`load_mnist` and friends (IDX files or Kaggle's Digit Recognizer CSV),
  :func:`write_submission` for Kaggle;
- :func:`load_table` for a user's ``.csv``/``.tsv``/``.npy``/``.npz``;
- :func:`split` (seeded train/validation/test) and :func:`one_hot`;
- :mod:`~gone.datasets.preprocessing`: which task a target asks for, column
  standardisation and its fold into a trained network's weights.

Every malformed file, NaN and infinity included, raises
:class:`gone.DatasetError` naming the file and the line and column or byte
offset; the readers raise nothing else, whatever the bytes.
"""

from __future__ import annotations

import numpy as np

from .._base.rng import make_rng
from ..errors import ConfigError, ShapeError, require
from . import preprocessing  # noqa: F401  (gone.datasets.preprocessing after `import gone`)
from .mnist import load_idx, load_kaggle_csv, load_mnist, read_idx, write_submission  # noqa: F401
from .table import load_table  # noqa: F401

__all__ = ["xor", "load_digits", "one_hot", "split", "load_table", "load_mnist", "load_idx",
           "read_idx", "load_kaggle_csv", "write_submission"]


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: inputs ``(4, 2)`` and targets ``(4, 1)``."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return x, y


def load_digits(images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits (8x8, no download needed).

    Returns pixels scaled to [0, 1] as ``(n, 64)`` float64 rows, or as images
    ``(n, 1, 8, 8)`` when ``images=True``, and integer labels ``(n,)`` in 0..9.
    Needs scikit-learn (``pip install 'gone-nn[datasets]'``).
    """
    sk = require("sklearn.datasets", "datasets")
    data = sk.load_digits()
    x = data.data.astype(np.float64) / 16.0
    y = data.target.astype(np.int64)
    return (x.reshape(-1, 1, 8, 8) if images else x), y


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Integer labels ``(n,)`` in ``[0, n_classes)`` as one-hot rows ``(n, n_classes)``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ShapeError(f"one_hot expects integer labels (n,), got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ShapeError(f"labels must be in [0, {n_classes}), got {labels.min()}..{labels.max()}")
    return np.eye(n_classes)[labels]


def split(x, y, fractions=(0.8, 0.2), seed=None) -> tuple:
    """Shuffle with ``seed`` and cut into parts by ``fractions`` (summing to 1).

    ``(0.8, 0.2)`` gives ``(x_train, y_train, x_test, y_test)``; three fractions
    such as ``(0.7, 0.15, 0.15)`` give train, validation and test. Every part
    gets at least one sample; the same seed gives the same parts.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ShapeError(f"x has {len(x)} samples but y has {len(y)}")
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) not in (2, 3) or any(not 0 < f < 1 for f in fractions) \
            or abs(sum(fractions) - 1) > 1e-9:
        raise ConfigError(f"fractions must be 2 or 3 numbers in (0, 1) summing to 1, "
                          f"got {fractions}")
    if len(x) < len(fractions):
        raise ConfigError(f"cannot split {len(x)} samples into {len(fractions)} parts")
    order = make_rng(seed).permutation(len(x))
    cuts = np.round(np.cumsum(fractions[:-1]) * len(x)).astype(int)
    cuts = np.clip(cuts, np.arange(1, len(cuts) + 1), len(x) - np.arange(len(cuts), 0, -1))
    out = []
    for part in np.split(order, cuts):
        out += [x[part], y[part]]
    return tuple(out)
