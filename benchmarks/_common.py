"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import subprocess

import numpy as np


def git_revision() -> str:
    """``git describe --always --dirty`` of the checkout, or "" outside one."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, cwd=os.path.dirname(os.path.abspath(__file__)),
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def blas_name() -> str:
    """numpy's BLAS library and version, e.g. "scipy-openblas 0.3.31" ("" if unknown)."""
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # noqa: BLE001 - only informative
        return ""


def import_reference(name: str):
    """Import a reference library, or None when it is missing or broken.

    This folder is kept off ``sys.path`` meanwhile: ``benchmarks/neat.py`` would
    otherwise shadow neat-python's ``neat`` in every script run from here.
    """
    import importlib
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - missing or broken: reported as not installed
        return None
    finally:
        sys.path[:] = saved
