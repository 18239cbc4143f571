"""``gone info FILE``: what a ``.gone`` file holds (network, population or graph), as text or JSON."""

from __future__ import annotations

import json

from ..errors import GoneError, GoneFormatError
from ..format.graph import from_message as graph_from_message
from ..format.graph import load as load_graph
from ..format.neat import describe as describe_neat
from ..format.network import decode, go_compatible, load_file, read_bytes
from ..format.population import describe as describe_population
from .args import ExitCode


def add_parser(sub) -> None:
    """Register ``gone info``."""
    p = sub.add_parser("info", help="describe a .gone file",
                       description="Show a .gone file's architecture, loss, parameters and metadata.")
    p.add_argument("file", help="a .gone file (from gone or the Go library) or a graph's .json")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_info)


def describe(net, format_version: int | None = None) -> dict:
    """A JSON-ready description of a network."""
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
    if args.file.lower().endswith(".json"):
        return _graph_info(args, load_graph(args.file), None)
    msg = decode(read_bytes(args.file), args.file)
    if msg.HasField("graph") and not msg.Layers:
        return _graph_info(args, graph_from_message(msg, args.file), msg.format_version,
                           describe_neat(msg))
    net, version = load_file(args.file)
    d = describe(net, version)
    if msg.HasField("population"):
        d["population"] = _population(msg, args.file)
    print(json.dumps(d, indent=2) if args.json else _info_text(args.file, d))
    return ExitCode.OK


def _population(msg, path: str) -> dict:
    """The population part of ``gone info``; a damaged record is a GoneFormatError.

    The population codec validates what it loads; this guard keeps ``gone
    info`` to one line even on a record it does not (yet) check field by field.
    """
    try:
        d = describe_population(msg)
        if not isinstance(d.get("strategy_settings"), dict):
            raise TypeError(f"strategy settings are {type(d.get('strategy_settings')).__name__}, "
                            "not an object")
        return d
    except GoneError:
        raise
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
            RecursionError) as exc:
        raise GoneFormatError(f"{path}: damaged population record "
                              f"({type(exc).__name__}: {exc})") from None


def _graph_info(args, graph, format_version, neat: dict | None = None) -> int:
    """``gone info`` of a graph network file: its inputs, outputs and neurons (and, for a
    NEAT champion, its run's facts)."""
    d = {"format_version": format_version, "kind": "graph", "inputs": graph.inputs,
         "outputs": graph.outputs, "neurons": graph.n_neurons, "parameters": graph.n_params,
         "recurrent_synapses": [list(pair) for pair in graph.cycle_closing()]}
    d.update({f"neat_{k}": v for k, v in (neat or {}).items()})
    if args.json:
        print(json.dumps(d, indent=2))
        return ExitCode.OK
    print(f"file:          {args.file}\n"
          f"graph network: {graph.n_neurons} neurons, {graph.n_params} parameters\n"
          f"inputs:        {' '.join(graph.inputs)}\noutputs:       {' '.join(graph.outputs)}\n"
          f"recurrent:     {', '.join(f'{a} <- {b}' for a, b in graph.cycle_closing()) or 'none'}")
    for key in ("neat_champion", "neat_run"):
        if key in d:
            print(f"{key.replace('_', ' ') + ':':<15}"
                  + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d[key].items()))
    return ExitCode.OK
