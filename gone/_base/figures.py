"""Writing a matplotlib figure to a file whose extension picks the format (``.png``, ``.svg``,
``.pdf``), atomically. One rule for every plot gone draws: learning curves, fitness and
species plots. matplotlib is the ``plot`` extra and is imported only here, when a plot is
written."""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import ConfigError, require
from .atomic import write_bytes

#: The extensions a plot may have, each naming its format.
FORMATS = (".png", ".svg", ".pdf")


def check_path(path) -> str:
    """The format of the plot file ``path`` (``"png"``, ...); ConfigError for another extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"{path}: a plot must end in {', '.join(FORMATS)} "
                          "(the extension picks the format)")
    return suffix[1:]


def new_figure(**kwargs):
    """A matplotlib Figure (no GUI backend, no global pyplot state)."""
    require("matplotlib", "plot")
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save_figure(fig, path, dpi: int = 100) -> None:
    """Write ``fig`` to ``path`` in the format its extension names, all of it or nothing."""
    fmt = check_path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format=fmt)
    write_bytes(path, buffer.getvalue())
