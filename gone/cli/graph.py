"""``gone propagate`` and ``gone learn``: graph networks driven line by line from stdin.

Each stdin line is one step (numbers separated by spaces or commas; blank
lines and ``#`` comments are skipped, but count for line numbers). The
network's state carries over from line to line. Every answer is flushed at
once, so both commands work in pipes and in a conversation with another
program. ``learn`` saves what it learned when stdin ends, on a malformed line
(then exit 2) and on SIGTERM or Ctrl-C (exit 143 or 130, the convention of
:class:`~gone.cli.args.ExitCode`), always atomically; a step that makes a
weight non-finite is undone and ends the run (exit 2), so the saved file
always loads.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ..errors import DivergenceError, InputError
from ..format.graph import load, save
from .args import (
    ExitCode,
    Terminated,
    output_file,
    positive_float,
    positive_int,
    signals_blocked,
    sigterm_raises,
)
from .rows import chunks, parse_row


def add_parser(sub) -> None:
    """Register ``propagate`` and ``learn`` on an argparse subparsers object."""
    p = sub.add_parser(
        "propagate", help="run a graph network on stdin, one step per line",
        description="Read one line of input values per step from stdin (numbers separated by "
        "spaces or commas) and write that step's output values. The state of recurrent "
        "connections carries over from line to line.")
    p.add_argument("config", help="the graph (.json or .gone; a pipe or <(...) works)")
    p.add_argument("--precision", type=positive_int, default=None,
                   help="significant digits (default: shortest exact repr)")
    p.set_defaults(func=cmd_propagate)

    p = sub.add_parser(
        "learn", help="train a graph network from stdin by gradient descent",
        description="Odd stdin lines are input values, even lines the expected outputs. After "
        "each pair it prints the outputs by neuron name and the error 1/2 sum (y - t)^2, then "
        "takes one gradient step. Saves the learned graph to SAVED when stdin ends, on a "
        "malformed line and on SIGTERM or Ctrl-C.")
    p.add_argument("config", help="the graph to start from (.json or .gone)")
    p.add_argument("saved", type=output_file(),
                   help="where to save the learned graph (.gone, else JSON)")
    p.add_argument("--learning-rate", type=positive_float, default=0.1, metavar="R",
                   help="gradient descent step size (default 0.1)")
    p.add_argument("--precision", type=positive_int, default=None,
                   help="significant digits (default: shortest exact repr)")
    p.set_defaults(func=cmd_learn)


def _fmt(value: float, precision: int | None) -> str:
    return repr(value) if precision is None else f"{value:.{precision}g}"


def _lines(fd: int):
    """``(line_number, text)`` of every data line on ``fd`` as it arrives."""
    lineno = 0
    for chunk in chunks(fd):
        for line in chunk:
            lineno += 1
            if line.strip() and not line.lstrip().startswith("#"):
                yield lineno, line


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def cmd_propagate(args) -> int:
    graph = load(args.config)
    for lineno, line in _lines(sys.stdin.fileno()):
        out = graph.propagate(parse_row(line, lineno, graph.n_inputs))
        _emit(" ".join(_fmt(v, args.precision) for v in out.tolist()) + "\n")
    return ExitCode.OK


def _learn_loop(graph, args, steps: list) -> None:
    """Learn from stdin's line pairs; ``steps[0]`` counts the steps taken."""
    pending = None  # (line number, inputs) waiting for its expected outputs
    for lineno, line in _lines(sys.stdin.fileno()):
        if pending is None:
            pending = (lineno, parse_row(line, lineno, graph.n_inputs))
            continue
        target = parse_row(line, lineno, graph.n_outputs)
        out, error = _learn_step(graph, pending[1], target, args, lineno)
        values = zip(graph.outputs, out.tolist())
        pairs = " ".join(f"{n}={_fmt(v, args.precision)}" for n, v in values)
        steps[0] += 1
        _emit(f"{pairs} error={_fmt(error, args.precision)}\n")
        pending = None
    if pending is not None:
        raise InputError(f"line {pending[0]}: input values without a line of expected "
                         "outputs after them")


def _learn_step(graph, x, target, args, lineno: int):
    """One gradient step; on a non-finite result the graph is put back as it was and
    :class:`DivergenceError` says so (the caller then saves that last finite graph)."""
    genome, state = graph.genome(), graph.state
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below, said once
        out, error = graph.learn(x, target, args.learning_rate)
    if not (math.isfinite(error) and np.isfinite(graph.genome()).all()
            and np.isfinite(graph.state).all()):
        graph.set_genome(genome)
        graph.state = state
        raise DivergenceError(
            f"line {lineno}: learning diverged (a weight, the error or a neuron's value is no "
            f"longer finite); try a smaller --learning-rate than {args.learning_rate:g}")
    return out, error


def cmd_learn(args) -> int:
    """Learn; SAVED is written when stdin ends, and on an early end only if a step was taken
    (a bad first line leaves no file behind)."""
    graph = load(args.config)
    steps = [0]
    try:
        with sigterm_raises():
            _learn_loop(graph, args, steps)
    except Terminated:
        kept = _keep(graph, args.saved, steps)
        print(f"gone: terminated; {kept}", file=sys.stderr)
        return ExitCode.TERMINATED
    except DivergenceError as exc:
        raise DivergenceError(f"{exc}; {_keep(graph, args.saved, steps)}") from None
    except BaseException:
        _keep(graph, args.saved, steps)  # a malformed line, Ctrl-C, a closed stdout
        raise
    _save(graph, args.saved)
    return ExitCode.OK


def _keep(graph, path, steps: list) -> str:
    """Save what was learned, if anything; says what happened to ``path``."""
    if not steps[0]:
        return f"nothing learned, {path} not written"
    _save(graph, path)
    return f"saved {path} (after {steps[0]} steps)"


def _save(graph, path) -> None:
    with signals_blocked():
        save(graph, path)
