"""Flappy Bird in a window: watch evolution live, watch a champion, or play yourself.

    from gone_games.flappy.watch import watch_evolution, play_model, play_human
    result = watch_evolution(make_population(seed=0), FlappyFitness(),
                             target=rules.fitness_target(100))   # a 100-pipe champion
    play_model(gone.load("champion.gone"))     # the champion plays; restarts on death
    play_human()                               # Space or a click flaps

Controls while watching evolution (:func:`watch_evolution`):

- ``1``-``9``: speed 1x, 2x, 3x, 5x, 8x, 12x, 20x, 30x, 50x (frames simulated per
  drawn frame); ``+``/``-`` or Up/Down: one speed step faster/slower;
- ``S``: skip drawing (simulate at full speed, show a status line about once a second);
- ``P`` or Space: pause / resume;
- ``C``: save the champion so far to ``save_path`` (default ``champion.gone``);
- Escape or closing the window: end this generation now and stop the run
  (``stop_reason == "callback"``).

:func:`play_model` and :func:`play_human` quit on Escape or window close;
in :func:`play_human` Space or a mouse click flaps (the first one starts a
game) and R, or Space after a crash, starts the next game.

Watching never changes a run: the drawing is an ``on_frame`` hook of
:class:`~gone_games.flappy.sim.FlappyFitness` that only reads the :class:`FlockSim`,
so a watched run's fitness equals a headless run's with the same seed. Every
loop reads its events from ``get_events`` (default ``pygame.event.get``) and
takes ``max_frames``, so tests drive them headless (``SDL_VIDEODRIVER=dummy``).
"""

from __future__ import annotations

import itertools
import time

import gone

from . import rules as R
from . import view
from .fitness import FlappyFitness
from .sim import Game, check_brains

TITLE = "gone: Flappy Bird"
SPEEDS = (1, 2, 3, 5, 8, 12, 20, 30, 50)
HELP = "1-9 +/-: speed   S: skip drawing   P/Space: pause   C: save champion   Esc: stop"
STATUS_SECONDS = 1.0     # skip mode: status line period
POLL_SECONDS = 0.1       # skip mode: event polling period
MESSAGE_SECONDS = 3.0    # how long a HUD message stays
RESTART_FRAMES = 45      # play_model: frames showing a crash before the next game


class Window:
    """The 800x900 pygame window: events in, frames out at most ``fps`` a second (0: no limit)."""

    def __init__(self, fps: float = 60, get_events=None, title: str = TITLE):
        self.pygame = pg = view._pygame()
        pg.display.init()
        pg.font.init()
        self.screen = pg.display.set_mode((R.WIDTH, R.HEIGHT))
        pg.display.set_caption(title)
        self.clock, self.fps = pg.time.Clock(), fps
        self.get_events = get_events or pg.event.get

    def events(self) -> tuple[bool, list[int], bool]:
        """``(quit, keys, clicked)``: quit on window close or Escape; the other keys pressed."""
        pg, quit_, keys, clicked = self.pygame, False, [], False
        for event in self.get_events():
            if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                quit_ = True
            elif event.type == pg.KEYDOWN:
                keys.append(event.key)
            elif event.type == pg.MOUSEBUTTONDOWN:
                clicked = True
        return quit_, keys, clicked

    def show(self, state, hud: dict | None = None) -> None:
        """Draw a Snapshot with its HUD, flip, and wait for the next frame."""
        view.draw(self.screen, state, hud)
        self.pygame.display.flip()
        self.clock.tick(self.fps)

    def status(self, hud: dict) -> None:
        """Only the HUD, on a blank ground-coloured screen (skip mode), shown at once."""
        self.screen.fill(view.GROUND)
        view.draw_hud(self.pygame, self.screen, hud)
        self.pygame.display.flip()

    def close(self) -> None:
        self.pygame.display.quit()


class EvolutionViewer(gone.EvolutionCallback):
    """Draws each generation through FlappyFitness's ``on_frame`` hook and reads the controls.

    As a callback, ``on_generation`` stops the run once Escape was pressed.
    """

    def __init__(self, pop, window: Window, save_path=None):
        self.pop, self.window = pop, window
        self.save_path = save_path or "champion.gone"
        pg = window.pygame
        self.digits = {getattr(pg, f"K_{d}"): d for d in range(1, 10)}
        self.digits.update({getattr(pg, f"K_KP{d}"): d for d in range(1, 10)})
        self.faster = {pg.K_PLUS, pg.K_EQUALS, pg.K_KP_PLUS, pg.K_UP}
        self.slower = {pg.K_MINUS, pg.K_KP_MINUS, pg.K_DOWN}
        self.speed_step, self.skip, self.paused, self.stop = 0, False, False, False
        self.best_score, self.message, self.message_until = 0, "", 0.0
        self._sim, self._frames, self._polled, self._status_at = None, 0, 0.0, 0.0

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_step]

    def on_generation(self, pop, stats) -> bool:
        return self.stop

    # --- the per-frame hook ------------------------------------------------------------
    def on_frame(self, sim) -> bool:
        """Called by play_generation after every frame; True ends the generation (Escape)."""
        new = sim is not self._sim
        self._sim, self.best_score = sim, max(self.best_score, sim.passed)
        if self.skip:
            now = time.perf_counter()
            if new or now - self._polled >= POLL_SECONDS:
                self._polled = now
                self.poll()
            if new or now - self._status_at >= STATUS_SECONDS:
                self._status_at = now
                self.render(sim)
        else:
            self._frames += 1
            if new or self._frames >= self.speed:
                self._frames = 0
                self.poll()
                self.render(sim)
        while self.paused and not self.stop:
            self.render(sim)
            self.window.clock.tick(30)
            self.poll()
        return self.stop

    def render(self, sim) -> None:
        hud = self.hud(sim)
        if self.skip:
            self.window.status({**hud, "message": hud["message"] or "drawing skipped: S to resume"})
        else:
            self.window.show(sim.snapshot(), hud)

    def hud(self, sim) -> dict:
        if time.perf_counter() > self.message_until:
            self.message = ""
        speed = f"{self.speed}x" + (" (paused)" if self.paused else "")
        return {"generation": self.pop.generation, "birds alive": f"{sim.n_alive}/{sim.n_birds}",
                "best score": self.best_score, "score": sim.passed, "speed": speed,
                "message": self.message, "help": HELP}

    # --- controls ------------------------------------------------------------------------
    def poll(self) -> None:
        pg = self.window.pygame
        quit_, keys, _ = self.window.events()
        if quit_:
            self.stop = True
            self.say("stopping after this generation")
        for key in keys:
            if key in self.digits:
                self.speed_step = self.digits[key] - 1
            elif key in self.faster:
                self.speed_step = min(self.speed_step + 1, len(SPEEDS) - 1)
            elif key in self.slower:
                self.speed_step = max(self.speed_step - 1, 0)
            elif key == pg.K_s:
                self.skip = not self.skip
            elif key in (pg.K_p, pg.K_SPACE):
                self.paused = not self.paused
            elif key == pg.K_c:
                self.save_champion()

    def say(self, message: str) -> None:
        self.message, self.message_until = message, time.perf_counter() + MESSAGE_SECONDS

    def save_champion(self) -> None:
        """``pop.best.save(save_path)``, with a HUD message either way."""
        if not len(self.pop.hall_of_fame):
            self.say("no champion yet: the first generation is still playing")
            return
        best = self.pop.best
        best.save(self.save_path)
        self.say(f"saved the champion (fitness {best.metadata['fitness']:.0f}) to {self.save_path}")


def watch_evolution(pop, fitness: FlappyFitness | None = None, generations: int | None = None,
                    target: float | None = None, save_path=None, callbacks=(), *, fps: float = 60,
                    get_events=None, **run_kwargs):
    """``pop.run(fitness, ...)`` while every generation plays in a window (see the controls above).

    Args:
        pop: a Flappy Bird population (``evolve.make_population``).
        fitness: the FlappyFitness to play (default ``FlappyFitness()``); its
            ``on_frame`` is set to the window's hook during the run, then restored.
        generations: stop after this many generations.
        target: ``pop.run``'s fitness target; for "a champion passes k pipes"
            pass ``rules.fitness_target(k)``.
        save_path: where C saves the champion (default ``champion.gone``).
        callbacks, **run_kwargs: passed to ``pop.run`` (progress, checkpoint, max_time, ...).
        fps: drawn frames per second at most (0: as fast as possible).
        get_events: a callable returning the pending pygame events (default
            ``pygame.event.get``).

    With no stop condition at all, the run lasts until Escape or the window closes.
    Returns the ``EvolutionResult``.
    """
    fitness = FlappyFitness() if fitness is None else fitness
    if not hasattr(fitness, "on_frame"):
        raise gone.ConfigError(f"watch_evolution needs a FlappyFitness (with an on_frame hook), "
                               f"got {fitness!r}")
    check_brains(pop.template.n_inputs, pop.template.n_outputs)
    if (generations is None and target is None
            and all(run_kwargs.get(k) is None for k in ("max_time", "stagnation"))):
        target = float("inf")   # no stop condition: until the window closes
    window = Window(fps, get_events)
    viewer = EvolutionViewer(pop, window, save_path)
    previous, fitness.on_frame = fitness.on_frame, viewer.on_frame
    run_kwargs.setdefault("vectorized", True)
    try:
        return pop.run(fitness, generations, target=target,
                       callbacks=[*callbacks, viewer], **run_kwargs)
    finally:
        fitness.on_frame = previous
        window.close()


def play_model(net, seed: int = 0, fps: float = 60, *, max_frames: int | None = None,
               get_events=None) -> list[Game]:
    """``net`` plays one bird, game after game (seeds ``seed, seed+1, ...``).

    Quits on Escape or window close, or after ``max_frames`` drawn frames.
    Returns the games played (the last one possibly unfinished).
    """
    check_brains(net.n_inputs, net.n_outputs)
    window, games, crashed = Window(fps, get_events), [Game(seed)], 0
    try:
        for frame in itertools.count():
            quit_, _, _ = window.events()
            if quit_ or (max_frames is not None and frame >= max_frames):
                break
            game = games[-1]
            if game.alive:
                game.step(bool(R.flaps(net.predict(game.observe()))))
            else:
                crashed += 1
                if crashed > RESTART_FRAMES:
                    crashed, game = 0, Game(seed + len(games))
                    games.append(game)
            window.show(game.snapshot(), {
                "game": len(games), "score": game.bird.score,
                "best score": max(g.bird.score for g in games),
                "message": "" if game.alive else f"crashed after {game.bird.score} pipes",
                "help": "Esc: quit"})
    finally:
        window.close()
    return games


def play_human(seed: int = 0, fps: float = 60, *, max_frames: int | None = None,
               get_events=None) -> list[Game]:
    """Play with Space or the mouse; the first flap starts a game, R (or Space after a crash) restarts.

    Quits on Escape or window close, or after ``max_frames`` drawn frames.
    Returns the games played (the last one possibly unfinished).
    """
    window, games, started = Window(fps, get_events), [Game(seed)], False
    pg = window.pygame
    try:
        for frame in itertools.count():
            quit_, keys, clicked = window.events()
            if quit_ or (max_frames is not None and frame >= max_frames):
                break
            game, flap = games[-1], clicked or pg.K_SPACE in keys
            if pg.K_r in keys or (flap and not game.alive):
                game, started = Game(seed + len(games)), False
                games.append(game)
            elif game.alive and (started or flap):
                started = True
                game.step(flap)
            message = ("Space or click to start" if not started else
                       "" if game.alive else "game over: R or Space to play again")
            window.show(game.snapshot(), {
                "score": game.bird.score, "best score": max(g.bird.score for g in games),
                "message": message, "help": "Space/click: flap   R: restart   Esc: quit"})
    finally:
        window.close()
    return games
