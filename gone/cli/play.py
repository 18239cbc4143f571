"""``gone play GAME``: watch a saved champion play, or play yourself, in a window.

The games are plugins (``gone.plugins`` entry points, :mod:`gone.evolution.plugins`):
every registered task that can ``play`` is a choice here. Drawing needs pygame,
the ``games`` extra.
"""

from __future__ import annotations

from ..errors import GoneFormatError
from ..evolution.plugins import TASKS, load_plugins
from ..format.files import load
from ..graph.network import GraphNetwork
from .args import ExitCode, positive_int, seed, sigterm_raises

MAX_FPS = 1000


def _fps(text: str) -> int:
    value = positive_int(text)
    if value > MAX_FPS:
        import argparse

        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_FPS}, got {value}")
    return value


def games() -> list[str]:
    """Names of the installed games (tasks that can play)."""
    load_plugins()
    return [name for name, factory in TASKS.items() if hasattr(factory, "play")]


def add_parser(sub) -> None:
    """Register ``gone play``."""
    p = sub.add_parser("play", help="watch a saved champion play a game, or play it yourself",
                       description="Open a window: with --model, the saved network plays; "
                       "without, you play (space bar to flap in flappy, arrows in snake).")
    p.add_argument("game", choices=games())
    p.add_argument("--model", metavar="FILE", help="a .gone network evolved for the game (a "
                   "layered or graph network, or a NEAT run: its champion)")
    p.add_argument("--seed", type=seed, default=0, help="the level (pipes, food) to play")
    p.add_argument("--fps", type=_fps, default=60, help=f"frames drawn per second, 1-{MAX_FPS} (60)")
    p.add_argument("--frames", type=positive_int,
                   help="flappy: stop after this many frames (demos, tests)")
    p.set_defaults(func=cmd_play)


class _GraphBrain:
    """A graph network (a NEAT champion) as a game's brain: each ``predict`` is one step, its
    state carried from frame to frame as in the games it was evolved on."""

    def __init__(self, graph: GraphNetwork):
        self.graph, self.n_inputs, self.n_outputs = graph, graph.n_inputs, graph.n_outputs
        graph.reset_state()

    def predict(self, x):
        return self.graph.propagate(x)


def brain(path):
    """What plays from the file ``path``: a layered network as it is, a graph network one step
    per frame, a NEAT run its best genome. GoneFormatError for anything else."""
    from ..neat.population import NeatPopulation
    from ..nn.network import Network

    held = load(path)
    if isinstance(held, NeatPopulation):
        held = held.best_graph()
    if isinstance(held, GraphNetwork):
        return _GraphBrain(held)
    if not isinstance(held, Network):
        raise GoneFormatError(f"{path}: holds a {type(held).__name__}, not a network to play "
                              "(save a champion with gone evolve ... --save FILE)")
    return held


def cmd_play(args) -> int:
    net = brain(args.model) if args.model else None
    with sigterm_raises():  # SIGTERM closes the window and exits 143, like every command
        print(TASKS[args.game]().play(net, seed=args.seed, fps=args.fps, frames=args.frames))
    return ExitCode.OK
