"""``propagate`` and ``learn`` run as a user would: real processes, real pipes, real signals."""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from gone.format import graph as graph_io

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "graph"
GONE = [sys.executable, "-c",
        "import sys; from gone.cli import main; sys.exit(main(sys.argv[1:]))"]
FLIP_FLOP = str(EXAMPLES / "flip-flop.json")
GATES = str(EXAMPLES / "gates.json")


def run(*args, stdin="", timeout=60):
    return subprocess.run([*GONE, *map(str, args)], input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def gate_lines(rng, steps):
    x = rng.integers(0, 2, size=(steps, 2))
    a, b = x[:, 0], x[:, 1]
    y = np.stack([a & b, a | b, 1 - (a | b)], axis=1)
    return "".join(f"{i[0]} {i[1]}\n{t[0]} {t[1]} {t[2]}\n" for i, t in zip(x, y))


def test_propagate_flip_flop_keeps_state_between_lines():
    result = run("propagate", FLIP_FLOP, stdin="0 1\n0,0\n\n# a comment\n0 0\n1 0\n0 0\n")
    assert result.returncode == 0, result.stderr
    rows = [[float(v) for v in line.split()] for line in result.stdout.splitlines()]
    assert rows == [[1, 0], [1, 0], [1, 0], [0, 0], [0, 1]]


def test_propagate_answers_each_line_before_the_next_arrives():
    proc = subprocess.Popen([*GONE, "propagate", FLIP_FLOP], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        for line, expected in [("0 1", "1.0 0.0"), ("0 0", "1.0 0.0"), ("1 0", "0.0 0.0")]:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            assert select.select([proc.stdout], [], [], 30)[0], "no answer within 30 s"
            assert proc.stdout.readline().strip() == expected
        proc.stdin.close()
        assert proc.wait(30) == 0
    finally:
        proc.kill()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_propagate_config_from_process_substitution():
    cmd = " ".join(map(_quote, GONE)) + f" propagate <(cat {_quote(FLIP_FLOP)})"
    result = subprocess.run(["bash", "-c", cmd], input="0 1\n0 0\n", capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1.0 0.0\n1.0 0.0\n"


def _quote(text):
    import shlex

    return shlex.quote(text)


@pytest.mark.parametrize("suffix", [".json", ".gone"])
def test_learn_gates_then_propagate_the_saved_config(tmp_path, rng, suffix):
    saved = tmp_path / f"learned{suffix}"
    result = run("learn", GATES, saved, "--learning-rate", "0.05", stdin=gate_lines(rng, 10_000))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 10_000 and lines[0].startswith("and=") and " error=" in lines[0]
    errors = [float(line.rsplit("error=", 1)[1]) for line in lines]
    assert np.mean(errors[-100:]) < np.mean(errors[:100])
    query = run("propagate", saved, stdin="0 0\n0 1\n1 0\n1 1\n")
    assert query.returncode == 0, query.stderr
    out = np.array([[float(v) for v in line.split()] for line in query.stdout.splitlines()])
    expected = [[0, 0, 1], [0, 1, 0], [0, 1, 0], [1, 1, 0]]
    np.testing.assert_array_equal(out > 0.5, np.array(expected) == 1)


def test_sigterm_during_learn_leaves_a_valid_saved_file(tmp_path, rng):
    saved = tmp_path / "saved.json"
    proc = subprocess.Popen([*GONE, "learn", GATES, str(saved)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, proc.kill)  # readline below blocks; never hang the suite
    watchdog.start()
    try:
        proc.stdin.write(gate_lines(rng, 50))
        proc.stdin.flush()
        for _ in range(50):  # all 50 steps learned; stdin stays open
            assert proc.stdout.readline(), "learn stopped answering"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 143
        assert "saved" in proc.stderr.read()
    finally:
        watchdog.cancel()
        proc.kill()
    learned = graph_io.load(saved)
    assert learned.to_config() != graph_io.load(GATES).to_config()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_malformed_line_exits_2_with_line_number_and_saves(tmp_path, rng):
    saved = tmp_path / "saved.gone"
    data = gate_lines(rng, 3) + "1 x\n"  # line 7
    result = run("learn", GATES, saved, stdin=data)
    assert result.returncode == 2
    assert result.stderr == "gone: error: line 7, column 2: 'x' is not a number\n"
    assert len(result.stdout.splitlines()) == 3
    assert graph_io.load(saved).to_config() != graph_io.load(GATES).to_config()


@pytest.mark.parametrize("command, stdin, message", [
    ("propagate", "0 1\n1\n", "gone: error: line 2: expected 2 numbers, got 1\n"),
    ("learn", "0 1\n0 1 1\n1 1\n", "gone: error: line 3: input values without a line of expected "
                                   "outputs after them\n"),
])
def test_malformed_input_reports_the_line(tmp_path, command, stdin, message):
    args = [command, GATES] + ([tmp_path / "s.json"] if command == "learn" else [])
    if command == "propagate":
        args[1] = FLIP_FLOP
    result = run(*args, stdin=stdin)
    assert result.returncode == 2 and result.stderr == message
    assert "Traceback" not in result.stderr


def test_json_gone_json_round_trip_through_learn(tmp_path):
    first = run("learn", GATES, tmp_path / "a.gone")  # empty stdin: saved unchanged
    second = run("learn", tmp_path / "a.gone", tmp_path / "b.json")
    assert first.returncode == second.returncode == 0
    assert json.loads((tmp_path / "b.json").read_text()) == graph_io.load(GATES).to_config()


def test_bad_config_reports_did_you_mean(tmp_path):
    config = json.loads(Path(GATES).read_text())
    config["neurons"]["or"]["synapses"]["bb"] = 1.0
    (tmp_path / "bad.json").write_text(json.dumps(config))
    result = run("propagate", tmp_path / "bad.json", stdin="0 0\n")
    assert result.returncode == 2
    assert result.stderr == (f"gone: error: {tmp_path / 'bad.json'}: neuron 'or': synapses: "
                             "unknown source 'bb'; did you mean 'b'?\n")


def test_learn_refuses_an_unwritable_destination(tmp_path):
    result = run("learn", GATES, tmp_path / "missing" / "s.json", stdin="0 0\n0 0 1\n")
    assert result.returncode == 2 and "cannot write" in result.stderr and not result.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_example_script_trains_and_queries(tmp_path):
    shim = tmp_path / "gone"  # `gone` on PATH, as the script expects
    shim.write_text("#!/bin/sh\nexec " + " ".join(map(_quote, GONE)) + ' "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(EXAMPLES / "run.sh"), "3000"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    gates = lines[lines.index(next(l for l in lines if "learned gates" in l)) + 1:][:4]
    out = np.array([[float(v) for v in line.split()] for line in gates])
    np.testing.assert_array_equal(out > 0.5, [[0, 0, 1], [0, 1, 0], [0, 1, 0], [1, 1, 0]])
    assert lines[-6:] == ["1.0 0.0", "1.0 0.0", "1.0 0.0", "0.0 0.0", "0.0 1.0", "0.0 1.0"]


def test_learn_that_diverges_stops_and_keeps_the_last_finite_graph(tmp_path):
    saved = tmp_path / "s.gone"
    first = run("learn", GATES, saved, "--learning-rate", "1e10", stdin="1 1\n1 1 0\n")
    assert first.returncode == 0  # one enormous but finite step
    result = run("learn", GATES, tmp_path / "d.gone", "--learning-rate", "1e10",
                 stdin="1 1\n1 1 0\n1 1\n1e300 1e300 1e300\n0 0\n0 0 1\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "line 4: learning diverged" in result.stderr
    kept = graph_io.load(tmp_path / "d.gone")  # loads: every weight finite
    assert kept.to_config() == graph_io.load(saved).to_config()  # as after line 2
    assert len(result.stdout.splitlines()) == 1


def test_info_describes_a_json_graph(capsys):
    from gone.cli import main

    assert main(["info", "--json", GATES]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kind"] == "graph" and d["inputs"] == ["a", "b"] and d["neurons"] == 3
