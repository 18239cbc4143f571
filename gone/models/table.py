"""A small MLP on a user's own table, judged on held-out rows beside a linear baseline.

:func:`fit_table` is what ``gone train table`` runs. It

1. holds out test rows (25% by default) that nothing below ever sees;
2. holds out a validation part (20%) of the remaining training rows;
3. starts the network *at* the linear model: the hidden layer carries
   ``relu(x)`` and ``relu(-x)`` of every standardised column, and the output
   layer's weights on those units are the least-squares (regression) or
   logistic (classification) fit, so the untrained network already predicts
   exactly what the straight line does; further hidden units start with zero
   output weights and add curvature only where training finds it helps;
4. trains with Adam, stops when the validation loss has not improved for
   ``patience`` epochs and keeps the weights of the best validation epoch (the
   starting, linear, weights included);
5. reports the network's test score beside the linear baseline's, fitted on
   all the training rows, so the user sees whether the network helps.

The scaling is folded into the weights: the returned network takes raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._base.rng import make_rng
from ..datasets import split
from ..datasets.preprocessing import encode_classes, fold_scaling, is_classification, standardise
from ..errors import ConfigError, InputError, ShapeError
from ..nn.callbacks import History
from ..nn.layers.dense import Dense
from ..nn.network import Network
from ..nn.optimizers import Adam
from .linear import least_squares, linear_predict, logistic_regression

_SAME = 1e-9  # scores closer than this are equal (the linear fit, computed twice)


@dataclass
class TableFit:
    """What :func:`fit_table` found, all scores on the held-out test rows.

    ``metric`` is ``"accuracy"`` (classification) or ``"R2"`` (regression, the
    coefficient of determination: 1 is perfect, 0 is predicting the mean).
    """

    network: Network                 # takes raw columns, gives raw outputs / class scores
    task: str                        # "classify" or "regress"
    metric: str                      # "accuracy" or "R2"
    test_score: float                # the network on the test rows
    baseline_score: float            # the linear model on the same rows
    classes: np.ndarray | None       # class values in output order (classification)
    rows: dict                       # {"train": n, "validation": n, "test": n}
    best_epoch: int                  # epoch of the kept weights (0: the linear start)
    history: History
    # regression: rmse, baseline_rmse, target_std; classes: test_labels, test_predictions
    extra: dict = field(default_factory=dict)

    @property
    def helps(self) -> bool:
        """Whether the network scores better than the linear baseline on the test rows."""
        return self.test_score > self.baseline_score + _SAME

    @property
    def holds_up(self) -> bool:
        """Whether the network scores at least the linear baseline on the test rows."""
        return self.test_score >= self.baseline_score - _SAME

    def summary(self) -> str:
        """A few lines: the held-out comparison and which model to prefer."""
        name = "logistic regression" if self.task == "classify" else "least squares"
        fmt = (lambda v: f"{v:.2%}") if self.metric == "accuracy" else (lambda v: f"{v:.4f}")
        line = (f"held-out {self.metric} on {self.rows['test']} test rows never used for "
                f"training or stopping: network {fmt(self.test_score)}, linear baseline "
                f"({name}) {fmt(self.baseline_score)}")
        if self.metric == "R2":
            line += (f"\n  RMSE: network {self.extra['rmse']:.6g}, baseline "
                     f"{self.extra['baseline_rmse']:.6g} (target std {self.extra['target_std']:.6g})")
        kept = ("" if self.best_epoch else "\n  no epoch beat the linear start clearly on the "
                f"{self.rows['validation']} validation rows, so the network keeps the linear fit")
        verdict = ("the network helps" if self.helps else
                   "the network is no better than a straight line here" if self.holds_up else
                   "the linear baseline is better here: prefer a linear model for this table")
        return f"{line}{kept}\n  {verdict}"


def fit_table(x, y, *, task: str = "auto", test=0.25, validation: float = 0.2,
              hidden: int = 32, epochs: int = 500, patience: int = 30,
              learning_rate: float = 3e-4, batch_size: int = 32, seed=0,
              progress: bool = False, l2: float | None = None, gate: float = 1.0) -> TableFit:
    """Train a one-hidden-layer MLP on ``x (n, d)``, ``y (n,)`` and compare it with a line.

    Args:
        task: ``"auto"`` (whole-number targets with at most 50 values are
            classes), ``"classify"`` or ``"regress"``; see
            :func:`gone.datasets.preprocessing.is_classification`.
        test: the fraction of rows held out for the final score, or an
            ``(x_test, y_test)`` pair.
        validation: the fraction of the training rows held out for early stopping.
        hidden: hidden relu units beyond the ``2 d`` that carry the linear start.
        epochs, patience: at most ``epochs`` passes; stop after ``patience``
            epochs without a better validation loss.
        learning_rate, batch_size: Adam's step size and mini-batch.
        seed: int or Generator for the splits, the initial weights and shuffling.
        l2: weight decay on the output layer; default ``1 / rows`` for classes
            (the logistic baseline's own penalty), none for regression.
        gate: how many standard errors the trained network's per-row
            validation loss (wrong classes, squared errors) must beat the
            linear start's by; otherwise the linear fit is kept. 0 keeps any
            lower validation loss.

    Returns a :class:`TableFit`; its ``network`` takes raw rows.

    Raises:
        ConfigError: a bad setting, or ``task="classify"`` on a target that
            cannot be classes (non-whole numbers, more than 50 values).
        ShapeError: ``x`` and ``y`` do not fit together.
        InputError: a value is NaN or infinite.
    """
    if not 0 < validation < 1 or not gate >= 0:
        raise ConfigError(f"validation must be in (0, 1) and gate >= 0, got {validation}, {gate}")
    rng = make_rng(seed)
    x, y, x_test, y_test = _test_split(x, y, test, rng)
    classify = is_classification(np.concatenate([y, y_test]), task)
    classes = None
    if classify:
        classes, labels = encode_classes(np.concatenate([y, y_test]))
        y, y_test = labels[:len(y)], labels[len(y):]
    n_classes = len(classes) if classify else 0
    settings = dict(n_classes=n_classes, hidden=hidden, l2=l2, rng=rng)
    x_fit, y_fit, x_val, y_val = split(x, y, (1 - validation, validation), seed=rng)
    net, scaling, history, best_epoch = _train_from_line(
        (x_fit, y_fit), (x_val, y_val), settings, epochs=epochs, patience=patience, gate=gate,
        optimizer=Adam(lr=learning_rate, batch_size=batch_size), progress=progress)
    if best_epoch == 0:  # no clear gain: the linear model itself, fitted on every training row
        scaling = _Scaling(x, y, n_classes)
        net = _linear_start(scaling, x, y, **settings)
    fold_scaling(net, scaling.x_mean, scaling.x_std, scaling.y_mean, scaling.y_std)
    baseline = _baseline(x, y, classify, n_classes)
    result = TableFit(net, "classify" if classify else "regress",
                      "accuracy" if classify else "R2", 0.0, 0.0, classes,
                      {"train": len(x_fit), "validation": len(x_val), "test": len(x_test)},
                      best_epoch, history)
    _score(result, baseline, x_test, y_test)
    return result


def _train_from_line(train, val, settings, *, epochs, patience, gate, optimizer, progress):
    """Start at the linear fit of ``train``, train with early stopping on ``val`` (raw rows).

    Returns ``(net on scaled rows, scaling, history, best epoch)``; best epoch 0
    when no epoch beat the start clearly (see :func:`_clearly_better`).
    """
    scaling = _Scaling(*train, settings["n_classes"])
    net = _linear_start(scaling, *train, **settings)
    val = scaling.x(val[0]), scaling.y(val[1])
    start = net.genome()
    keep = _KeepBest(net, val, patience)
    history = net.train(scaling.x(train[0]), scaling.y(train[1]), epochs=epochs, validation=val,
                        optimizer=optimizer, callbacks=[keep], rng=settings["rng"],
                        progress=progress)
    net.set_genome(keep.genome)
    best_epoch = keep.epoch
    if best_epoch and not _clearly_better(net, start, val, settings["n_classes"], gate):
        best_epoch = 0
    return net, scaling, history, best_epoch


def _rows(x, y, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``x (n, d)`` as float64 and ``y (n,)``, checked: real, finite numbers."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ShapeError(f"{what}: expected x (n, d) and y (n,), got {x.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.number):
        raise InputError(f"{what}: y must hold numbers, got {y.dtype}")
    for name, a in (("x", x), ("y", y)):
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            raise InputError(f"{what}: {name}[{', '.join(map(str, bad[0]))}] is "
                             f"{a[tuple(bad[0])]}, not a finite number")
    return x, y


def _test_split(x, y, test, rng):
    x, y = _rows(x, y, "training rows")
    if isinstance(test, (tuple, list)):
        x_test, y_test = _rows(*test, "test rows")
        if x_test.shape[1] != x.shape[1]:
            raise ShapeError(f"test rows have {x_test.shape[1]} columns, the training rows "
                             f"{x.shape[1]}")
        return x, y, x_test, y_test
    if not isinstance(test, float) or not 0 < test < 1:
        raise ConfigError(f"test must be a fraction in (0, 1) or an (x, y) pair, got {test!r}")
    if len(x) < 10:
        raise ConfigError(f"a table needs at least 10 rows to hold out test and validation "
                          f"rows, got {len(x)}")
    return split(x, y, (1 - test, test), seed=rng)


class _Scaling:
    """Column means and scales of the rows a network trains on (and of a regression target)."""

    def __init__(self, x, y, n_classes: int):
        self.n_classes = n_classes
        self.x_mean, self.x_std = standardise(x)
        self.y_mean, self.y_std = ((0.0, 1.0) if n_classes else
                                   (float(np.mean(y)), float(np.std(y) or 1.0)))

    def x(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_mean) / self.x_std

    def y(self, y: np.ndarray) -> np.ndarray:
        """Labels ``(n,)`` as they are; a regression target as scaled ``(n, 1)``."""
        return y if self.n_classes else ((y - self.y_mean) / self.y_std)[:, None]


def _linear_start(scaling: _Scaling, x, y, *, n_classes: int, hidden: int, l2: float | None,
                  rng) -> Network:
    """A ``d -> 2d + hidden relu -> k`` network on scaled rows that computes the linear fit.

    ``relu(v) - relu(-v) = v``, so hidden units ``relu(x_i)`` and ``relu(-x_i)``
    with output weights ``w`` and ``-w`` reproduce ``w . x`` exactly; the other
    hidden units start with zero output weights, so they add nothing until trained.
    """
    xs, d = scaling.x(x), x.shape[1]
    if n_classes:
        w, b = logistic_regression(xs, y, n_classes)
        # The logistic fit's own penalty (scikit-learn's C=1), so the start is a minimum
        # of the training loss along the linear directions and training can only add curvature.
        out = Dense(n_classes, "softmax", l2=l2 if l2 is not None else 1.0 / len(x))
    else:
        w, b = least_squares(xs, scaling.y(y)[:, 0])
        out = Dense(1, l2=l2 or 0.0)
    net = Network([d, Dense(2 * d + hidden, "relu"), out], init="he", seed=rng,
                  loss="cross_entropy" if n_classes else "mse")
    first, last = net.layers
    w1 = first.weight.copy()
    w1[:2 * d] = np.vstack([np.eye(d), -np.eye(d)])
    # The other units' kinks pass through random training rows (a zero bias would put
    # them all at the mean, where one kink is all a 1-D curve gets until biases move).
    rows = xs[rng.integers(0, len(xs), size=hidden)]
    b1 = np.concatenate([np.zeros(2 * d), -np.einsum("ij,ij->i", w1[2 * d:], rows)])
    first.set_params(w1, b1, 1)
    w2 = np.zeros_like(last.weight)
    w2[:, :2 * d] = np.hstack([w, -w])
    last.set_params(w2, b, 2)
    return net


def _row_losses(net, x, y, n_classes: int) -> np.ndarray:
    """Each validation row's loss ``(m,)`` in the task's metric: 1 for a wrong class, 0 for
    a right one; the squared error of a regression."""
    out = net.predict(x)
    if n_classes:
        return (out.argmax(axis=1) != y).astype(np.float64)
    return (out[:, 0] - y[:, 0]) ** 2


def _clearly_better(net, start, val, n_classes: int, sigmas: float) -> bool:
    """Whether ``net`` beats the linear start on the validation rows by more than chance.

    The paired per-row loss differences must average more than ``sigmas``
    standard errors below zero: on a few dozen rows a lower validation loss
    alone is often luck, and luck does not carry over to new rows.
    """
    ours = _row_losses(net, *val, n_classes)
    theirs = _row_losses(net.with_genome(start), *val, n_classes)
    diff = theirs - ours
    return float(diff.mean()) > sigmas * float(diff.std(ddof=1)) / np.sqrt(len(diff))


class _KeepBest:
    """An ``f(epoch, logs)`` callback: remembers the best weights seen, the start's included.

    Best is the lowest validation loss, or for classes the highest validation
    accuracy with the loss breaking ties: a network only leaves the linear start
    when it classifies more validation rows right. Returns True (stop) after
    ``patience`` epochs without a better one.
    """

    def __init__(self, net, val, patience: int):
        self.net, self.patience = net, patience
        self.genome, self.epoch, self.wait = net.genome(), 0, 0
        self.best = net.evaluate(*val)["loss"]

    def __call__(self, epoch: int, logs: dict) -> bool:
        if logs["val_loss"] < self.best:
            self.best, self.genome, self.epoch, self.wait = (logs["val_loss"], self.net.genome(),
                                                             epoch + 1, 0)
            return False
        self.wait += 1
        return self.wait > self.patience


def _baseline(x, y, classify: bool, n_classes: int):
    """The linear model on all training rows (fit and validation), as a predict function."""
    mean, std = standardise(x)
    if classify:
        w, b = logistic_regression((x - mean) / std, y, n_classes)
        return lambda a: linear_predict(w, b, (a - mean) / std).argmax(axis=1)
    w, b = least_squares((x - mean) / std, y.astype(np.float64))
    return lambda a: linear_predict(w, b, (a - mean) / std)[:, 0]


def _score(result: TableFit, baseline, x_test, y_test) -> None:
    pred = result.network.predict(x_test)
    if result.task == "classify":
        labels = pred.argmax(axis=1)
        result.extra = {"test_labels": y_test, "test_predictions": labels}
        result.test_score = float(np.mean(labels == y_test))
        result.baseline_score = float(np.mean(baseline(x_test) == y_test))
        return
    y_test = y_test.astype(np.float64)
    base = baseline(x_test)
    total = float(np.sum((y_test - y_test.mean()) ** 2)) or 1.0
    result.test_score = 1.0 - float(np.sum((pred[:, 0] - y_test) ** 2)) / total
    result.baseline_score = 1.0 - float(np.sum((base - y_test) ** 2)) / total
    result.extra = {"rmse": float(np.sqrt(np.mean((pred[:, 0] - y_test) ** 2))),
                    "baseline_rmse": float(np.sqrt(np.mean((base - y_test) ** 2))),
                    "target_std": float(np.std(y_test))}
