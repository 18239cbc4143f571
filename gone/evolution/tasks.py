"""Built-in fitness functions for ``gone evolve`` and the examples.

Each is a small class (picklable, so the process and Ray backends can ship
it) usable both ways: called on one network, or on a whole
:class:`~gone.evolution.StackedNetworks` when ``vectorized`` is true.
"""

from __future__ import annotations

import numpy as np

from .. import datasets


class XorFitness:
    """Negative mean squared error on the XOR truth table (0 is perfect).

    ``XorFitness()`` takes a StackedNetworks (the fast path); ``XorFitness(vectorized=False)``
    takes one network at a time (for the process and Ray backends).
    """

    def __init__(self, vectorized: bool = True):
        self.vectorized = vectorized
        self.x, self.y = datasets.xor()

    def __call__(self, nets):
        """``(pop,)`` for a StackedNetworks, a float for one Network."""
        if self.vectorized:
            out = nets.predict(self.x)                              # (pop, 4, 1)
            return -np.mean((out - self.y) ** 2, axis=(1, 2))
        return -float(np.mean((nets.predict(self.x) - self.y) ** 2))
