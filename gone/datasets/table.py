"""A user's own table as ``(x, y)``: ``.csv``, ``.tsv``, ``.npy`` or ``.npz``."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import numpy as np

from .._base.text import is_number
from ..errors import DatasetError

_AUTO = "auto"


def load_table(path, target=-1, *, delimiter: str | None = None, header=_AUTO):
    """Features ``x (n, d)`` float64 and targets ``y (n,)`` from a table file.

    Args:
        path: ``.csv``/``.tsv``/``.txt`` (text), ``.npy`` (a 2-D array) or ``.npz``
            (arrays ``x`` and ``y``, or one 2-D array).
        target: the target column: an index (negative counts from the end) or,
            for text with a header, a column name. ``None``: no target (``y`` is None).
        delimiter: for text; default ``,`` (``\\t`` for ``.tsv``).
        header: ``True``/``False``, or ``"auto"``: the first line is a header
            when any of its cells is not a number.

    Integer-valued targets come back as int64 (class labels), others as float64.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _split_columns(path, _load_npy(path), target, None)
    if suffix == ".npz":
        return _load_npz(path, target)
    if delimiter is None:
        delimiter = "\t" if suffix == ".tsv" else ","
    rows = _text_rows(path, delimiter)
    names = None
    if header is True or (header == _AUTO and not all(is_number(c) for c in rows[0][1])):
        names = [c.strip() for c in rows[0][1]]
        rows = rows[1:]
        if not rows:
            raise DatasetError(f"{path}: a header but no data rows")
    return _split_columns(path, _cells(path, rows, names), target, names)


def _text_rows(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a text table as ``(line number, cells)``."""
    try:
        text = path.read_text(encoding="utf-8")
        rows = [(i, r) for i, r in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)
                if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from None
    except csv.Error as exc:  # a NUL byte, a field over the csv module's size limit
        raise DatasetError(f"{path}: not a readable table: {exc}") from None
    if not rows:
        raise DatasetError(f"{path}: no data")
    return rows


def _cells(path: Path, rows, names) -> np.ndarray:
    """The rows' cells as floats ``(n, width)``; a bad cell is named by line and column."""
    width = len(names) if names else len(rows[0][1])
    values = np.empty((len(rows), width))
    for k, (lineno, cells) in enumerate(rows):
        if len(cells) != width:
            raise DatasetError(f"{path}: line {lineno}: expected {width} columns, got {len(cells)}")
        for j, cell in enumerate(cells):
            try:
                values[k, j] = value = float(cell)
            except ValueError:
                value = None
            if value is None or not math.isfinite(value):
                col = f" ({names[j]!r})" if names else ""
                what = "is not a number" if value is None else "is not a finite number"
                raise DatasetError(f"{path}: line {lineno}, column {j + 1}{col}: {cell!r} "
                                   f"{what}") from None
    return values



def _load_npy(path: Path) -> np.ndarray:
    """The array in a ``.npy`` file, its declared size checked against the file's first."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as f:
            major, _ = fmt.read_magic(f)
            read_header = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
            shape, _, dtype = read_header(f, max_header_size=10_000)
            have = path.stat().st_size - f.tell()
        if dtype.hasobject:
            raise DatasetError(f"{path}: holds Python objects, not numbers")
        need = math.prod(shape) * dtype.itemsize
        if need > have:
            raise DatasetError(f"{path}: truncated: shape {shape} of {dtype} needs {need} "
                               f"bytes, the file has {have}")
        return np.load(path, allow_pickle=False)
    except DatasetError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises ValueError,
        # SyntaxError, tokenize.TokenError, TypeError...: every one means a damaged file
        raise DatasetError(f"{path}: not a readable .npy file: {exc!r}") from None


def _load_npz(path: Path, target):
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: not a readable .npz file: {exc}") from None
    if "x" in arrays:
        x, y = arrays["x"], arrays.get("y")
        if y is not None and len(y) != len(x):
            raise DatasetError(f"{path}: x has {len(x)} rows but y has {len(y)}")
        return _numeric(path, x, "x"), None if y is None else _target(_numeric(path, y, "y"))
    if len(arrays) == 1:
        return _split_columns(path, next(iter(arrays.values())), target, None)
    raise DatasetError(f"{path}: expected arrays 'x' and 'y' (or a single 2-D array), "
                       f"found {sorted(arrays)}")


def _numeric(path, a: np.ndarray, what: str) -> np.ndarray:
    """``a`` if it holds real, finite numbers; else a DatasetError naming the first bad cell."""
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
            or a.dtype == bool):
        raise DatasetError(f"{path}: {what} has dtype {a.dtype}, not real numbers")
    if np.issubdtype(a.dtype, np.floating):
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            where = ", ".join(f"{axis} {i}" for axis, i in zip(("row", "column", "index"),
                                                               bad[0].tolist()))
            raise DatasetError(f"{path}: {what}: {where}: {a[tuple(bad[0])]} is not a finite "
                               "number (rows and columns count from 0)")
    return a


def _target(y: np.ndarray) -> np.ndarray:
    if np.issubdtype(y.dtype, np.integer) or (y.size and np.all(y == np.round(y))):
        return y.astype(np.int64)
    return y.astype(np.float64)


def _split_columns(path, table: np.ndarray, target, names):
    table = _numeric(path, np.asarray(table), "the table")
    if table.ndim != 2:
        raise DatasetError(f"{path}: expected a 2-D table (rows, columns), got shape {table.shape}")
    if target is None:
        return table.astype(np.float64), None
    width = table.shape[1]
    if isinstance(target, str):
        if not names or target not in names:
            known = f"; columns: {', '.join(names)}" if names else " (the file has no header)"
            raise DatasetError(f"{path}: no column named {target!r}{known}")
        col = names.index(target)
    else:
        if int(target) != target or not -width <= target < width:
            raise DatasetError(f"{path}: target column {target} is out of range for "
                               f"{width} columns")
        col = int(target) % width
    x = np.delete(table, col, axis=1).astype(np.float64)
    return x, _target(table[:, col])
