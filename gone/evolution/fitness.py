"""How fitness functions are called."""

from __future__ import annotations

import inspect


def takes_rng(fn) -> bool:
    """True when ``fn`` takes a second positional argument (the Generator).

    ``fitness(net)`` and ``fitness(net, rng)`` are both accepted; a fitness
    that uses randomness takes the Generator gone seeds for it, so results do
    not depend on how individuals are spread over workers.
    """
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: one argument
        return False
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def vectorized(fn):
    """Mark ``fn`` as a vectorised fitness: it takes a StackedNetworks, returns ``(pop,)``."""
    fn.vectorized = True
    return fn
