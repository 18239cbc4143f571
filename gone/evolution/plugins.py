"""Packages that plug tasks and environments into gone: the ``gone.plugins`` entry point group.

Each entry point names a function that gone calls once, the first time a task
or a Gymnasium environment is looked up; it may call :func:`register_task`
and register Gymnasium environments. gone never imports a plugin by name: the
games in ``gone_games`` are found because they are installed.
"""

from __future__ import annotations

import warnings
from importlib import metadata

from .._base.registry import Registry

#: Task name -> a class (or factory) making the task object.
TASKS: Registry = Registry("task")
PLUGIN_GROUP = "gone.plugins"
_loaded: set[str] = set()


def register_task(name: str, factory, aliases=()) -> None:
    """Make ``gone evolve NAME`` (and ``gone play NAME`` if it can play) use ``factory()``."""
    TASKS.register(name, factory, aliases=aliases)


def load_plugins() -> None:
    """Call every ``gone.plugins`` entry point once (a broken one is a warning, not a crash)."""
    for entry in metadata.entry_points(group=PLUGIN_GROUP):
        if entry.value in _loaded:
            continue
        _loaded.add(entry.value)
        try:
            entry.load()()
        except Exception as exc:  # a plugin's bug must not take gone down
            warnings.warn(f"plugin {entry.name} ({entry.value}) failed to load: {exc}",
                          stacklevel=2)
