"""MNIST as a user downloads it: IDX files (``train-images-idx3-ubyte[.gz]``) or
Kaggle's Digit Recognizer CSV (``train.csv`` with a ``label`` column, ``test.csv``).

Headers are parsed and every size is checked against the file's length before
an array is allocated; a malformed file raises :class:`gone.DatasetError`
naming the file and the byte offset or line.
"""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from .._base import atomic as _atomic
from .._base.text import is_number
from ..errors import DatasetError

# IDX: 2 zero bytes, a type code, the number of dimensions, then big-endian uint32 sizes.
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_PIXELS = 28 * 28


MAX_BYTES = 1 << 30  # a file that unpacks to more than this is not MNIST (47 MB at most)


def _read(path) -> bytes:
    """The file's bytes, gunzipped for ``.gz`` (refusing more than :data:`MAX_BYTES`)."""
    path = Path(path)
    try:
        if path.suffix != ".gz":
            return path.read_bytes()
        with gzip.open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DatasetError(f"{path}: cannot read: {exc}") from None
    if len(data) > MAX_BYTES:
        raise DatasetError(f"{path}: unpacks to more than {MAX_BYTES} bytes; not an MNIST file")
    return data


def read_idx(path) -> np.ndarray:
    """The array in an IDX file (optionally gzipped), in its stored dtype and shape."""
    data = _read(path)
    if len(data) < 4:
        raise DatasetError(f"{path}: truncated at offset {len(data)}: no IDX header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in _IDX_TYPES or ndim == 0:
        raise DatasetError(f"{path}: bad magic number 0x{data[:4].hex()} at offset 0 "
                           "(not an IDX file)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{path}: truncated at offset {len(data)}: header declares "
                           f"{ndim} dimensions")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_TYPES[code]
    need = math.prod(dims) * dtype.itemsize
    if len(data) - header != need:
        what = "truncated" if len(data) - header < need else "has trailing bytes"
        raise DatasetError(f"{path}: {what}: dimensions {dims} need {need} data bytes from "
                           f"offset {header}, the file has {len(data) - header}")
    array = np.frombuffer(data, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))
    if dtype.kind == "f" and not np.all(np.isfinite(array)):
        first = int(np.flatnonzero(~np.isfinite(array.ravel()))[0])
        raise DatasetError(f"{path}: value {array.ravel()[first]} at offset "
                           f"{header + first * dtype.itemsize} (element "
                           f"{tuple(int(i) for i in np.unravel_index(first, dims))}) "
                           "is not a finite number")
    return array


def load_idx(images_path, labels_path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 1, H, W)`` float64 in [0, 1] and labels ``(n,)`` int64 from two IDX files."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetError(f"{images_path}: expected unsigned-byte images (n, rows, cols), "
                           f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DatasetError(f"{labels_path}: expected {len(images)} labels (one per image in "
                           f"{images_path}), got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{labels_path}: expected integer labels, got {labels.dtype}")
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise DatasetError(f"{labels_path}: label {labels[bad[0]]} at offset "
                           f"{8 + int(bad[0]) * labels.dtype.itemsize} is not a digit 0..9")
    return (images[:, None].astype(np.float64) / 255.0), labels.astype(np.int64)


def load_kaggle_csv(path) -> tuple[np.ndarray, np.ndarray | None]:
    """Kaggle Digit Recognizer CSV: images ``(n, 1, 28, 28)`` in [0, 1] and labels ``(n,)``
    (``None`` for ``test.csv``, which has no ``label`` column)."""
    text = _read(path).decode("utf-8", "replace")
    lines = text.splitlines()
    if not lines:
        raise DatasetError(f"{path}: empty file, expected a header line")
    header = [h.strip() for h in lines[0].split(",")]
    has_label = header[:1] == ["label"]
    width = _PIXELS + has_label
    if len(header) != width:
        raise DatasetError(f"{path}: line 1: expected {width} columns "
                           f"({'label, ' if has_label else ''}pixel0..pixel783), got {len(header)}")
    rows = [(i, line) for i, line in enumerate(lines[1:], start=2) if line.strip()]
    for lineno, line in rows:  # cheap: a comma count per line
        if line.count(",") != width - 1:
            raise DatasetError(f"{path}: line {lineno}: expected {width} columns, "
                               f"got {line.count(',') + 1}")
    try:  # numpy's C parser; on failure find the bad cell for the message
        values = np.loadtxt(io.StringIO("\n".join(line for _, line in rows)), delimiter=",",
                            ndmin=2, dtype=np.float64, comments=None,
                            ) if rows else np.empty((0, width))
    except ValueError as exc:
        lineno, bad = next(((n, c) for n, line in rows for c in line.split(",")
                            if not is_number(c)), (None, None))
        if lineno is None:  # a cell Python reads but numpy does not, such as "1_0"
            raise DatasetError(f"{path}: not a table of numbers: {exc}") from None
        raise DatasetError(f"{path}: line {lineno}: {bad.strip()!r} is not a number") from None
    if not np.all(np.isfinite(values)):
        row, col = (int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise DatasetError(f"{path}: line {rows[row][0]}, column {col + 1}: "
                           f"{values[row, col]} is not a finite number")
    if has_label:
        labels = values[:, 0]
        bad = np.flatnonzero((labels != np.round(labels)) | (labels < 0) | (labels > 9))
        if bad.size:
            raise DatasetError(f"{path}: line {rows[bad[0]][0]}: label {labels[bad[0]]:g} "
                               "is not a digit 0..9")
    x = values[:, has_label:].reshape(-1, 1, 28, 28) / 255.0
    return x, (values[:, 0].astype(np.int64) if has_label else None)



def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_mnist(folder) -> dict:
    """MNIST from a folder holding IDX files or Kaggle's ``train.csv``/``test.csv``.

    Returns a dict with ``x_train (n, 1, 28, 28)``, ``y_train (n,)`` and, when
    present, ``x_test`` and ``y_test`` (``y_test`` is None for Kaggle's unlabelled
    test set), plus ``"format"``: ``"idx"`` or ``"kaggle"``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a directory")
    train_x = _find(folder, "train-images-idx3-ubyte")
    train_y = _find(folder, "train-labels-idx1-ubyte")
    if train_x and train_y:
        out = {"format": "idx"}
        out["x_train"], out["y_train"] = load_idx(train_x, train_y)
        test_x = _find(folder, "t10k-images-idx3-ubyte")
        test_y = _find(folder, "t10k-labels-idx1-ubyte")
        if test_x and test_y:
            out["x_test"], out["y_test"] = load_idx(test_x, test_y)
        return out
    for name in ("train.csv", "train.csv.gz"):
        if (folder / name).is_file():
            out = {"format": "kaggle"}
            out["x_train"], out["y_train"] = load_kaggle_csv(folder / name)
            if out["y_train"] is None:
                raise DatasetError(f"{folder / name}: has no 'label' column")
            for test in ("test.csv", "test.csv.gz"):
                if (folder / test).is_file():
                    out["x_test"], out["y_test"] = load_kaggle_csv(folder / test)
                    break
            return out
    raise DatasetError(f"{folder}: found neither train-images-idx3-ubyte[.gz] with "
                       "train-labels-idx1-ubyte[.gz] nor Kaggle's train.csv")


def write_submission(path, labels) -> None:
    """Write a Kaggle submission ``ImageId,Label`` (ids from 1) atomically."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{path}: submission labels must be integers (n,), "
                           f"got {labels.dtype} {labels.shape}")
    buf = io.StringIO()
    buf.write("ImageId,Label\n")
    buf.writelines(f"{i},{label}\n" for i, label in enumerate(labels.tolist(), start=1))
    _atomic.write_bytes(path, buf.getvalue().encode())
