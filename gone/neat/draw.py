"""A genome as a picture: nodes in columns by depth, connections with width by |weight|.

Inputs sit in the left column, outputs in the right one, hidden nodes in
between by their feed-forward level. A connection is a line (a curve for a
recurrent one) whose width grows with ``|weight|``; positive weights are
drawn in blue, negative in red, disabled connections (``show_disabled``)
dotted grey. ``.svg`` is written by hand (no dependency); ``.png`` needs
matplotlib (the ``plot`` extra), imported only then.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from .._base import atomic as _atomic
from ..errors import ConfigError, require
from .convert import columns, levels
from .genome import ACT_NAMES, Genome

_W, _H, _R = 640, 400, 14


def layout(genome: Genome, n_inputs: int, n_outputs: int) -> dict:
    """``{node id: (x, y)}`` in a 0..1 square; inputs ids ``-1..``, outputs ``0..``."""
    rows, cols, _ = columns(genome, n_inputs)
    level = levels(genome.n_nodes, n_inputs, rows, cols)
    hidden = [i for i, n in enumerate(genome.nodes) if n >= n_outputs]
    depth = {int(genome.nodes[i]): int(level[i]) + 1 for i in hidden}
    top = max(depth.values(), default=0) + 1
    place = {}
    column = lambda ids, x: place.update(  # noqa: E731
        {n: (x, (k + 1) / (len(ids) + 1)) for k, n in enumerate(ids)})
    column([-(i + 1) for i in range(n_inputs)], 0.0)
    column(list(range(n_outputs)), 1.0)
    for d in range(1, top):
        column([n for n, dd in depth.items() if dd == d], d / top)
    return place


def _edges(genome: Genome, show_disabled: bool) -> list:
    """``[(src, dst, weight, enabled, width)]`` with width 0.5 .. 5 by |weight|."""
    biggest = max(float(np.abs(genome.weight).max(initial=0.0)), 1e-9)
    return [(int(s), int(d), float(w), bool(e), 0.5 + 4.5 * abs(w) / biggest)
            for s, d, w, e in zip(genome.src, genome.dst, genome.weight, genome.enabled)
            if e or show_disabled]


def _colour(w: float, enabled: bool) -> str:
    return "#999999" if not enabled else ("#1f5fbf" if w >= 0 else "#c8312b")


def _label(node: int, genome: Genome, n_outputs: int, names: dict) -> str:
    if node in names:
        return names[node]
    if node < 0:
        return f"in{-node}"
    i = int(np.searchsorted(genome.nodes, node))
    return (f"out{node + 1}" if node < n_outputs else f"h{node}") + f" {ACT_NAMES[genome.act[i]]}"


def to_svg(genome: Genome, n_inputs: int, n_outputs: int, names: dict | None = None,
           show_disabled: bool = False) -> str:
    """The SVG text of the drawing; ``names`` maps node ids to labels."""
    names = names or {}
    pos = {n: (40 + x * (_W - 140), 20 + y * (_H - 40))
           for n, (x, y) in layout(genome, n_inputs, n_outputs).items()}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
           f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="11">',
           f'<rect width="{_W}" height="{_H}" fill="white"/>']
    for s, d, w, e, width in _edges(genome, show_disabled):
        (x1, y1), (x2, y2) = pos[s], pos[d]
        dash = '' if e else ' stroke-dasharray="4 3"'
        if x2 > x1:
            path = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
        else:  # recurrent (or self) connection: a loop above
            path = (f"M{x1:.1f},{y1:.1f} C{x1 + 60:.1f},{y1 - 60:.1f} "
                    f"{x2 - 60:.1f},{y2 - 60:.1f} {x2:.1f},{y2:.1f}")
        out.append(f'<path d="{path}" fill="none" stroke="{_colour(w, e)}" '
                   f'stroke-width="{width:.2f}"{dash}><title>{s} -&gt; {d}: {w:.4g}</title></path>')
    for n, (x, y) in pos.items():
        fill = "#e8e8e8" if n < 0 else "#cfe3ff" if n < n_outputs else "#fff2cc"
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_R}" fill="{fill}" stroke="#333"/>')
        out.append(f'<text x="{x + _R + 3:.1f}" y="{y + 4:.1f}">'
                   f'{escape(_label(n, genome, n_outputs, names))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _png(genome: Genome, n_inputs: int, n_outputs: int, names: dict, show_disabled: bool) -> bytes:
    import io

    matplotlib = require("matplotlib", "plot")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, PathPatch
    from matplotlib.path import Path as CurvePath

    pos = layout(genome, n_inputs, n_outputs)
    fig = Figure(figsize=(_W / 100, _H / 100), dpi=100)
    ax = fig.add_subplot()
    ax.set_axis_off()
    for s, d, w, e, width in _edges(genome, show_disabled):
        style = dict(color=_colour(w, e), linewidth=width, linestyle="-" if e else ":")
        if s == d:   # a self-connection: a loop above the node (an arc from a point to itself
            x, y = pos[s]   # would be drawn as nothing); y grows downwards here
            loop = CurvePath([(x, y), (x + 0.08, y - 0.22), (x - 0.08, y - 0.22), (x, y)],
                             [CurvePath.MOVETO] + [CurvePath.CURVE4] * 3)
            ax.add_patch(PathPatch(loop, fill=False, **style))
            continue
        bend = 0.0 if pos[d][0] > pos[s][0] else 0.6
        ax.add_patch(FancyArrowPatch(pos[s], pos[d], connectionstyle=f"arc3,rad={bend}",
                                     arrowstyle="-", **style))
    for n, (x, y) in pos.items():
        fill = "#e8e8e8" if n < 0 else "#cfe3ff" if n < n_outputs else "#fff2cc"
        ax.scatter([x], [y], s=300, c=fill, edgecolors="#333", zorder=3)
        ax.annotate(_label(n, genome, n_outputs, names), (x, y), xytext=(10, -3),
                    textcoords="offset points", fontsize=8)
    ax.set_xlim(-0.05, 1.2)
    ax.set_ylim(1.05, -0.05)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def draw(genome: Genome, path, n_inputs: int, n_outputs: int, names: dict | None = None,
         show_disabled: bool = False) -> None:
    """Write the drawing to ``path``: ``.svg`` or ``.png`` by extension, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        data = to_svg(genome, n_inputs, n_outputs, names, show_disabled).encode()
    elif suffix == ".png":
        data = _png(genome, n_inputs, n_outputs, names or {}, show_disabled)
    else:
        raise ConfigError(f"{path}: draw writes .svg or .png, not {suffix or 'no extension'!r}")
    _atomic.write_bytes(path, data)
