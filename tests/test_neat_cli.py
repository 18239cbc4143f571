"""`gone evolve ... --strategy neat`: XOR, CartPole, flappy, configs, champions, checkpoints."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from neat_configs import XOR

from gone.format import graph as graph_io
from gone.format.neat import load_population

GONE = [sys.executable, "-m", "gone"]


def run(*args, cwd=None, timeout=300):
    return subprocess.run([*GONE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_xor_with_neat_pythons_config_solves_saves_and_info_shows_it(tmp_path):
    (tmp_path / "neat-config.ini").write_text(XOR)
    r = run("evolve", "xor", "--strategy", "neat", "--config", "neat-config.ini", "--seed", "4",
            "--save", "best.gone", "--checkpoint", "run.gone", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(target)" in r.stdout and "mean time per generation: evaluate" in r.stdout
    graph = graph_io.load(tmp_path / "best.gone")
    out = graph.propagate(np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]]))[:, 0]
    assert np.all(np.round(out) == [0, 1, 1, 0])
    info = run("info", "best.gone", "--json", cwd=tmp_path)
    d = json.loads(info.stdout)
    assert d["neat_champion"]["nodes"] == graph.n_neurons
    assert d["neat_champion"]["connections"] == graph.n_params - graph.n_neurons
    assert d["neat_champion"]["species"]
    info = run("info", "run.gone", cwd=tmp_path)
    assert "neat run:" in info.stdout and "solved True" in info.stdout


def test_unknown_config_key_is_one_line_with_the_line_number(tmp_path):
    (tmp_path / "bad.ini").write_text(XOR.replace("node_add_prob ", "node_ad_prob "))
    r = run("evolve", "xor", "--strategy", "neat", "--config", "bad.ini", cwd=tmp_path)
    assert r.returncode == 2
    assert "bad.ini: line" in r.stderr and "node_ad_prob" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_ga_flags_are_refused_with_neat(tmp_path):
    r = run("evolve", "xor", "--strategy", "neat", "--mutation-rate", "0.3", cwd=tmp_path)
    assert r.returncode == 2 and "--config" in r.stderr


def test_sigkill_then_resume_gives_the_same_run(tmp_path):
    """Killed mid-run, resumed from its checkpoint: the same generations as a run never stopped."""
    args = ["evolve", "xor", "--strategy", "neat", "--population", "60", "--target", "none",
            "--generations", "40", "--seed", "2", "--checkpoint-every", "1", "--quiet"]
    full = run(*args, "--checkpoint", "full.gone", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    proc = subprocess.Popen([*GONE, *args, "--checkpoint", "k.gone"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "k.gone").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_population(tmp_path / "k.gone").generation
    r = run("evolve", "--resume", "k.gone", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a, b = load_population(tmp_path / "full.gone"), load_population(tmp_path / "k.gone")
    assert killed_at <= b.generation == a.generation
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    for k in a.genomes:
        assert np.array_equal(a.genomes[k].weight, b.genomes[k].weight)


def test_cartpole_with_neat_is_solved_on_unseen_episodes(tmp_path):
    pytest.importorskip("gymnasium", reason="gymnasium (the games extra) is not installed")
    r = run("evolve", "CartPole-v1", "--strategy", "neat", "--quiet", "--save", "cp.gone",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if "unseen episodes" in l)
    assert "solved: yes" in line
    assert float(line.split("mean return ")[1].split()[0]) >= 475


def test_flappy_with_neat_reaches_a_small_target_and_its_champion_plays(tmp_path):
    r = run("evolve", "flappy", "--strategy", "neat", "--target", "5", "--generations", "300",
            "--save", "f.gone", "--checkpoint", "run.gone", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    found = re.search(r"champion: (\d+)\+ pipes in (\d+)/10 unseen games", r.stdout)
    assert found, r.stdout
    assert int(found[1]) == 5 and int(found[2]) >= 9    # judged on games it was not selected on
    pytest.importorskip("pygame", reason="the games extra (pygame) is not installed")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    for model in ("f.gone", "run.gone"):     # the saved graph; the run (its best genome)
        r = subprocess.run([*GONE, "play", "flappy", "--model", model, "--fps", "1000",
                            "--frames", "600"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        # 600 frames pass the first pipe (at frame ~333) for a champion that survives
        scores = re.search(r"pipes passed: ([\d, ]+)", r.stdout)[1].split(",")
        assert max(int(x) for x in scores) >= 1, r.stdout


def test_watch_is_refused_with_neat_and_points_to_gone_play(tmp_path):
    r = run("evolve", "flappy", "--strategy", "neat", "--watch", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "gone play flappy --model" in r.stderr


# --- resuming with flags: the same rules as GA/ES runs (gone.cli.resume) -------------------

def neat_checkpoint_of_5(tmp_path):
    r = run("evolve", "xor", "--strategy", "neat", "--population", "40", "--generations", "5",
            "--target", "none", "--seed", "3", "--checkpoint", "c.gone", "--save", "old.gone",
            "--history", "old.csv", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("old.gone", "old.csv"):
        (tmp_path / name).unlink()


def test_neat_resume_writes_only_the_outputs_given(tmp_path):
    neat_checkpoint_of_5(tmp_path)
    # a file that names output paths (as older versions saved them) makes no resume write there
    pop = load_population(tmp_path / "c.gone")
    settings = json.loads(pop.settings["gone evolve"])
    assert not {"save", "history", "checkpoint", "plot", "draw"} & settings.keys()
    settings.update(save=str(tmp_path / "planted.gone"), history=str(tmp_path / "planted.csv"))
    pop.settings["gone evolve"] = json.dumps(settings)
    pop.save(tmp_path / "c.gone")
    r = run("evolve", "--resume", "c.gone", "--generations", "8", "--save", "best.gone",
            "--history", "h.csv", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert load_population(tmp_path / "c.gone").generation == 8
    assert graph_io.load(tmp_path / "best.gone").n_inputs == 2
    assert (tmp_path / "h.csv").read_text().count("\n") == 8 + 1     # header + 8 generations
    for name in ("old.gone", "old.csv", "planted.gone", "planted.csv"):
        assert not (tmp_path / name).exists(), name


def test_neat_resume_to_another_checkpoint_leaves_the_file_it_read(tmp_path):
    neat_checkpoint_of_5(tmp_path)
    before = (tmp_path / "c.gone").read_bytes()
    r = run("evolve", "--resume", "c.gone", "--generations", "7", "--checkpoint", "d.gone",
            "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c.gone").read_bytes() == before
    assert load_population(tmp_path / "d.gone").generation == 7


def test_neat_resume_refuses_flags_that_change_the_run_and_names_them(tmp_path):
    neat_checkpoint_of_5(tmp_path)
    before = (tmp_path / "c.gone").read_bytes()
    r = run("evolve", "--resume", "c.gone", "--seed", "4", "--population", "50",
            "--generations", "7", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "--seed (file: 3, given: 4)" in r.stderr and "--population (file: 40" in r.stderr
    r = run("evolve", "--resume", "c.gone", "--mutation-rate", "0.3", cwd=tmp_path)
    assert r.returncode == 2 and "GA/ES setting" in r.stderr
    assert (tmp_path / "c.gone").read_bytes() == before
    same = run("evolve", "xor", "--resume", "c.gone", "--strategy", "neat", "--seed", "3",
               "--population", "40", "--generations", "6", "--quiet", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert load_population(tmp_path / "c.gone").generation == 6


def test_neat_resume_imports_no_module_the_file_names(tmp_path):
    neat_checkpoint_of_5(tmp_path)
    pop = load_population(tmp_path / "c.gone")
    settings = json.loads(pop.settings["gone evolve"])
    settings["task"] = "this:Foo-v0"
    pop.settings["gone evolve"] = json.dumps(settings)
    pop.save(tmp_path / "bad.gone")
    r = run("evolve", "--resume", "bad.gone", "--generations", "6", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "imports the Python module 'this'" in r.stderr
    assert "Beautiful is better" not in r.stdout + r.stderr  # `import this` never ran


def test_neat_resume_honours_a_new_xor_target(tmp_path):
    neat_checkpoint_of_5(tmp_path)          # run with --target none: no threshold
    r = run("evolve", "--resume", "c.gone", "--generations", "300", "--target", "3.5",
            "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pop = load_population(tmp_path / "c.gone")
    assert pop.solved and pop.best_fitness >= 3.5 and pop.generation < 299


def test_address_without_ray_backend_is_refused_with_neat(tmp_path):
    r = run("evolve", "CartPole-v1", "--strategy", "neat", "--address", "127.0.0.1:1",
            "--quiet", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--address is the Ray cluster to join" in r.stderr


def test_gym_run_without_a_target_is_judged_on_the_envs_threshold(tmp_path):
    pytest.importorskip("gymnasium", reason="gymnasium (the games extra) is not installed")
    r = run("evolve", "CartPole-v1", "--strategy", "neat", "--target", "none", "--generations",
            "1", "--population", "10", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if "unseen episodes" in l)
    assert "threshold 475)" in line and "target" not in line     # not 'target inf'


def test_a_threshold_that_makes_every_genome_a_species_is_one_line_not_a_runaway(tmp_path):
    # it once doubled the population every generation, until the machine ran out of memory
    (tmp_path / "tiny.ini").write_text(re.sub(r"^compatibility_threshold\s*=.*$",
                                              "compatibility_threshold = 0.01", XOR, flags=re.M))
    r = run("evolve", "xor", "--strategy", "neat", "--config", "tiny.ini", "--generations", "3",
            cwd=tmp_path, timeout=60)      # (3: a regression grows to 1,200 genomes, not 2**300)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "150 species need at least 2 genomes each" in r.stderr and "pop_size" in r.stderr
