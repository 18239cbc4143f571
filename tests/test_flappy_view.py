"""Flappy Bird on screen (gone_games/flappy/view.py, watch.py): pixels of hand-made frames,
the play loops driven by scripted events, and a watched evolution that must
equal a headless one. Everything runs under SDL's dummy video driver."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

# games/ installs beside gone; from a checkout whose install predates it, use the repo root.
if importlib.util.find_spec("gone_games") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gone_games.flappy import rules as R  # noqa: E402
from gone_games.flappy.evolve import default_brain, make_population  # noqa: E402
from gone_games.flappy.fitness import FlappyFitness  # noqa: E402
from gone_games.flappy.sim import Game, Snapshot  # noqa: E402

import gone  # noqa: E402


@pytest.fixture
def pygame(monkeypatch):
    """pygame with SDL's dummy drivers: windows and fonts work without a screen."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    pg = pytest.importorskip("pygame", reason="games extra not installed")
    yield pg
    pg.display.quit()


def snapshot(bird_y, pipe_x=(400.0, 700.0, 1000.0), pipe_top=(200.0, 300.0, 250.0), alive=None):
    n = len(bird_y)
    alive = np.ones(n, dtype=bool) if alive is None else np.asarray(alive)
    return Snapshot(frame=0, bird_y=np.asarray(bird_y, dtype=float), bird_v=np.zeros(n),
                    alive=alive, score=np.zeros(n, dtype=int), frames=np.zeros(n, dtype=int),
                    pipe_x=np.asarray(pipe_x), pipe_top=np.asarray(pipe_top), next_pipe=0)


class Script:
    """A ``get_events`` source: call i returns the events listed under i (none otherwise)."""

    def __init__(self, script=None):
        self.script, self.calls = script or {}, 0

    def __call__(self):
        events = self.script.get(self.calls, [])
        self.calls += 1
        return events


def key(pg, k):
    return pg.event.Event(pg.KEYDOWN, key=k)


# --- pixels ------------------------------------------------------------------------------
def test_one_bird_pipes_ground_and_sky_have_their_colours(pygame):
    from gone_games.flappy import view

    image = view.render_rgb(snapshot([300.0]))
    assert image.shape == (R.HEIGHT, R.WIDTH, 3) and image.dtype == np.uint8
    px = lambda x, y: tuple(int(c) for c in image[y, x])   # noqa: E731
    assert px(75, 315) == view.BIRD                        # the bird's centre: opaque
    assert px(435, 100) == view.PIPE                       # inside the top pipe (x 400-470, y 0-200)
    # the 3 px border around it, as the original draws it (and collides with it)
    assert px(398, 100) == view.PIPE_BORDER == px(471, 100) == px(435, 201)
    assert px(401, 100) == view.PIPE == px(468, 100) == px(435, 198)
    assert px(435, 500) == view.PIPE                       # bottom pipe: from 200 + 120 to 800
    assert px(435, 318) == view.PIPE_BORDER and px(435, 321) == view.PIPE
    assert px(435, 260) == view.SKY == px(300, 500) == px(75, 250)   # the gap, open sky
    assert px(400, 850) == view.GROUND == px(5, 895)       # the bottom 100 px
    assert px(705, 100) == view.PIPE and px(775, 100) == view.SKY    # the 2nd pipe: x 697-773


def test_a_flock_is_semi_transparent_and_dead_birds_vanish(pygame):
    from gone_games.flappy import view

    image = view.render_rgb(snapshot([300.0, 500.0, 600.0], alive=[True, True, False]))
    for y in (315, 515):
        pixel = tuple(int(c) for c in image[y, 75])
        assert pixel not in (view.BIRD, view.SKY)
        # between sky and bird, channel by channel
        for c, sky, bird in zip(pixel, view.SKY, view.BIRD):
            assert min(sky, bird) <= c <= max(sky, bird)
    assert tuple(image[615, 75]) == view.SKY                # the dead bird is not drawn


def test_hud_text_is_drawn_on_the_ground(pygame):
    from gone_games.flappy import view

    plain = view.render_rgb(snapshot([300.0]))
    hud = view.render_rgb(snapshot([300.0]), {"generation": 3, "score": 1, "help": "Esc: stop"})
    changed = np.argwhere((plain != hud).any(axis=2))
    assert len(changed) > 100 and changed[:, 0].min() >= R.GROUND_Y    # rows of the ground only


def test_a_missing_pygame_names_the_extra(monkeypatch):
    from gone_games.flappy import view

    monkeypatch.setitem(sys.modules, "pygame", None)
    with pytest.raises(gone.DependencyMissing, match=r"gone-nn\[games\]"):
        view.render_rgb(snapshot([300.0]))


# --- play loops --------------------------------------------------------------------------
def test_play_human_follows_the_game_rules_and_restarts(pygame):
    from gone_games.flappy.watch import play_human

    space = key(pygame, pygame.K_SPACE)
    flaps = {i: [space] for i in range(0, 120, 38)}    # about level flight
    games = play_human(seed=3, fps=0, max_frames=120, get_events=Script(flaps))
    ref = Game(3)
    for i in range(120):
        ref.step(i % 38 == 0)
    assert len(games) == 1 and games[0].alive and games[0].frame == 120
    assert games[0].bird.y == ref.bird.y and games[0].pipes.x == ref.pipes.x

    # one flap starts the game; without more the bird falls, then R starts another
    games = play_human(seed=3, fps=0, max_frames=100,
                       get_events=Script({5: [space], 90: [key(pygame, pygame.K_r)]}))
    assert len(games) == 2 and not games[0].alive and games[0].frame < 85   # < 120 above
    assert games[1].frame == 0                                 # waiting for its first flap


def test_play_model_plays_like_the_simulator_and_quits_on_escape(pygame):
    from gone_games.flappy.watch import play_model

    net = default_brain(1)
    games = play_model(net, seed=2, fps=0, max_frames=80)
    ref = Game(2)
    while ref.alive and ref.frame < games[0].frame:
        ref.step(bool(R.flaps(net.predict(ref.observe()))))
    assert games[0].frame == ref.frame and games[0].bird.y == ref.bird.y
    assert sum(g.frame for g in games) >= 80 - len(games) * (1 + 45)   # every frame drawn

    games = play_model(net, fps=0, get_events=Script({3: [key(pygame, pygame.K_ESCAPE)]}))
    assert games[0].frame == 3


# --- watching evolution -------------------------------------------------------------------
def fitness_per_generation():
    values = []
    return values, lambda pop, stats: values.append(pop.fitness.copy())


def test_watched_evolution_equals_headless_and_saves_the_champion(pygame, tmp_path):
    from gone_games.flappy.watch import watch_evolution

    headless, record = fitness_per_generation()
    make_population(population=12, seed=5).run(
        FlappyFitness(max_score=2, max_frames=300), 2, callbacks=[record])

    pop = make_population(population=12, seed=5)
    sent, polls = [], []

    def events():   # generation 0 drawn frame by frame; at generation 1's first frame: S and C
        polls.append(pop.generation)
        if pop.generation == 1 and not sent:
            sent.append(True)
            return [key(pygame, pygame.K_s), key(pygame, pygame.K_c)]
        return []

    path = tmp_path / "champ.gone"
    fitness = FlappyFitness(max_score=2, max_frames=300)
    watched, record = fitness_per_generation()
    result = watch_evolution(pop, fitness, generations=2, save_path=path, callbacks=[record],
                             fps=0, get_events=events)
    assert result.stop_reason == "generations" and result.generations == 2 and sent
    # generation 0: one poll per drawn frame (a fall from the start takes 45); then skipping
    assert polls.count(0) >= 45 and polls.count(1) < polls.count(0)
    for a, b in zip(headless, watched, strict=True):
        np.testing.assert_array_equal(a, b)
    assert fitness.on_frame is None                         # the hook is removed afterwards
    champion = gone.load(path)
    assert champion.sizes == pop.template.sizes
    np.testing.assert_array_equal(champion.predict(np.ones(5)), pop.best.predict(np.ones(5)))


def test_escape_stops_the_run_after_this_generation(pygame, tmp_path):
    from gone_games.flappy.watch import watch_evolution

    pop = make_population(population=8, seed=1)
    p = key(pygame, pygame.K_p)
    # events are read on drawn frames: frame 1 pause, (paused) resume at 3x, frame 4 one step
    # faster (5x), frame 9 Escape
    script = Script({0: [p], 1: [p, key(pygame, pygame.K_3)], 2: [key(pygame, pygame.K_UP)],
                     3: [key(pygame, pygame.K_ESCAPE)]})
    result = watch_evolution(pop, FlappyFitness(max_score=2), fps=0, get_events=script)
    assert result.stop_reason == "callback" and result.generations == 1
    assert pop.history[0]["best"] == 9                      # ended after frame 9, not played out
    assert script.calls == 4


def test_a_fitness_target_stops_a_watched_run(pygame):
    from gone_games.flappy.watch import watch_evolution

    pop = make_population(population=8, seed=2)
    result = watch_evolution(pop, FlappyFitness(max_frames=60), generations=20, target=60.0,
                             fps=0, get_events=Script({0: [key(pygame, pygame.K_9)]}))
    assert result.stop_reason == "target" and result.best_fitness == 60.0


# --- Gymnasium rendering ------------------------------------------------------------------
def test_env_rgb_array_draws_the_bird_and_passes_the_checker(pygame):
    pytest.importorskip("gymnasium", reason="games extra not installed")
    from gone_games.flappy import view
    from gone_games.flappy.env import FlappyBirdEnv
    from gymnasium.utils.env_checker import check_env

    env = FlappyBirdEnv(render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)
    frame = env.render()
    y = int(round(env.game.bird.y))
    assert frame.shape == (R.HEIGHT, R.WIDTH, 3)
    assert tuple(int(c) for c in frame[y + 15, int(R.BIRD_X) + 15]) == view.BIRD
    env.close()
    # made, so that the checker also tries the other render mode ("human", a dummy window)
    from gone.evolution.gym import make_env

    check_env(make_env("gone/FlappyBird-v0", {"render_mode": "rgb_array"}).unwrapped)


def test_env_human_mode_opens_a_window(pygame):
    pytest.importorskip("gymnasium", reason="games extra not installed")
    from gone_games.flappy.env import FlappyBirdEnv

    env = FlappyBirdEnv(render_mode="human")
    env.reset(seed=0)
    for _ in range(3):
        env.step(0)
    screen = pygame.display.get_surface()
    assert screen.get_size() == (R.WIDTH, R.HEIGHT)
    assert pygame.display.get_caption()[0] == "gone: Flappy Bird"
    env.close()
