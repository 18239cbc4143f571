"""``gone predict FILE``: a network answers rows of numbers from stdin, one row of outputs per line.

It streams: each chunk of input is answered as soon as it arrives, so it works
both in a pipe over a large file and line by line with a program that waits
for each answer.
"""

from __future__ import annotations

import sys

import numpy as np

from ..errors import InputError
from ..format.network import load
from .args import ExitCode, positive_int
from .rows import chunks, format_rows, parse_row


def add_parser(sub) -> None:
    """Register ``gone predict``."""
    p = sub.add_parser("predict", help="run a network on rows of numbers from stdin",
                       description="Read one sample per line from stdin (numbers separated by "
                       "spaces or commas; blank lines and # comments skipped) and write one row "
                       "of outputs per line to stdout.")
    p.add_argument("file", help="a .gone file")
    p.add_argument("--csv", action="store_true", help="separate outputs with commas")
    p.add_argument("--precision", type=positive_int, default=None,
                   help="significant digits (default: shortest exact repr)")
    p.set_defaults(func=cmd_predict)


def cmd_predict(args) -> int:
    net = load(args.file)
    sep = "," if args.csv else " "

    def emit(rows):
        if rows:
            sys.stdout.write(format_rows(net.predict(np.array(rows)), args.precision, sep))
            sys.stdout.flush()

    lineno = 0
    for lines in chunks(sys.stdin.fileno()):
        rows = []
        for line in lines:
            lineno += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                rows.append(parse_row(line, lineno, net.n_inputs))
            except InputError:
                emit(rows)  # answer every good line before the bad one
                raise
        emit(rows)
    return ExitCode.OK
