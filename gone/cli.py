"""The ``gone`` command line: ``info``, ``predict``, ``train``, ``evolve``, ``play``, ``serve``,
``propagate`` and ``learn``.

Every user mistake ends as one line on stderr (``gone: error: ...``) and exit
code 2; nothing prints a traceback. ``predict`` streams: it answers each chunk
of input as soon as it arrives, so it works both in a pipe over a large file
and line by line with a program that waits for each answer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import numpy as np

from . import __version__
from .errors import GoneError, InputError
from ._text import is_number

EXIT_OK, EXIT_USAGE, EXIT_SIGPIPE, EXIT_INTERRUPTED = 0, 2, 141, 130


# --- gone info -------------------------------------------------------------

def describe(net, format_version: int | None = None) -> dict:
    """A JSON-ready description of a network."""
    from .io import go_compatible

    opt = net.optimizer
    return {
        "format_version": format_version,
        "go_compatible": go_compatible(net),
        "sizes": net.sizes,
        "input_shape": list(net.input_shape or [net.n_inputs]),
        "layers": [_describe_layer(l) for l in net.layers],
        "loss": net.loss.name,
        "learning_rate": net.learning_rate,
        "dtype": net.dtype.name,
        "n_params": net.n_params,
        "optimizer": None if opt is None else
        {"name": opt.name, "hyperparams": opt.hyperparams(), "step": opt.t},
        "metadata": net.metadata,
    }


def _describe_layer(layer) -> dict:
    """One layer for ``gone info``: dense units and options, or an image layer's kind and shape."""
    act = getattr(layer, "activation", None)
    d = {"kind": getattr(layer, "kind", "") or "dense", "units": layer.units,
         "activation": act.name if act is not None else None,
         "activation_params": dict(act.params) if act is not None else {},
         "params": sum(p.size for p in layer.params)}
    if d["kind"] == "dense":
        d.update(bias=layer.use_bias, dropout=layer.dropout, l2=layer.l2)
    else:
        d.update(kind_params=layer.kind_params(), output_shape=list(layer.output_shape))
    return d


def _layer_text(l: dict) -> str:
    if l["kind"] != "dense":
        shape = "x".join(str(n) for n in l["output_shape"])
        params = "".join(f" {k}={v:g}" for k, v in l["kind_params"].items())
        act = f" {l['activation']}" if l["activation"] not in (None, "identity") else ""
        return f"{l['kind']}{params}{act} ({shape})"
    return (f"{l['units']} {l['activation']}"
            + "".join(f" {k}={v:g}" for k, v in l["activation_params"].items())
            + ("" if l["bias"] else " no-bias")
            + (f" dropout={l['dropout']:g}" if l["dropout"] else "")
            + (f" l2={l['l2']:g}" if l["l2"] else ""))


def _info_text(path: str, d: dict) -> str:
    version = d["format_version"]
    written = "the Go library" if version == 0 else f"gone (format {version})"
    inputs = "x".join(str(n) for n in d["input_shape"])
    layers = [f"{inputs} inputs"] + [_layer_text(l) for l in d["layers"]]
    lines = [
        f"file:          {path}",
        f"written by:    {written}; Go library can load it: {'yes' if d['go_compatible'] else 'no'}",
        f"layers:        {' -> '.join(layers)}",
        f"parameters:    {d['n_params']}",
        f"loss:          {d['loss']}",
        f"learning rate: {d['learning_rate']:g}",
        f"dtype:         {d['dtype']}",
    ]
    if d["optimizer"]:
        o = d["optimizer"]
        hp = ", ".join(f"{k}={v:g}" for k, v in o["hyperparams"].items())
        lines.append(f"optimizer:     {o['name']}({hp}) after {o['step']} steps")
    for key, value in d["metadata"].items():
        lines.append(f"{key + ':':15}{value}")
    if "population" in d:
        lines += _population_text(d["population"])
    return "\n".join(lines)


def _population_text(p: dict) -> list[str]:
    """``gone info`` lines for a population file (the network above is its best)."""
    settings = ", ".join(f"{k}={v}" for k, v in sorted(p["strategy_settings"].items()))
    lines = [
        f"population:    {p['size']} networks, strategy {p['strategy']} ({settings})",
        f"generation:    {p['generation']} evaluated, {p['evaluations']} evaluations",
        f"best ever:     {p['best_ever']} (the network above)",
    ]
    last = p["last_generation"]
    if last:
        lines.append(f"last gen:      best {last['best']:.6g}, mean {last['mean']:.6g}, "
                     f"{last['failed']} failed")
    return lines


def cmd_info(args) -> int:
    from .io import load_file

    from .checkpoint import describe as describe_population
    from .io import decode, read_bytes

    msg = decode(read_bytes(args.file), args.file)
    if msg.HasField("graph") and not msg.Layers:
        return _graph_info(args, msg)
    net, version = load_file(args.file)
    d = describe(net, version)
    if msg.HasField("population"):
        d["population"] = describe_population(msg)
    print(json.dumps(d, indent=2) if args.json else _info_text(args.file, d))
    return EXIT_OK


def _graph_info(args, msg) -> int:
    """``gone info`` of a graph network file: its inputs, outputs and neurons."""
    from .graph_io import from_message

    graph = from_message(msg, args.file)
    d = {"format_version": msg.format_version, "kind": "graph", "inputs": graph.inputs,
         "outputs": graph.outputs, "neurons": graph.n_neurons, "parameters": graph.n_params,
         "recurrent_synapses": [list(pair) for pair in graph.cycle_closing()]}
    if args.json:
        print(json.dumps(d, indent=2))
        return EXIT_OK
    print(f"file:          {args.file}\n"
          f"graph network: {graph.n_neurons} neurons, {graph.n_params} parameters\n"
          f"inputs:        {' '.join(graph.inputs)}\noutputs:       {' '.join(graph.outputs)}\n"
          f"recurrent:     {', '.join(f'{a} <- {b}' for a, b in graph.cycle_closing()) or 'none'}")
    return EXIT_OK


# --- gone predict ------------------------------------------------------------

def parse_row(line: str, lineno: int, n_inputs: int) -> list[float]:
    """Numbers of one input line (whitespace or comma separated), checked against ``n_inputs``."""
    fields = line.replace(",", " ").split()
    try:
        row = [float(f) for f in fields]
    except ValueError:
        bad = next(f for f in fields if not is_number(f))
        raise InputError(f"line {lineno}: {bad!r} is not a number") from None
    if len(row) != n_inputs:
        raise InputError(f"line {lineno}: expected {n_inputs} numbers, got {len(row)}")
    return row



def _format_rows(out: np.ndarray, precision: int | None, sep: str) -> str:
    if precision is None:
        return "".join(sep.join(map(repr, row)) + "\n" for row in out.tolist())
    return "".join(sep.join(f"{v:.{precision}g}" for v in row) + "\n" for row in out.tolist())


def _chunks(fd: int):
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


def cmd_predict(args) -> int:
    from .io import load

    net = load(args.file)
    sep = "," if args.csv else " "

    def emit(rows):
        if rows:
            sys.stdout.write(_format_rows(net.predict(np.array(rows)), args.precision, sep))
            sys.stdout.flush()

    lineno = 0
    for lines in _chunks(sys.stdin.fileno()):
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
    return EXIT_OK


# --- gone train ----------------------------------------------------------------

def train_xor(args) -> int:
    import gone

    x, y = gone.datasets.xor()
    optimizer = {"sgd": gone.SGD(), "adam": gone.Adam(lr=0.05, batch_size=4)}[args.optimizer]
    net = gone.Network([2, gone.Dense(4, "sigmoid"), gone.Dense(1, "sigmoid")],
                       loss="mse", learning_rate=args.learning_rate, seed=args.seed)
    history = net.train(x, y, optimizer=optimizer, epochs=args.epochs, progress=args.progress)
    print(f"XOR after {history.epochs} epochs ({args.optimizer}), loss {history.loss[-1]:.3g}:")
    for xi, yi, pi in zip(x, y, net.predict(x)):
        print(f"  {xi[0]:.0f} xor {xi[1]:.0f} = {pi[0]:.3f}   (target {yi[0]:.0f})")
    if args.save:
        net.metadata["notes"] = "XOR, trained by gone train xor"
        net.save(args.save)
        print(f"saved {args.save}")
    return EXIT_OK


TRAIN_TASKS = {"xor": train_xor}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (``gone evolve: error: ...``) and exit 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gone", description="Small neural networks trained by backprop and neuroevolution.")
    parser.add_argument("--version", action="version", version=f"gone {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)

    p = sub.add_parser("info", help="describe a .gone file",
                       description="Show a .gone file's architecture, loss, parameters and metadata.")
    p.add_argument("file", help="a .gone file (from gone or the Go library)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("predict", help="run a network on rows of numbers from stdin",
                       description="Read one sample per line from stdin (numbers separated by "
                       "spaces or commas; blank lines and # comments skipped) and write one row "
                       "of outputs per line to stdout.")
    p.add_argument("file", help="a .gone file")
    p.add_argument("--csv", action="store_true", help="separate outputs with commas")
    p.add_argument("--precision", type=_positive_int, default=None,
                   help="significant digits (default: shortest exact repr)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("train", help="train a built-in example",
                       description="Train a built-in example task and show the result.")
    tasks = p.add_subparsers(dest="task", metavar="TASK", required=True)
    t = tasks.add_parser("xor", help="learn XOR with a 2-4-1 sigmoid network",
                         description="Train a 2-4-1 sigmoid network on XOR and print its truth table.")
    t.add_argument("--epochs", type=_positive_int, default=3000)
    t.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    t.add_argument("--learning-rate", type=float, default=1.0, help="for sgd (default 1.0)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save", metavar="FILE", help="save the trained network (.gone)")
    t.add_argument("--progress", action="store_true", help="show a progress bar")
    t.set_defaults(func=train_xor)
    from .cli_train import add_tasks as add_train_tasks
    add_train_tasks(tasks, _positive_int)

    from .cli_evolve import add_parser as add_evolve
    from .cli_games import add_parser as add_play

    from .cli_graph import add_parser as add_graph
    from .cli_serve import add_parser as add_serve

    add_evolve(sub, _positive_int)
    add_play(sub)
    add_serve(sub)
    add_graph(sub)
    from .cli_interop import add_parser as add_interop
    add_interop(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one readable line on stderr, like errors, not a source excerpt."""
    print(f"gone: warning: {message}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return args.func(args)
    except GoneError as exc:
        print(f"gone: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gone: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `gone predict ... | head`); stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_SIGPIPE
