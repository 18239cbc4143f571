"""Rows of numbers on stdin: parsing one line, reading lines as they arrive, writing answers.

Shared by ``gone predict``, ``gone propagate`` and ``gone learn``: a line holds
numbers separated by spaces or commas; a bad one is an :class:`InputError`
naming the line.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .._base.text import is_number
from ..errors import InputError


def parse_row(line: str, lineno: int, n_inputs: int) -> list[float]:
    """Numbers of one input line (whitespace or comma separated), checked against ``n_inputs``.

    A field that is not a finite number (text, ``nan``, ``inf``) is refused
    with its line and column: a network would only turn it into NaN outputs.
    """
    fields = line.replace(",", " ").split()
    row = []
    for column, field in enumerate(fields, 1):
        value = float(field) if is_number(field) else math.nan
        if not math.isfinite(value):
            what = "a finite number" if is_number(field) else "a number"
            raise InputError(f"line {lineno}, column {column}: {field!r} is not {what}")
        row.append(value)
    if len(row) != n_inputs:
        raise InputError(f"line {lineno}: expected {n_inputs} numbers, got {len(row)}")
    return row


def format_rows(out: np.ndarray, precision: int | None, sep: str) -> str:
    if precision is None:
        return "".join(sep.join(map(repr, row)) + "\n" for row in out.tolist())
    return "".join(sep.join(f"{v:.{precision}g}" for v in row) + "\n" for row in out.tolist())


def chunks(fd: int):
    """Complete lines from ``fd`` as they arrive: each read returns what is available."""
    pending = b""
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        if lines:
            yield [l.decode("utf-8", "replace") for l in lines]
    if pending:
        yield [pending.decode("utf-8", "replace")]
