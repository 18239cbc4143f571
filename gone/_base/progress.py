"""A dependency-free progress bar for long loops (training epochs, generations)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """Draws ``label  12/100 [#####.....] 3.2s  loss=0.0123`` on a stream (stderr).

    On a terminal the line is redrawn in place; in a pipe or log file a line is
    written about every 10% so logs stay short.
    """

    def __init__(self, total: int, label: str = "", stream=None, width: int = 24):
        self.total, self.label, self.width = max(int(total), 1), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.start = time.perf_counter()
        self._last_decile = -1

    def update(self, done: int, **values) -> None:
        frac = min(done / self.total, 1.0)
        decile = int(frac * 10)
        if not self.tty and decile == self._last_decile and done < self.total:
            return
        self._last_decile = decile
        filled = int(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        extra = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in values.items())
        line = (f"{self.label} {done}/{self.total} [{bar}] "
                f"{time.perf_counter() - self.start:.1f}s  {extra}").rstrip()
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
