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

from .._base import persistence
from .._base.rng import make_rng, rng_from_state
from ..errors import ConfigError, ShapeError
from . import selection as _sel
from .backends import get_backend
from .es import ES  # noqa: F401 - registers "es"
from .fitness import takes_rng
from .ga import GA  # noqa: F401 - registers "ga"
from .hall_of_fame import HallOfFame
from .run import run
from .stacked import StackedNetworks
from .strategy import State, get_strategy

#: Columns of every generation's statistics, in this order (``history`` rows).
STATS = ("generation", "best", "mean", "min", "std", "failed", "best_ever",
         "evaluations", "seconds", "evals_per_s")

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
        strategy: :class:`GA` (default), :class:`ES`, or a registered name (``"ga"``, ``"es"``).
        seed: int or Generator; every random choice of the run comes from it.
        hall_of_fame: how many best-ever individuals to keep.
        refine: an optional :class:`Lamarckian` or :class:`Baldwinian` hybrid.

    The run is data: the template, the strategy's frozen settings and its
    state (:attr:`state`), the generator, the hall of fame, the history, the
    hybrid's settings and free-form ``settings`` strings. A population file
    holds exactly these (see :meth:`parts`), so a resumed run is bit-identical.
    """

    def __init__(self, network, size: int = 100, strategy=None, *, seed=None,
                 hall_of_fame: int = 5, refine=None):
        if isinstance(size, bool) or int(size) != size or size < 2:
            raise ConfigError(f"population size must be an integer >= 2, got {size}")
        template, strategy, rng = network.copy(), get_strategy(strategy), make_rng(seed)
        self._setup(template, strategy, strategy.init(template, int(size), rng), rng,
                    HallOfFame(hall_of_fame), refine)

    def _setup(self, template, strategy, state: State, rng, hall_of_fame, refine,
               history=(), evaluations: int = 0, settings=None) -> None:
        self.template, self.strategy, self.state = template, strategy, state
        self.rng, self.hall_of_fame, self.refine = rng, hall_of_fame, refine
        self.history: list[dict] = list(history)
        self.evaluations = int(evaluations)
        self.settings: dict[str, str] = dict(settings or {})  # free-form, saved in files
        self._pending = None  # (genomes, state) of an ask not yet told
        self._told_rng = rng.bit_generator.state  # the generator as of the last tell

    @classmethod
    def from_parts(cls, template, strategy, state: State, *, rng: np.random.Generator,
                   hall_of_fame, history=(), evaluations: int = 0, settings=None,
                   refine=None) -> "Population":
        """A population from what :meth:`parts` returned (the format layer's loader uses it)."""
        if len(state.genomes) < 2:
            raise ConfigError(f"population size must be an integer >= 2, got {len(state.genomes)}")
        pop = cls.__new__(cls)
        pop._setup(template, strategy, state, rng, hall_of_fame, refine, history, evaluations,
                   settings)
        return pop

    def parts(self) -> dict:
        """Everything the run is, for saving: ``from_parts(**parts())`` is the same run.

        The generator's state is the one of the last tell (or of the start), so a
        file saved between ask and tell asks the same genomes again.
        """
        return {"template": self.template, "strategy": self.strategy, "state": self.state,
                "rng": rng_from_state(self._told_rng), "hall_of_fame": self.hall_of_fame,
                "history": list(self.history), "evaluations": self.evaluations,
                "settings": dict(self.settings), "refine": self.refine}

    # --- views of the state -------------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.state.genomes)

    @property
    def generation(self) -> int:
        """The number of generations told."""
        return self.state.generation

    @property
    def genomes(self) -> np.ndarray:
        """The last generation told ``(pop, n_params)`` (the initial one before)."""
        return self.state.genomes

    @property
    def fitness(self) -> np.ndarray | None:
        """The fitness ``(pop,)`` of :attr:`genomes`, None before the first tell."""
        return self.state.fitness if self.state.evaluated else None

    # --- ask / tell -------------------------------------------------------------
    def ask(self) -> np.ndarray:
        """The genomes to evaluate this generation ``(pop, n_params)`` (same array until told)."""
        if self.refine is not None:
            self.refine.require_data()
        if self._pending is None:
            self._pending = self.strategy.ask(self.state, self.rng)
        return self._pending[0]

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
        generation, clean = self.state.generation, _sel.sanitize(f)
        state = self.strategy.tell(self._pending[1], genomes, f)
        self.hall_of_fame.update(genomes, clean, generation)
        if self.refine is not None and self.refine.lamarckian:
            state = self.strategy.write_back(state, clean, self._learn, self.refine.top)
        self.state, self._pending = state, None
        self.evaluations += len(f)
        stats = generation_stats(generation, f, self.hall_of_fame.best_fitness,
                                 self.evaluations, seconds)
        self.history.append(stats)
        self._told_rng = self.rng.bit_generator.state
        return stats

    def _learn(self, rows: np.ndarray) -> np.ndarray:
        """Lamarckian step on ``rows (k, n_params)``: each learns and keeps the weights."""
        return self.refine.refine_rows(self.template, rows, range(len(rows)), self.rng)

    def attach_data(self, x, y) -> "Population":
        """Give a loaded hybrid population its refinement data back (never saved); returns self."""
        if self.refine is None:
            raise ConfigError("this population has no Lamarckian or Baldwinian hybrid to give data to")
        self.refine = self.refine.with_data(x, y)
        return self

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
        return run(self, fitness, generations, **options)

    def save(self, path) -> None:
        """Write the whole run to a ``.gone`` population file, atomically (resumable).

        The same as ``gone.save(pop, path)``; the hybrid's data arrays are not saved.
        """
        persistence.save(self, path)

    def __repr__(self) -> str:
        return (f"Population(size={self.size}, network={self.template.sizes}, "
                f"strategy={self.strategy.name!r}, generation={self.generation})")


def _vector_result(values, pop: int) -> np.ndarray:
    """A vectorised fitness's return value as float64 ``(pop,)``, or ShapeError."""
    f = np.asarray(values, dtype=np.float64)
    if f.shape != (pop,):
        raise ShapeError(f"a vectorised fitness must return shape ({pop},), got {f.shape}")
    return f
