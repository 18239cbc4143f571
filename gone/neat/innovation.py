"""Global innovation numbers: one number per structural novelty.

* A connection ``(in, out)`` gets one innovation number the first time any
  genome grows it and keeps it for the rest of the run, so two genomes that
  grew the same connection, in the same generation or not, align on it in
  crossover and distance (neat-python keys connections by ``(in, out)`` for the
  same reason).
* Splitting connection ``k`` with a new node gives, within one generation, the
  same node id to every genome that splits ``k`` (NEAT's "same mutation, same
  number"); in a later generation the same split makes a new node.

Node ids follow neat-python: outputs ``0 .. n_out-1``, inputs ``-1 .. -n_in``,
hidden nodes from ``n_out`` up.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np


class Innovations:
    """The run's innovation history; :meth:`new_generation` forgets this generation's splits."""

    def __init__(self, next_node: int, next_innovation: int = 0):
        self.next_node = int(next_node)
        self.next_innovation = int(next_innovation)
        self.connections: dict[tuple[int, int], int] = {}
        self.splits: dict[int, int] = {}

    def connection(self, source: int, target: int) -> int:
        """The innovation number of connection ``source -> target`` (a new one if never seen)."""
        key = (int(source), int(target))
        number = self.connections.get(key)
        if number is None:
            number = self.connections[key] = self.next_innovation
            self.next_innovation += 1
        return number

    def numbers(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Innovation numbers of connections ``source[i] -> target[i]``; -1 for pairs never grown."""
        pairs = zip(source.tolist(), target.tolist())
        return np.fromiter(map(self.connections.get, pairs, repeat(-1)), dtype=np.int64,
                           count=len(source))

    def connections_for(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Innovation numbers of ``source[i] -> target[i]``, numbering new pairs in order."""
        numbers = self.connections
        # a new pair is numbered next_innovation, which is len(numbers) + the same offset
        # throughout: each number handed out adds one pair (a dict is the fastest map here)
        offset, add = self.next_innovation - len(numbers), numbers.setdefault
        out = [add(pair, len(numbers) + offset)
               for pair in zip(source.tolist(), target.tolist())]
        self.next_innovation = len(numbers) + offset
        return np.array(out, dtype=np.int64)

    def split_many(self, innovations: np.ndarray, holds) -> np.ndarray:
        """Node ids ``(n,)`` for splitting connection ``innovations[i]`` in genome ``i``.

        Within one generation the same split gets the same id, except in a
        genome that already holds that id (it split the same connection
        before, then re-enabled it): that genome gets a fresh one.
        ``holds(ids) -> (n,) bool`` says whether genome ``i`` has node ``ids[i]``.
        """
        innovations, splits = innovations.tolist(), self.splits
        known = [splits.get(k, -1) for k in innovations]
        if max(known, default=-1) < 0:
            # no split made before this call: a repeat of one made in it shares its node,
            # and a new one is numbered as connections_for does
            offset, add = self.next_node - len(splits), splits.setdefault
            out = [add(k, len(splits) + offset) for k in innovations]
            self.next_node = len(splits) + offset
            return np.array(out, dtype=np.int64)
        held = holds(np.array(known, dtype=np.int64)).tolist()
        out = []
        for innovation, candidate, taken in zip(innovations, known, held):
            node = splits.get(innovation)
            # a split first made earlier in this same call is new to every genome
            if node is None or (node == candidate and taken):
                node = self.next_node
                self.next_node += 1
                splits.setdefault(innovation, node)
            out.append(node)
        return np.array(out, dtype=np.int64)

    def new_generation(self) -> None:
        self.splits.clear()

    # --- state for checkpoints ------------------------------------------------------
    def to_arrays(self) -> dict:
        """Everything as int64 arrays (for checkpoints)."""
        pairs = np.array(list(self.connections), dtype=np.int64).reshape(-1, 2)
        return {"counters": np.array([self.next_node, self.next_innovation], dtype=np.int64),
                "conn_pairs": pairs.reshape(-1),
                "conn_numbers": np.array(list(self.connections.values()), dtype=np.int64),
                "splits": np.array([v for kv in self.splits.items() for v in kv], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, arrays: dict) -> "Innovations":
        counters = arrays["counters"]
        out = cls(int(counters[0]), int(counters[1]))
        pairs = np.asarray(arrays["conn_pairs"], dtype=np.int64).reshape(-1, 2)
        out.connections = {(int(a), int(b)): int(n)
                           for (a, b), n in zip(pairs, arrays["conn_numbers"])}
        splits = np.asarray(arrays["splits"], dtype=np.int64).reshape(-1, 2)
        out.splits = {int(k): int(v) for k, v in splits}
        return out
