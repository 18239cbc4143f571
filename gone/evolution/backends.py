"""Evaluation backends: score a population one network at a time.

A population is a genome matrix ``(pop, n_params)``; a backend rebuilds each row
as a network with ``template.with_genome(row)``, calls ``fitness`` on it and
returns the scores ``(pop,)`` as float64. It calls ``fitness(net)``, or
``fitness(net, rng)`` when fitness takes two positional parameters (the rule of
``gone.evolution.fitness.takes_rng``). Individual ``i`` gets ``rng =
np.random.default_rng(children[i])``, ``children = SeedSequence(seed).spawn(pop)``
(or ``seed.spawn(pop)`` for a SeedSequence), so the serial, process and ray
backends give the same bits for the same seed. ``spawn`` advances a
SeedSequence's counter: pass a fresh one (or an int) per generation.

NaN marks a failed individual, never a crash: an exception in ``fitness`` or a
value that is not a number is logged on ``gone.evolution`` and scored NaN. A
worker process that dies is replaced and its unfinished individuals are retried
once, each on its own; an individual that kills its worker again is NaN.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ..errors import ConfigError, PerformanceWarning, ShapeError, require
from .fitness import takes_rng  # one rule for every path that calls a fitness
from .template import digest, template_from_parts, template_parts

__all__ = ["ProcessBackend", "RayBackend", "SerialBackend", "evaluate", "evaluate_chunk",
           "get_backend", "spawn_seeds"]

logger = logging.getLogger("gone.evolution")
MIN_SECONDS = 1e-3       # below this per network, shipping work out costs more than it saves
_TEMPLATES: dict = {}    # in a worker: template digest -> Network, so it is parsed once
_MAX_TEMPLATES = 8       # long-lived (ray) workers see many templates; keep the cache small


# --- the work, shared by every backend ------------------------------------

def spawn_seeds(seed, n: int) -> list:
    """``n`` child SeedSequences from an int, None or a SeedSequence (which it advances)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed.spawn(n)
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.SeedSequence(None if seed is None else int(seed)).spawn(n)
    raise ConfigError(f"seed must be an int, a numpy.random.SeedSequence or None, "
                      f"got {type(seed).__name__}")


def _as_fitness(value) -> float:
    """``value`` as a float; strings and arrays are refused rather than coerced."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 0:
        raise TypeError(f"fitness must return a float, got {type(value).__name__} {value!r:.40}")
    return float(value)


def evaluate_chunk(fitness, template, with_rng: bool, start: int, rows: np.ndarray,
                   children: list) -> tuple:
    """Score ``rows (n, n_params)``, individuals ``start .. start + n - 1``.

    Returns ``(start, values (n,), failures [(index, "Type: message")], seconds)``;
    failures travel back as text so the parent logs them, whichever process ran them.
    """
    values = np.full(len(rows), np.nan)
    failures = []
    began = time.perf_counter()
    for j, (row, child) in enumerate(zip(rows, children)):
        try:
            net = template.with_genome(row)
            value = fitness(net, np.random.default_rng(child)) if with_rng else fitness(net)
            values[j] = _as_fitness(value)
        except Exception as exc:  # user code: any error fails this individual, not the run
            failures.append((start + j, f"{type(exc).__name__}: {exc}"))
    return start, values, failures, time.perf_counter() - began


def _digest(blob: tuple) -> str:
    return digest(*blob)


def _remember(key: str, blob) -> object:
    """The worker's Network for ``key``, built from ``blob`` (``template_parts``) the first time."""
    if key not in _TEMPLATES:
        if len(_TEMPLATES) >= _MAX_TEMPLATES:
            _TEMPLATES.pop(next(iter(_TEMPLATES)))
        _TEMPLATES[key] = template_from_parts(*blob)
    return _TEMPLATES[key]


def _exit_with_parent() -> None:
    """In a worker: exit as soon as the process that started it dies (even by kill -9).

    The pool's queues never report a dead parent to a worker blocked on them, so
    a thread waits on the parent's sentinel (a pipe that closes when it dies).
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch():
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="gone-parent-watch", daemon=True).start()


def _init_worker(blob: tuple) -> None:
    """Pool initializer: follow the parent's death, build the template once per worker."""
    _exit_with_parent()
    _remember(_digest(blob), blob)


def _chunk_task(fitness, key: str, blob, with_rng: bool, start: int, rows, children) -> tuple:
    """``evaluate_chunk`` in a worker; ``blob`` may be None when the initializer cached it."""
    if isinstance(fitness, bytes):
        fitness = _load_fitness(fitness)
    return evaluate_chunk(fitness, _remember(key, blob), with_rng, start, rows, children)


def _split(pop: int, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges of at most ``size`` covering ``0 .. pop``."""
    return [(s, min(s + size, pop)) for s in range(0, pop, size)]


def _check_genomes(template, genomes) -> np.ndarray:
    genomes = np.asarray(genomes)
    if genomes.ndim != 2 or genomes.shape[1] != template.n_params:
        raise ShapeError(f"genomes must have shape (pop, {template.n_params}) for network "
                         f"{template.sizes}, got {genomes.shape}")
    return genomes


def _dump_fitness(fitness) -> bytes:
    """``fitness`` pickled once per call (the pool would pickle it per chunk)."""
    try:
        return bytes(ForkingPickler.dumps(fitness))
    except Exception as exc:  # pickling fails with several unrelated types
        raise ConfigError(f"the process backend sends fitness to other processes, so it must "
                          f"be picklable: a module-level function or an instance of a "
                          f"module-level class, not {fitness!r} ({exc})") from exc


def _load_fitness(data: bytes):
    """Unpickle in the worker, where a failure would otherwise kill it like a crash."""
    try:
        return ForkingPickler.loads(data)
    except Exception as exc:  # e.g. AttributeError for a function from a notebook's __main__
        raise ConfigError(f"a worker process cannot load the fitness function "
                          f"({type(exc).__name__}: {exc}); the process backend needs it "
                          f"defined in an importable module, not typed into a notebook or "
                          f"REPL") from None


def _collect(results, pop: int, dead=()) -> tuple[np.ndarray, float]:
    """Chunk results -> fitness ``(pop,)`` and mean seconds per evaluated network.

    ``dead``: ``(start, stop)`` ranges whose worker died on the retry too; NaN.
    Logs every failure.
    """
    scores, seconds, n, failures = np.full(pop, np.nan), 0.0, 0, []
    for start, values, failed, secs in results:
        scores[start:start + len(values)] = values
        failures.extend(failed)
        seconds, n = seconds + secs, n + len(values)
    failures.extend((i, "its worker process died, twice") for a, b in dead for i in range(a, b))
    for index, message in sorted(failures):
        logger.warning("individual %d failed, fitness is NaN: %s", index, message)
    return scores, seconds / n if n else float("inf")


# --- backends ---------------------------------------------------------------

class _Backend:
    """Context-manager plumbing; subclasses implement ``map``."""

    name = "?"

    def close(self) -> None:
        """Release workers; the backend can still be used (it restarts lazily)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialBackend(_Backend):
    """Everything in this process, in order."""

    name = "serial"

    def map(self, fitness, template, genomes, seed=None) -> np.ndarray:
        """Fitness ``(pop,)`` of ``genomes (pop, n_params)``."""
        genomes = _check_genomes(template, genomes)
        children = spawn_seeds(seed, len(genomes))
        result = evaluate_chunk(fitness, template, takes_rng(fitness), 0, genomes, children)
        return _collect([result], len(genomes))[0]


class _Distributed(_Backend):
    """Chunks out to workers, then retries what a dead worker lost, one individual each.

    Subclasses provide ``_start`` (returns the leading ``_chunk_task`` arguments),
    ``_workers``, ``_run`` (all ranges at once) and ``_retry``.
    """

    chunk_size = None
    _measured = False

    def map(self, fitness, template, genomes, seed=None) -> np.ndarray:
        """Fitness ``(pop,)`` of ``genomes (pop, n_params)``."""
        genomes = _check_genomes(template, genomes)
        head = self._start(fitness, template_parts(template))
        pop, with_rng = len(genomes), takes_rng(fitness)
        children = spawn_seeds(seed, pop)

        def args(a, b):
            return (*head, with_rng, a, genomes[a:b], children[a:b])

        size = self.chunk_size or math.ceil(pop / (4 * self._workers())) or 1
        done, lost = self._run(_split(pop, size), args)
        again, dead = self._retry([(i, i + 1) for a, b in lost for i in range(a, b)], args)
        scores, per = _collect(done + again, pop, dead)
        self._warn_if_cheap(per)
        return scores

    def _warn_if_cheap(self, per: float) -> None:
        # Only the first call measures: later generations cost the same.
        if self._measured:
            return
        self._measured = True
        if per < MIN_SECONDS:
            warnings.warn(f"fitness takes {per * 1e3:.3f} ms per network; the "
                          f"{self.name} backend's overhead outweighs it, use backend='serial'",
                          PerformanceWarning, stacklevel=3)


class ProcessBackend(_Distributed):
    """A pool of ``workers`` spawned processes, kept across calls.

    The template reaches each worker once, through the pool initializer; ``fitness``
    goes with each chunk of ``chunk_size`` individuals, so it must be picklable
    and importable by the workers (not defined in a notebook).
    """

    name = "process"

    def __init__(self, workers: int | None = None, chunk_size: int | None = None):
        self.workers = _positive(workers, "workers") or os.cpu_count() or 1
        self.chunk_size = _positive(chunk_size, "chunk_size")
        self._pool = self._pool_key = self._blob = None

    def _workers(self) -> int:
        return self.workers

    def _start(self, fitness, blob: tuple) -> tuple:
        self._blob, self._blob_key = blob, _digest(blob)
        return _dump_fitness(fitness), self._blob_key, None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        key = self._blob_key
        if self._pool is None or self._pool_key != key:  # a new template needs new initargs
            self.close()
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(self._blob,))
            self._pool_key = key
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._pool_key = None

    def _run(self, ranges, args) -> tuple[list, list]:
        """Results of the ranges that finished, and the ranges a dead worker lost."""
        pool, futures = self._ensure_pool(), []
        try:
            for a, b in ranges:
                futures.append(pool.submit(_chunk_task, *args(a, b)))
        except BrokenProcessPool:  # a worker died while we were still submitting
            pass
        done, lost = [], list(ranges[len(futures):])
        for span, future in zip(ranges, futures):
            try:
                done.append(future.result())
            except BrokenProcessPool:
                lost.append(span)
        if lost:
            self.close()
        return done, lost

    def _retry(self, ranges, args) -> tuple[list, list]:
        # A dying worker fails *every* pending task of its pool, so only one task
        # at a time tells the culprit from its bystanders (slow, but rare).
        done, dead = [], []
        for span in ranges:
            ok, lost = self._run([span], args)
            done += ok
            dead += lost
        return done, dead


def _ray_chunk_task(*args) -> tuple:
    """``_chunk_task`` on a Ray worker; also returns the id of the node that ran it."""
    import ray

    return _chunk_task(*args), ray.get_runtime_context().get_node_id()


class RayBackend(_Distributed):
    """Ray tasks, one per chunk; connects (or starts a local Ray) on first use.

    ``address=None`` starts a local instance unless Ray is already initialised;
    ``"HOST:PORT"`` joins a running cluster (``ray start --head`` and
    ``ray start --address=HOST:PORT`` on every other machine), and
    ``"ray://HOST:PORT"`` connects through the Ray client server. Ray pickles
    ``fitness`` with cloudpickle (lambdas work); what it imports must be
    importable on every node. ``evaluations_per_node`` counts the individuals
    each node scored. Chunks lost with a dying worker or node are logged and
    re-run one individual each on the nodes that remain.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 chunk_size: int | None = None):
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ConfigError(f"address must be 'HOST:PORT' or 'ray://HOST:PORT', got {address!r}")
        self.address = address
        self.workers = _positive(workers, "workers")
        self.chunk_size = _positive(chunk_size, "chunk_size")
        self._ray = self._remote = self._ref = self._key = None
        self._owns_ray = False
        self.evaluations_per_node: dict[str, int] = {}

    def _connect(self):
        if self._ray is None or not self._ray.is_initialized():
            ray = require("ray", "ray")
            if not ray.is_initialized():
                options = {"address": self.address, "ignore_reinit_error": True}
                if self.address is None:
                    options.update(include_dashboard=False, log_to_driver=False)
                    if self.workers:
                        options["num_cpus"] = self.workers
                try:
                    ray.init(**options)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    raise ConfigError(f"cannot start or join Ray ({self.address or 'local'}): "
                                      f"{exc}") from None
                self._owns_ray = True
            # Ray retries crashed tasks itself by default; we retry per individual instead.
            self._remote = ray.remote(max_retries=0)(_ray_chunk_task)
            self._ray, self._ref, self._key = ray, None, None
        return self._ray

    def close(self) -> None:
        if self.evaluations_per_node:
            logger.info("ray: evaluations per node: %s", ", ".join(
                f"{node[:8]} {n}" for node, n in sorted(self.evaluations_per_node.items())))
        if self._ray is not None and self._owns_ray:
            self._ray.shutdown()
        self._ray = self._remote = self._ref = self._key = None
        self._owns_ray = False

    def _workers(self) -> int:
        return self.workers or int(self._ray.cluster_resources().get("CPU", 1))

    def _start(self, fitness, blob: tuple) -> tuple:
        ray = self._connect()
        if self._key != _digest(blob):  # the object store holds one copy per template
            self._ref, self._key = ray.put(blob), _digest(blob)
        try:
            return ray.put(fitness), self._key, self._ref
        except Exception as exc:  # cloudpickle fails with several unrelated types
            raise ConfigError(f"the ray backend cannot serialise fitness {fitness!r}: {exc}"
                              ) from exc

    def _run(self, ranges, args, retry: bool = False) -> tuple[list, list]:
        """Results of the ranges that finished, and the ranges whose worker died."""
        refs = [self._remote.remote(*args(a, b)) for a, b in ranges]
        done, lost, reasons = [], [], set()
        for span, ref in zip(ranges, refs):
            try:
                result, node = self._ray.get(ref)
            except self._ray.exceptions.RayTaskError:
                raise  # _chunk_task itself failed: a bug or a config error, not a crash
            except self._ray.exceptions.RayError as exc:
                lost.append(span)
                reasons.add(type(exc).__name__)
                continue
            done.append(result)
            self.evaluations_per_node[node] = self.evaluations_per_node.get(node, 0) + len(
                result[1])
        if lost:
            n = sum(b - a for a, b in lost)
            then = "they score NaN" if retry else "re-running them on the nodes that remain"
            logger.warning("ray: %d individuals lost with a worker or node that died (%s); %s",
                           n, ", ".join(sorted(reasons)), then)
        return done, lost

    def _retry(self, ranges, args) -> tuple[list, list]:
        # Ray isolates crashes, so the retries (one individual each) can run together.
        return self._run(ranges, args, retry=True)


def _positive(value, what: str):
    if value is not None and (int(value) != value or value < 1):
        raise ConfigError(f"{what} must be a positive int or None, got {value!r}")
    return None if value is None else int(value)


BACKENDS = {"serial": SerialBackend, "process": ProcessBackend, "ray": RayBackend}


def get_backend(spec, workers: int | None = None):
    """A backend from ``"serial"``, ``"process"``, ``"ray"``, or a backend object as is."""
    if isinstance(spec, str):
        if spec not in BACKENDS:
            raise ConfigError(f"unknown backend {spec!r}; known: {', '.join(BACKENDS)}")
        return SerialBackend() if spec == "serial" else BACKENDS[spec](workers=workers)
    if callable(getattr(spec, "map", None)) and callable(getattr(spec, "close", None)):
        return spec
    raise ConfigError(f"backend must be one of {', '.join(BACKENDS)} or an object with "
                      f"map() and close(), got {spec!r}")


def evaluate(fitness, template, genomes, *, backend="serial", workers=None,
             seed=None) -> np.ndarray:
    """Fitness ``(pop,)`` float64 of each row of ``genomes (pop, n_params)``.

    A backend named by string is started and closed within this call; pass a
    backend object to keep its workers across generations.
    """
    runner = get_backend(backend, workers)
    try:
        return runner.map(fitness, template, genomes, seed)
    finally:
        if runner is not backend:
            runner.close()
