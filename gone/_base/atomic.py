"""Atomic file writes: a crash mid-write never leaves a half-written file.

A write goes to a hidden temporary ``.NAME.<hex>.tmp`` beside the file, then
is renamed over it. A process killed mid-write (``kill -9``) leaves its
temporary behind; the next write to the same name removes such leftovers, but
only those no live writer holds (each writer keeps an exclusive ``flock`` on
its temporary while it writes) and that are older than a few seconds.

Errors: :class:`WriteError`, a :class:`~gone.errors.GoneError` (and an
``OSError``) whose message names the user's path, never the temporary.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

from ..errors import WriteError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: leftovers are only removed by age
    fcntl = None

#: A leftover temporary is removed only when older than this (seconds).
STALE_AFTER = 5.0


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync, then rename.

    ``os.replace`` is atomic on POSIX and Windows, so readers see either the old
    file or the new one, never a mix. The file gets the permissions a plain
    ``open(path, "wb")`` would give it: an existing file's mode is kept, a new
    file follows the umask. Raises :class:`WriteError` naming ``path``.
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise WriteError(f"cannot write {path}: not a file name")
    try:
        _write(path, data)
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise WriteError(f"cannot write {str(path)!r}: {exc}") from None
    except OSError as exc:
        if isinstance(exc, WriteError):
            raise
        reason = exc.strerror or str(exc)
        if path.is_dir():
            reason = "it is a folder"
        elif not path.parent.is_dir():
            reason = f"folder {path.parent} does not exist"
        raise WriteError(f"cannot write {path}: {reason}") from None


def _write(path: Path, data: bytes) -> None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file: os.open below applies the umask
    remove_stale_temporaries(path)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            _lock(fh.fileno())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            if fcntl is not None:  # POSIX: rename while locked, so no cleaner takes it first
                os.replace(tmp, path)
        if fcntl is None:  # Windows cannot rename an open file
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def remove_stale_temporaries(path) -> list[Path]:
    """Remove ``.NAME.<hex>.tmp`` files beside ``path`` left by killed writers; returns them.

    A temporary is stale when it is older than :data:`STALE_AFTER` seconds and
    no process holds its lock (a lock dies with its process). Only
    temporaries of ``path``'s own name are touched. Errors are ignored: this
    is housekeeping, never a reason to fail a save.
    """
    path = Path(path)
    pattern = re.compile(r"\." + re.escape(path.name) + r"\.[0-9a-f]{8}\.tmp")
    removed = []
    try:
        names = [e.name for e in os.scandir(path.parent) if pattern.fullmatch(e.name)]
    except OSError:
        return removed
    for name in names:
        tmp = path.parent / name
        try:
            if time.time() - os.stat(tmp).st_mtime < STALE_AFTER or not _unheld(tmp):
                continue
            os.unlink(tmp)
            removed.append(tmp)
        except OSError:
            continue
    return removed


def _unheld(tmp: Path) -> bool:
    """True when no process holds ``tmp``'s lock (always True without ``fcntl``)."""
    if fcntl is None:
        return True
    fd = os.open(tmp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # releases our lock


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
