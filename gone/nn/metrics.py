"""Classification metrics: accuracy and the confusion matrix."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts ``(n_classes, n_classes)``: row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ShapeError(f"labels must be two (n,) arrays, got {y_true.shape} and {y_pred.shape}")
    if n_classes is None:
        n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0
                        or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ShapeError(f"labels must be in [0, {n_classes})")
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def format_confusion(matrix: np.ndarray, labels=None) -> str:
    """The matrix as text: rows are true classes, columns predicted, with per-class recall."""
    n = len(matrix)
    labels = [str(i) for i in range(n)] if labels is None else [str(l) for l in labels]
    width = max(len(str(int(matrix.max(initial=0)))), *(len(l) for l in labels)) + 1
    lines = ["true \\ predicted", "     " + "".join(l.rjust(width) for l in labels) + "   recall"]
    for label, row in zip(labels, matrix):
        total = row.sum()
        recall = f"{row[labels.index(label)] / total:8.1%}" if total else "       -"
        lines.append(f"{label:>4} " + "".join(str(int(v)).rjust(width) for v in row) + recall)
    return "\n".join(lines)
