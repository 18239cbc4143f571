"""Atomic file writes: a crash mid-write never leaves a half-written file."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync, then rename.

    ``os.replace`` is atomic on POSIX and Windows, so readers see either the old
    file or the new one, never a mix. The file gets the permissions a plain
    ``open(path, "wb")`` would give it: an existing file's mode is kept, a new
    file follows the umask.
    """
    path = Path(path)
    folder = path.parent
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file: os.open below applies the umask
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


def _create_temp(path: Path) -> tuple[int, Path]:
    """Create and open a new file beside ``path``; return its descriptor and path.

    Unlike ``tempfile.mkstemp`` (always mode 0600), the file is created with
    mode 0666 minus the umask, as ``open`` would create it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")


def _fsync_dir(folder: Path) -> None:
    # Persist the rename itself; not possible (nor needed) on every platform.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
