"""``gone train table FILE --target COL``: a small MLP on a user's own table.

Classification when the target holds a few distinct integers (or ``--task
classify``), regression otherwise. Features (and a regression target) are
standardised for training, and the scaling is then folded into the first and
last layers' weights, so the saved network takes the raw columns: ``gone
predict model.gone < rows.csv`` works on the same kind of rows as the table.
"""

from __future__ import annotations

import numpy as np

from .args import ExitCode, output_file, positive_float, positive_int, seed

MAX_CLASSES = 50


def _target(text: str):
    """A column index (``-1``, ``3``) or a column name."""
    try:
        return int(text)
    except ValueError:
        return text


def is_classification(y: np.ndarray, task: str) -> bool:
    if task != "auto":
        return task == "classify"
    return np.issubdtype(y.dtype, np.integer) and len(np.unique(y)) <= MAX_CLASSES


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales ``(d,)`` (scale 1 for a constant column)."""
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


def train_table(args) -> int:
    import gone

    x, y = gone.datasets.load_table(args.data, target=args.target)
    classify = is_classification(y, args.task)
    classes = np.unique(y) if classify else None
    if classify:
        y = np.searchsorted(classes, y)  # labels 0..K-1, in sorted order of the originals
    x_tr, y_tr, x_te, y_te = gone.datasets.split(x, y, (0.8, 0.2), seed=args.seed)
    x_mean, x_std = standardise(x_tr)
    y_mean, y_std = (0.0, 1.0) if classify else (float(y_tr.mean()), float(y_tr.std() or 1.0))
    out = gone.Dense(len(classes), "softmax") if classify else gone.Dense(1)
    net = gone.Network([x.shape[1], gone.Dense(args.hidden, "relu"), out], init="he",
                       loss="cross_entropy" if classify else "mse", seed=args.seed)
    target = y_tr if classify else ((y_tr - y_mean) / y_std)[:, None]
    net.train((x_tr - x_mean) / x_std, target, epochs=args.epochs, rng=args.seed,
              optimizer=gone.Adam(lr=args.learning_rate, batch_size=args.batch_size),
              progress=not args.no_progress)
    fold_scaling(net, x_mean, x_std, y_mean, y_std)
    _report(args, net, x_te, y_te, classes)
    return ExitCode.OK


def _report(args, net, x_te, y_te, classes) -> None:
    pred = net.predict(x_te)
    if classes is not None:
        from ..nn.metrics import confusion_matrix, format_confusion

        labels = pred.argmax(axis=1)
        acc = float(np.mean(labels == y_te))
        print(f"{len(classes)} classes {', '.join(f'{c:g}' for c in classes)}: test accuracy "
              f"{acc:.2%} on {len(y_te)} held-out rows")
        print(format_confusion(confusion_matrix(y_te, labels, len(classes))))
        note = f"classes {' '.join(f'{c:g}' for c in classes)} (output i is class i)"
    else:
        rmse = float(np.sqrt(np.mean((pred[:, 0] - y_te) ** 2)))
        print(f"regression: test RMSE {rmse:.6g} on {len(y_te)} held-out rows "
              f"(target std {np.std(y_te):.6g})")
        note = "regression on raw columns"
    if args.save:
        net.metadata["notes"] = f"gone train table {args.data}: {note}"
        net.save(args.save)
        print(f"saved {args.save}")


def add_task(tasks) -> None:
    """Register ``table`` under ``gone train``."""
    t = tasks.add_parser(
        "table", help="an MLP on your own table (.csv, .tsv, .npy, .npz)",
        description="Train a one-hidden-layer MLP on a table: classification when the target "
        "column holds a few integers, regression otherwise; seeded 80/20 split.")
    t.add_argument("data", metavar="FILE", help="the table (.csv/.tsv with or without a header, "
                   ".npy, .npz)")
    t.add_argument("--target", type=_target, default=-1,
                   help="the target column: a name or an index (default: the last)")
    t.add_argument("--task", choices=["auto", "classify", "regress"], default="auto")
    t.add_argument("--hidden", type=positive_int, default=32, help="hidden units (32)")
    t.add_argument("--epochs", type=positive_int, default=100)
    t.add_argument("--batch-size", type=positive_int, default=32)
    t.add_argument("--learning-rate", type=positive_float, default=1e-2, help="Adam step size")
    t.add_argument("--seed", type=seed, default=0, help="split, initial weights and shuffling")
    t.add_argument("--save", metavar="FILE", type=output_file(".gone"),
                   help="save the trained network (.gone)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=train_table)

