"""Callbacks for evolution runs: progress, history files, fitness plots, checkpoints.

Training and evolution share one callback base, :class:`gone.Callback`: an
evolution callback is a Callback with three more no-op hooks (run begins,
a generation was told, run ends); ``on_generation`` returning True stops the
run. A plain function ``f(pop, stats)`` works as a callback too.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Callable

from .._base.atomic import write_bytes
from .._base.figures import check_path, new_figure, save_figure
from .._base.progress import ProgressBar
from ..errors import ConfigError, require
from ..nn.callbacks import Callback


class EvolutionCallback(Callback):
    """A :class:`gone.Callback` for evolution runs: override the hooks you need."""

    def on_run_begin(self, pop) -> None: ...

    def on_generation(self, pop, stats: dict) -> bool | None: ...

    def on_run_end(self, pop, result) -> None: ...


class FunctionCallback(EvolutionCallback):
    """Wraps ``f(pop, stats) -> bool``."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def on_generation(self, pop, stats):
        return bool(self.fn(pop, stats))


def as_callbacks(callbacks) -> list[EvolutionCallback]:
    """A list of callbacks from callback objects and plain functions."""
    out = []
    for cb in callbacks or ():
        if isinstance(cb, EvolutionCallback):
            out.append(cb)
        elif callable(cb):
            out.append(FunctionCallback(cb))
        else:
            raise ConfigError(f"an evolution callback must be an EvolutionCallback or a function "
                              f"f(pop, stats), got {cb!r}")
    return out


def _fmt(x: float) -> str:
    return f"{x:.6g}" if isinstance(x, float) and math.isfinite(x) else str(x)


class ProgressReporter(EvolutionCallback):
    """A progress bar on a terminal (when the number of generations is known), else a log line."""

    def __init__(self, generations: int | None = None, stream=None):
        self.generations, self.stream = generations, stream or sys.stderr
        self._bar = None

    def on_run_begin(self, pop):
        self._start = pop.generation
        tty = getattr(self.stream, "isatty", lambda: False)()
        if tty and self.generations:
            self._bar = ProgressBar(self.generations, "generation", self.stream)

    def on_generation(self, pop, stats):
        values = {"best": stats["best"], "mean": stats["mean"], "evals/s": stats["evals_per_s"]}
        if self._bar is not None:
            self._bar.update(pop.generation - self._start, **values)
            return
        every = max(1, (self.generations or 0) // 20)
        if stats["generation"] % every and pop.generation - self._start != self.generations:
            return
        line = (f"generation {stats['generation']}  best {_fmt(stats['best'])}  "
                f"mean {_fmt(stats['mean'])}  best ever {_fmt(stats['best_ever'])}  "
                f"failed {stats['failed']}  evals/s {stats['evals_per_s']:.0f}")
        print(line, file=self.stream, flush=True)

    def on_run_end(self, pop, result):
        if self._bar is not None:
            self._bar.close()


def history_bytes(history: list[dict], path: Path) -> bytes:
    """``history`` as CSV (a header and a row per generation) or JSON (a list), by suffix."""
    if path.suffix.lower() == ".json":
        rows = [{k: (v if not isinstance(v, float) or math.isfinite(v) else None)
                 for k, v in row.items()} for row in history]
        return (json.dumps(rows, indent=1) + "\n").encode()
    buf = io.StringIO()
    if history:
        writer = csv.DictWriter(buf, fieldnames=list(history[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
    return buf.getvalue().encode()


class HistoryWriter(EvolutionCallback):
    """Rewrites ``path`` (``.csv`` or ``.json``) atomically after every generation."""

    def __init__(self, path):
        self.path = Path(path)

    def on_generation(self, pop, stats):
        write_bytes(self.path, history_bytes(pop.history, self.path))


def plot_history(history: list[dict], path, title: str = "fitness") -> None:
    """Best, mean and min fitness per generation as a PNG, SVG or PDF by ``path``'s extension
    (needs the ``plot`` extra)."""
    check_path(path)
    fig = new_figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot()
    gens = [row["generation"] for row in history]
    for key, style in (("best", "-"), ("mean", "--"), ("min", ":")):
        ax.plot(gens, [row[key] for row in history], style, label=key)
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)


class FitnessPlot(EvolutionCallback):
    """Writes the fitness plot to ``path`` when the run ends."""

    def __init__(self, path, title: str = "fitness"):
        require("matplotlib", "plot")  # fail before the run, not after it
        self.path, self.title = path, title

    def on_run_end(self, pop, result):
        plot_history(pop.history, self.path, self.title)


class Checkpointer(EvolutionCallback):
    """Saves the whole run to ``path`` every ``every`` generations and when it ends."""

    def __init__(self, path, every: int = 10):
        if int(every) != every or every < 1:
            raise ConfigError(f"checkpoint_every must be a positive integer, got {every!r}")
        self.path, self.every = path, int(every)

    def on_generation(self, pop, stats):
        if pop.generation % self.every == 0:
            pop.save(self.path)

    def on_run_end(self, pop, result):
        pop.save(self.path)
