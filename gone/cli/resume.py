"""What ``gone evolve --resume FILE`` takes from the file and what from the command line.

A checkpoint keeps its run's settings: what the run is (``run`` keys: the
task, the seed, the strategy's settings) and how far and how it runs
(``invocation`` keys: stop conditions, backend), never where its results
went. Resuming repeats the run as the file has it:

* a flag that would change the run is refused, naming each one (the same
  value as the file's is fine);
* stop conditions and backend come from the command line when given, else
  from the file;
* output paths (champion, history, plots, the checkpoint) come from the
  command line only, so a file can never make a resume write where the user
  did not ask; without ``--checkpoint`` the run is saved back into FILE;
* a task that would import a Python module (``module:Env-v0``) is run only
  when the command line names it too.

GA/ES runs (:mod:`gone.cli.evolve`) and NEAT runs (:mod:`gone.cli.neat`)
differ only in their keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import ConfigError
from .args import output_problem

SETTINGS_KEY = "gone evolve"          # where a population keeps its 'gone evolve' settings
_COMMAND_LINE_ONLY = ("watch", "quiet")   # how this invocation shows the run: never from a file


@dataclass(frozen=True)
class SettingKeys:
    """The settings of one kind of run: ``run`` (fixed), ``invocation`` (from the command
    line, else the file) and ``output`` (command line only; never saved)."""

    run: tuple
    invocation: tuple
    output: tuple

    def saved(self, settings: dict) -> str:
        """The settings a checkpoint keeps (JSON): the run and its stop conditions."""
        return json.dumps({k: settings[k] for k in (*self.run, *self.invocation)
                           if k in settings}, sort_keys=True)


def resumed_settings(path, settings: dict, args, keys: SettingKeys, defaults: dict,
                     command: str = "gone evolve", implied: dict | None = None) -> dict:
    """The settings to resume the run in checkpoint ``path`` with: the file's run keys,
    ``args``' invocation and output keys over the file's (see the module docstring).

    ``settings`` is the population's settings dict; ``defaults`` fill invocation
    keys that files of older versions lack; ``implied`` run keys hold for every
    file of this kind (NEAT files are ``strategy = neat``) where it says nothing.
    Raises ConfigError naming ``path`` for a file of another kind, damaged
    settings, contradicting flags, a module to import, or a checkpoint that
    cannot be written back.
    """
    if SETTINGS_KEY not in settings:
        raise ConfigError(f"{path}: not a checkpoint of '{command}' (no run settings in it)")
    try:
        saved = json.loads(settings[SETTINGS_KEY])
    except ValueError:
        saved = None
    if not isinstance(saved, dict) or not isinstance(saved.get("task"), str):
        raise ConfigError(f"{path}: its '{command}' settings are damaged")
    saved = {**(implied or {}), **saved}
    given = {k: v for k, v in vars(args).items() if v is not None and v is not False}
    _refuse_contradictions(path, saved, given, keys.run)
    _refuse_imports(path, saved["task"], given.get("task"))
    s = {k: saved.get(k) for k in keys.run}
    s.update({k: saved.get(k) for k in keys.invocation if k not in _COMMAND_LINE_ONLY})
    s.update({k: v for k, v in given.items() if k in keys.invocation})
    s.update({k: given.get(k) for k in keys.output})          # never the file's
    if not s.get("checkpoint"):     # saved back where it came from: check that before the work
        problem = output_problem(str(path))
        if problem:
            raise ConfigError(f"{problem} (pass --checkpoint FILE to save the run elsewhere)")
        s["checkpoint"] = str(path)
    for key, value in defaults.items():     # files of older versions lack newer keys
        if s.get(key) is None and key in keys.invocation and key != "target":
            s[key] = value
    return s


def _refuse_contradictions(path, saved: dict, given: dict, run_keys: tuple) -> None:
    """ConfigError naming every flag that would change the run the file holds."""
    wrong = [k for k in run_keys if k in given and given[k] != saved.get(k)]
    if wrong:
        flags = ", ".join(("the task" if k == "task" else "--" + k.replace("_", "-")) +
                          f" (file: {saved.get(k)!r}, given: {given[k]!r})" for k in wrong)
        raise ConfigError(f"{path} is a run with other settings; --resume continues it as it "
                          f"is, so these cannot change: {flags}")


def _refuse_imports(path, task: str, named: str | None) -> None:
    """A Gymnasium id ``module:Env-v0`` imports ``module``: only when the user names it."""
    if ":" in task and named != task:
        raise ConfigError(f"{path} names the task {task!r}, which imports the Python module "
                          f"{task.split(':')[0]!r}; resuming imports nothing you did not name: "
                          f"repeat the task on the command line to allow it")
