"""A population of networks of one architecture, evolved by ask/tell or one call to run.

    pop = gone.Population(gone.Network([2, gone.Dense(4, "tanh"), 1]), size=100, seed=0)
    while pop.best_fitness < 3.9:                       # the explicit loop ...
        genomes = pop.ask()                             # (pop, n_params)
        pop.tell([fitness(net) for net in pop.ask_networks()])
    result = pop.run(fitness, generations=100)          # ... or the same loop in one call

The genomes live in one ``(pop, n_params)`` matrix; a strategy (:class:`GA`
by default, or :class:`ES`) turns one generation's genomes and fitness into
the next. Higher fitness is better; a NaN or infinite fitness is a failed
evaluation, ranked worst, never a crash. The hall of fame keeps the best
individuals ever evaluated, whatever the strategy and elitism.
"""

from __future__ import annotations


import numpy as np

from ..errors import ConfigError, ShapeError
from .._base.rng import make_rng
from . import selection as _sel
from .es import ES
from .fitness import takes_rng
from .ga import GA
from .hall_of_fame import HallOfFame
from .stacked import StackedNetworks

STRATEGIES = {"ga": GA, "es": ES}

#: Columns of every generation's statistics, in this order (``history`` rows).
STATS = ("generation", "best", "mean", "min", "std", "failed", "best_ever",
         "evaluations", "seconds", "evals_per_s")


def get_strategy(strategy):
    """A strategy instance from an instance, a name (``"ga"``, ``"es"``) or None (GA)."""
    if strategy is None:
        return GA()
    if isinstance(strategy, str):
        key = strategy.strip().lower()
        if key not in STRATEGIES:
            raise ConfigError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
        return STRATEGIES[key]()
    return strategy


def generation_stats(generation: int, fitness: np.ndarray, best_ever: float,
                     evaluations: int, seconds: float) -> dict:
    """One generation's statistics over the working (finite) fitness values."""
    ok = fitness[np.isfinite(fitness)]
    nan = float("nan")
    return {
        "generation": generation,
        "best": float(ok.max()) if ok.size else nan,
        "mean": float(ok.mean()) if ok.size else nan,
        "min": float(ok.min()) if ok.size else nan,
        "std": float(ok.std()) if ok.size else nan,
        "failed": int(len(fitness) - ok.size),
        "best_ever": best_ever,
        "evaluations": evaluations,
        "seconds": seconds,
        "evals_per_s": len(fitness) / seconds if seconds > 0 else nan,
    }


class Population:
    """``size`` networks with ``network``'s architecture, evolved by ``strategy``.

    Args:
        network: the template :class:`~gone.Network` (architecture, dtype,
            initialisers; the evolution strategy starts from its weights).
        size: number of individuals.
        strategy: :class:`GA` (default), :class:`ES`, or ``"ga"``/``"es"``.
        seed: int or Generator; every random choice of the run comes from it.
        hall_of_fame: how many best-ever individuals to keep.
        refine: an optional :class:`Lamarckian` or :class:`Baldwinian` hybrid.
    """

    def __init__(self, network, size: int = 100, strategy=None, *, seed=None,
                 hall_of_fame: int = 5, refine=None):
        if int(size) != size or size < 2:
            raise ConfigError(f"population size must be an integer >= 2, got {size}")
        self.template = network.copy()
        self.size = int(size)
        self.strategy = get_strategy(strategy)
        self.rng = make_rng(seed)
        self.refine = refine
        self.generation = 0
        self.evaluations = 0
        self.genomes = self.strategy.initial(self.template, self.size, self.rng)
        self.fitness: np.ndarray | None = None  # of ``genomes``, once told
        self.hall_of_fame = HallOfFame(hall_of_fame)
        self.history: list[dict] = []
        self.settings: dict[str, str] = {}  # free-form run settings saved in checkpoints
        self._pending: np.ndarray | None = None

    # --- ask / tell -------------------------------------------------------------
    def ask(self) -> np.ndarray:
        """The genomes to evaluate this generation ``(pop, n_params)`` (same array until told)."""
        if self._pending is None:
            self._pending = self.strategy.ask(self.template, self.genomes, self.fitness,
                                              self.rng, self.generation)
        return self._pending

    def ask_networks(self) -> list:
        """This generation's individuals as independent Networks."""
        return [self.template.with_genome(g) for g in self.ask()]

    def stacked(self) -> StackedNetworks:
        """This generation's individuals as one :class:`StackedNetworks` (the fast path)."""
        return StackedNetworks(self.template, self.ask())

    def tell(self, fitness, seconds: float = 0.0) -> dict:
        """Report the fitness ``(pop,)`` of the asked genomes; returns the generation's statistics."""
        genomes = self.ask()
        f = np.array(fitness, dtype=np.float64).reshape(-1)
        if f.shape != (len(genomes),):
            raise ShapeError(f"fitness must have shape ({len(genomes)},), got {np.shape(fitness)}")
        self.strategy.tell(genomes, f, self.generation)
        self.hall_of_fame.update(genomes, _sel.sanitize(f), self.generation)
        self.genomes, self.fitness, self._pending = genomes, f, None
        if self.refine is not None and self.refine.lamarckian:
            self._refine_best(_sel.sanitize(f))
        self.evaluations += len(f)
        stats = generation_stats(self.generation, f, self.hall_of_fame.best_fitness,
                                 self.evaluations, seconds)
        self.history.append(stats)
        self.generation += 1
        return stats

    def _refine_best(self, fitness: np.ndarray) -> None:
        """Lamarckian step: the best individuals (or the ES mean) learn and keep the weights."""
        if isinstance(self.strategy, ES):
            self.strategy.mean = self.refine.refine(self.template, self.strategy.mean, self.rng)
            return
        top = np.argsort(-fitness, kind="stable")[:self.refine.top]
        self.genomes = self.refine.refine_rows(self.template, self.genomes, top, self.rng)

    # --- evaluation ---------------------------------------------------------------
    def evaluate(self, fitness, backend=None, vectorized: bool | None = None) -> np.ndarray:
        """Fitness ``(pop,)`` of the asked genomes, by a vectorised or a per-network function.

        A vectorised fitness (``vectorized=True``, or a callable whose
        ``vectorized`` attribute is true) receives a :class:`StackedNetworks`;
        otherwise ``fitness(net)`` runs once per network on ``backend``. Either
        may take a second argument, a Generator seeded from the population's.
        """
        genomes = self.ask()
        if self.refine is not None and not self.refine.lamarckian:
            genomes = self.refine.refine_rows(self.template, genomes, range(len(genomes)), self.rng)
        seed = np.random.SeedSequence(int(self.rng.integers(0, 2**63)))
        if vectorized is None:
            vectorized = bool(getattr(fitness, "vectorized", False))
        if vectorized:
            stacked = StackedNetworks(self.template, genomes)
            args = (stacked, np.random.default_rng(seed)) if takes_rng(fitness) else (stacked,)
            return _vector_result(fitness(*args), len(genomes))
        from .backends import get_backend

        if backend is None or isinstance(backend, str):  # made here, so closed here
            with get_backend(backend or "serial") as runner:
                return runner.map(fitness, self.template, genomes, seed)
        return backend.map(fitness, self.template, genomes, seed)

    # --- results --------------------------------------------------------------------
    @property
    def best_fitness(self) -> float:
        """The best fitness ever evaluated (``-inf`` before the first tell)."""
        return self.hall_of_fame.best_fitness

    @property
    def best(self):
        """The best network ever evaluated, with its fitness and generation in ``metadata``."""
        if not len(self.hall_of_fame):
            raise ConfigError("no generation has been evaluated yet")
        fitness, generation, genome = self.hall_of_fame.entries()[0]
        net = self.template.with_genome(genome)
        net.metadata.update(fitness=fitness, generation=generation)
        return net

    def run(self, fitness, generations: int | None = None, **options):
        """Evolve until a stop condition; see :func:`gone.evolution.run.run` for the options."""
        from .run import run

        return run(self, fitness, generations, **options)

    def save(self, path) -> None:
        """Write the whole run to a ``.gone`` population file, atomically (resumable)."""
        from ..format.population import save_population

        save_population(self, path)

    def __repr__(self) -> str:
        return (f"Population(size={self.size}, network={self.template.sizes}, "
                f"strategy={self.strategy.name!r}, generation={self.generation})")


def _vector_result(values, pop: int) -> np.ndarray:
    """A vectorised fitness's return value as float64 ``(pop,)``, or ShapeError."""
    f = np.asarray(values, dtype=np.float64)
    if f.shape != (pop,):
        raise ShapeError(f"a vectorised fitness must return shape ({pop},), got {f.shape}")
    return f
