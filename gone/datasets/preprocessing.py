"""Table preprocessing: which task a target asks for, standardisation, and its fold into weights.

A network trains best on standardised columns, but a user wants to feed it
the raw columns of their table. :func:`fold_scaling` rewrites the first and
last layers after training so the saved network takes raw rows and gives raw
outputs, exactly: ``gone predict model.gone < rows.csv`` works on the same kind
of rows as the table.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

MAX_CLASSES = 50  # more distinct target values than this is a regression, not classes

TASKS = ("auto", "classify", "regress")


def is_classification(y: np.ndarray, task: str = "auto") -> bool:
    """Whether targets ``y (n,)`` are class labels.

    ``task="auto"``: yes when every value is a whole number and there are at
    most :data:`MAX_CLASSES` distinct ones. ``"classify"`` insists, and raises
    :class:`~gone.ConfigError` (suggesting regression) when the values are not
    whole numbers or too many distinct ones; ``"regress"`` never classifies.
    """
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if task == "regress":
        return False
    y = np.asarray(y)
    whole = bool(np.issubdtype(y.dtype, np.integer)
                 or (np.issubdtype(y.dtype, np.number) and np.all(y == np.round(y))))
    n_distinct = len(np.unique(y))
    if task == "auto":
        return whole and n_distinct <= MAX_CLASSES
    if not whole:
        bad = y[np.flatnonzero(y != np.round(y))[0]]
        raise ConfigError(f"cannot classify: the target holds values that are not whole "
                          f"numbers (such as {bad:g}); use --task regress (task='regress') "
                          "to predict it as a number")
    if n_distinct > MAX_CLASSES:
        raise ConfigError(f"cannot classify: the target has {n_distinct} distinct values, more "
                          f"than {MAX_CLASSES} classes; use --task regress (task='regress') "
                          "to predict it as a number")
    return True


def encode_classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class values ``(k,)`` in sorted order and labels ``(n,)`` in ``0..k-1`` indexing them."""
    classes = np.unique(y)
    return classes, np.searchsorted(classes, y)


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales ``(d,)`` of ``x (n, d)`` (scale 1 for a constant column)."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def fold_scaling(net, x_mean, x_std, y_mean=0.0, y_std=1.0) -> None:
    """Make ``net`` take raw inputs and give raw outputs after training on scaled ones.

    With ``x' = (x - m) / s`` the first layer's ``W x' + b`` equals
    ``(W / s) x + (b - W m / s)``; an identity output ``y' = (y - my) / sy``
    becomes ``y = sy y' + my``. Exact, so predictions do not change.
    """
    first, last = net.layers[0], net.layers[-1]
    w = first.weight / x_std
    first.set_params(w, first.bias - w @ x_mean, 1)
    if y_std != 1.0 or y_mean != 0.0:
        last.set_params(last.weight * y_std, last.bias * y_std + y_mean, len(net.layers))
