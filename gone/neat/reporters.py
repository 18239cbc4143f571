"""Reporters as neat-python users know them: per-generation statistics and the species table.

:class:`StdOutReporter` prints, after each generation, what neat-python's
``StdOutReporter(True)`` prints (average and best fitness, the species table
with id, age, size, fitness, adjusted fitness and stagnation) plus the time
of each phase. It is a gone evolution callback, so it sits beside
``HistoryWriter`` (CSV/JSON per generation), ``FitnessPlot`` and checkpoints.
:func:`species_table` returns the table as rows for your own use.
"""

from __future__ import annotations

import math
import sys

from .._base.figures import new_figure, save_figure
from ..errors import require
from ..evolution.reporters import EvolutionCallback


def species_table(pop) -> list[dict]:
    """One row per species: ``id, age, size, fitness, adjusted, stagnation`` (after breeding)."""
    rows = []
    for sid in sorted(pop.species.species):
        s = pop.species.species[sid]
        rows.append({"id": sid, "age": pop.generation - s.created, "size": len(s.members),
                     "fitness": s.fitness, "adjusted": s.adjusted_fitness,
                     "stagnation": pop.generation - s.last_improved})
    return rows


def _num(x: float, spec: str) -> str:
    return format(x, spec) if isinstance(x, float) and math.isfinite(x) else "--"


class StdOutReporter(EvolutionCallback):
    """neat-python's per-generation report; ``species=False`` leaves the table out."""

    def __init__(self, species: bool = True, stream=None):
        self.show_species, self.stream = species, stream or sys.stdout

    def on_generation(self, pop, stats):
        out = [f"\n ****** generation {stats['generation']} ****** ",
               f"Population's average fitness: {stats['mean']:.5f} stdev: {stats['std']:.5f}",
               f"Best fitness: {stats['best']:.5f} - size: ({stats['best_nodes']}, "
               f"{stats['best_connections']})"]
        if stats["solved"]:
            out.append("Fitness threshold reached: solved.")
        elif self.show_species:
            rows = species_table(pop)
            out.append(f"Population of {pop.size} members in {len(rows)} species "
                       f"(threshold {pop.species.threshold:.3g}):")
            out.append("   ID   age  size   fitness   adj fit  stag")
            out.append("  ====  ===  ====  =========  =======  ====")
            for r in rows:
                out.append(f"  {r['id']:>4}  {r['age']:>3}  {r['size']:>4}  "
                           f"{_num(r['fitness'], '9.3f'):>9}  {_num(r['adjusted'], '7.3f'):>7}  "
                           f"{r['stagnation']:>4}")
        out.append(f"Total extinctions: {pop.extinctions}")
        total = stats["evaluate_s"] + stats["speciate_s"] + stats["reproduce_s"]
        out.append(f"Generation time: {total:.4f} s "
                   f"(evaluate {stats['evaluate_s']:.4f}, speciate {stats['speciate_s']:.4f}, "
                   f"reproduce {stats['reproduce_s']:.4f})")
        print("\n".join(out), file=self.stream, flush=True)


def plot_species(history: list[dict], path, title: str = "species sizes") -> None:
    """Members per species per generation as a stacked area PNG (the ``plot`` extra)."""
    import json


    sizes = [json.loads(row["species_sizes"]) for row in history]
    keys = sorted({k for row in sizes for k in row}, key=int)
    gens = [row["generation"] for row in history]
    fig = new_figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot()
    if keys:
        ax.stackplot(gens, [[row.get(k, 0) for row in sizes] for k in keys])
    ax.set_xlabel("generation")
    ax.set_ylabel("genomes per species")
    ax.set_title(title)
    save_figure(fig, path)


class SpeciesPlot(EvolutionCallback):
    """Writes the species-size plot to ``path`` when the run ends."""

    def __init__(self, path, title: str = "species sizes"):
        require("matplotlib", "plot")  # fail before the run, not after it
        self.path, self.title = path, title

    def on_run_end(self, pop, result):
        plot_species(pop.history, self.path, self.title)
