"""``gone train table FILE --target COL``: a small MLP on a user's own table.

Parses, calls :func:`gone.models.fit_table` and prints its held-out score
beside the linear baseline's. The saved network takes the table's raw columns:
``gone predict model.gone < rows.csv`` works on the same kind of rows.
"""

from __future__ import annotations

from .args import ExitCode, output_file, positive_float, positive_int, seed


def _target(text: str):
    """A column index (``-1``, ``3``) or a column name."""
    try:
        return int(text)
    except ValueError:
        return text


def train_table(args) -> int:
    from ..datasets import load_table
    from ..models import fit_table

    x, y = load_table(args.data, target=args.target)
    result = fit_table(
        x, y, task=args.task, hidden=args.hidden, epochs=args.epochs, patience=args.patience,
        learning_rate=args.learning_rate, batch_size=args.batch_size, seed=args.seed,
        progress=not args.no_progress)
    _report(args, result)
    return ExitCode.OK


def _report(args, result) -> None:
    rows = result.rows
    print(f"{args.data}: {rows['train']} training, {rows['validation']} validation (early "
          f"stopping) and {rows['test']} test rows; stopped after {result.history.epochs} "
          f"epochs, kept epoch {result.best_epoch}")
    if result.task == "classify":
        from ..nn.metrics import confusion_matrix, format_confusion

        classes = result.classes
        print(f"{len(classes)} classes {', '.join(f'{c:g}' for c in classes)}: test accuracy "
              f"{result.test_score:.2%}")
        labels = result.extra["test_labels"]
        print(format_confusion(confusion_matrix(labels, result.extra["test_predictions"],
                                                len(classes))))
        note = f"classes {' '.join(f'{c:g}' for c in classes)} (output i is class i)"
    else:
        print(f"regression: test R2 {result.test_score:.4f}, RMSE {result.extra['rmse']:.6g}")
        note = "regression on raw columns"
    print(result.summary())
    if args.save:
        net = result.network
        net.metadata["notes"] = f"gone train table {args.data}: {note}"
        net.metadata[f"test_{result.metric.lower()}"] = f"{result.test_score:.4f}"
        net.metadata[f"baseline_test_{result.metric.lower()}"] = f"{result.baseline_score:.4f}"
        net.save(args.save)
        print(f"saved {args.save}")


def add_task(tasks) -> None:
    """Register ``table`` under ``gone train``."""
    t = tasks.add_parser(
        "table", help="an MLP on your own table (.csv, .tsv, .npy, .npz)",
        description="Train a one-hidden-layer MLP on a table: classification when the target "
        "column holds at most 50 whole numbers, regression otherwise. 25% of the rows are "
        "held out for the test score, 20% of the rest for early stopping; the network starts "
        "at the linear fit and the test score is printed beside a linear baseline's.")
    t.add_argument("data", metavar="FILE", help="the table (.csv/.tsv with or without a header, "
                   ".npy, .npz)")
    t.add_argument("--target", type=_target, default=-1,
                   help="the target column: a name or an index (default: the last)")
    t.add_argument("--task", choices=["auto", "classify", "regress"], default="auto")
    t.add_argument("--hidden", type=positive_int, default=32,
                   help="hidden units beyond the two per column that carry the linear start (32)")
    t.add_argument("--epochs", type=positive_int, default=500, help="at most this many (500)")
    t.add_argument("--patience", type=positive_int, default=30,
                   help="stop after this many epochs without a better validation loss (30)")
    t.add_argument("--batch-size", type=positive_int, default=32)
    t.add_argument("--learning-rate", type=positive_float, default=3e-4,
                   help="Adam step size (3e-4)")
    t.add_argument("--seed", type=seed, default=0, help="splits, initial weights and shuffling")
    t.add_argument("--save", metavar="FILE", type=output_file(".gone"),
                   help="save the trained network (.gone)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=train_table)
