"""Where ``obj.save(path)`` finds its writer, without the object's layer importing the files' layer.

Networks, graphs and populations know nothing of ``.gone`` files: the format
layer (:mod:`gone.format`, imported by ``import gone``) registers one writer
per class here, and ``net.save(path)``, ``graph.save(path)`` and
``pop.save(path)`` look it up by the object's class (its nearest registered
base). ``gone.save(obj, path)`` is the same call.
"""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigError

_WRITERS: dict[type, Callable] = {}
_EXPORTERS: dict[str, Callable] = {}


def register_writer(cls: type, write: Callable) -> None:
    """Make ``write(obj, path)`` the writer of ``cls`` and its subclasses."""
    _WRITERS[cls] = write


def writer_for(obj) -> Callable:
    """The writer registered for ``obj``'s class or its nearest base."""
    for cls in type(obj).__mro__:
        if cls in _WRITERS:
            return _WRITERS[cls]
    raise ConfigError(f"gone has no file format for {type(obj).__name__} objects "
                      "(import gone to install the .gone writers)")


def save(obj, path) -> None:
    """Write ``obj`` to ``path`` with its class's writer (atomic, like every gone save)."""
    writer_for(obj)(obj, path)


def register_exporter(name: str, export: Callable) -> None:
    """Make ``export(obj, *args)`` what ``net.to_<name>(...)`` calls (the interop layer does,
    for ``onnx`` and ``torch``)."""
    _EXPORTERS[name] = export


def export(name: str, obj, *args):
    """``obj`` converted for another tool by the exporter registered as ``name``."""
    if name not in _EXPORTERS:
        raise ConfigError(f"no {name} exporter is installed (import gone)")
    return _EXPORTERS[name](obj, *args)
