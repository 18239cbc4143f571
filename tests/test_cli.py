"""The gone command line, run as a user would: real processes and real pipes."""

import json
import os
import select
import subprocess
import sys

import numpy as np
import pytest

import gone
from gone.cli import main

GONE = [sys.executable, "-m", "gone"]


def run(*args, stdin=None, timeout=60):
    return subprocess.run([*GONE, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def xor_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "xor.gone"
    result = run("train", "xor", "--save", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"gone {gone.__version__}"


@pytest.mark.parametrize("args", [[], ["info"], ["predict"], ["train"], ["train", "xor"]])
def test_help_on_every_subcommand(args):
    result = run(*args, "--help")
    assert result.returncode == 0 and "usage: gone" in result.stdout


def test_train_xor_prints_truth_table_and_saves(xor_file):
    result = run("train", "xor", "--epochs", "3000")
    lines = [l for l in result.stdout.splitlines() if " xor " in l]
    assert len(lines) == 4
    for line in lines:  # "  0 xor 1 = 0.978   (target 1)"
        value, target = float(line.split("=")[1].split()[0]), float(line.split("target")[1].strip(" )"))
        assert abs(value - target) < 0.1
    net = gone.load(xor_file)
    x, y = gone.datasets.xor()
    assert np.max(np.abs(net.predict(x) - y)) < 0.1


def test_train_xor_with_adam():
    result = run("train", "xor", "--optimizer", "adam", "--epochs", "500")
    assert result.returncode == 0 and "(adam)" in result.stdout


def test_info_text_and_json(xor_file):
    text = run("info", str(xor_file)).stdout
    assert "2 inputs -> 4 sigmoid -> 1 sigmoid" in text and "parameters:    17" in text
    assert "Go library can load it: yes" in text and "XOR" in text
    info = json.loads(run("info", str(xor_file), "--json").stdout)
    assert info["sizes"] == [2, 4, 1] and info["n_params"] == 17 and info["loss"] == "mse"
    assert info["go_compatible"] is True and info["optimizer"]["name"] == "sgd"
    assert info["format_version"] == 1


def test_predict_pipes_rows_and_outputs_exact_values(xor_file):
    result = run("predict", str(xor_file), stdin="0 0\n0,1\n\n# comment\n 1 , 0 \n1\t1\n")
    assert result.returncode == 0, result.stderr
    got = np.array([[float(v) for v in line.split()] for line in result.stdout.splitlines()])
    expected = gone.load(xor_file).predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float))
    assert np.array_equal(got, expected)  # shortest repr round-trips exactly


def test_predict_csv_and_precision(xor_file):
    net = gone.Network([2, gone.Dense(3, "sigmoid"), 2], seed=0)
    path = xor_file.parent / "two.gone"
    net.save(path)
    out = run("predict", str(path), "--csv", "--precision", "3", stdin="1 2\n").stdout.strip()
    expected = net.predict([1.0, 2.0])
    assert out == ",".join(f"{v:.3g}" for v in expected)


@pytest.mark.parametrize("stdin, message", [
    ("0 0\n1 x\n", "line 2, column 2: 'x' is not a number"),
    ("0 0\nnan 1\n", "line 2, column 1: 'nan' is not a finite number"),
    ("0 0\n1,-inf\n", "line 2, column 2: '-inf' is not a finite number"),
    ("0 0\n\n1 1 1\n", "line 3: expected 2 numbers, got 3"),
])
def test_predict_malformed_row_is_one_line_and_exit_2(xor_file, stdin, message):
    result = run("predict", str(xor_file), stdin=stdin)
    assert result.returncode == 2
    assert result.stderr == f"gone: error: {message}\n"
    assert len(result.stdout.splitlines()) == 1  # the good line before it was answered


def test_predict_answers_each_line_as_it_arrives(xor_file):
    """A program can write a line and wait for the answer (no buffering deadlock)."""
    proc = subprocess.Popen([*GONE, "predict", str(xor_file)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        for row in ("0 1", "1 1"):
            proc.stdin.write(row + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, "no answer while stdin is still open"
            float(proc.stdout.readline())
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0


def test_predict_into_a_closed_pipe_has_no_traceback(xor_file, tmp_path):
    rows = tmp_path / "rows.txt"
    rows.write_text("0 1\n" * 200000)
    result = subprocess.run(f"{sys.executable} -m gone predict {xor_file} < {rows} | head -n 1",
                            shell=True, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["info", "/no/such/file.gone"], "cannot read /no/such/file.gone"),
    (["predict", "/no/such/file.gone"], "cannot read"),
])
def test_bad_files_are_one_line_errors(args, message):
    result = run(*args, stdin="")
    assert result.returncode == 2 and result.stderr.startswith("gone: error: ")
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_corrupt_file_is_one_line_error(tmp_path):
    path = tmp_path / "junk.gone"
    path.write_bytes(os.urandom(64))
    result = run("info", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"gone: error: {path}")


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "xor", "--epochs", "0"])
    assert exc.value.code == 2 and "must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["bogus"], ["train", "xor", "--epochs", "x"],
                                  ["evolve", "xor", "--population", "0"],
                                  ["evolve", "xor", "--strategy", "cma"]])
def test_usage_errors_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("gone") and ": error: " in err and "--help" in err


def test_main_returns_exit_code_in_process(xor_file, capsys):
    assert main(["info", str(xor_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sizes"] == [2, 4, 1]


def test_info_describes_image_layers(tmp_path, capsys):
    net = gone.Network([(1, 8, 8), gone.Conv2D(4, 3, padding="same", activation="relu"),
                        gone.MaxPool2D(2), gone.Flatten(), gone.Dense(10, "softmax")],
                       loss="cross_entropy", seed=0)
    net.save(tmp_path / "cnn.gone")
    assert main(["info", str(tmp_path / "cnn.gone")]) == 0
    text = capsys.readouterr().out
    assert "1x8x8 inputs -> conv2d filters=4" in text and "(4x8x8)" in text
    assert "maxpool2d pool=2" in text and "flatten (64)" in text and "Go library can load it: no" in text


def test_info_and_load_of_a_graph_file(tmp_path, capsys):
    graph = gone.GraphNetwork.from_config({
        "inputs": ["a"], "outputs": ["q"],
        "neurons": {"q": {"bias": 0.5, "activation": "relu", "synapses": {"a": 1, "q": 0.5}}}})
    gone.save_graph(graph, tmp_path / "g.gone")
    assert main(["info", str(tmp_path / "g.gone"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kind"] == "graph" and d["inputs"] == ["a"] and d["recurrent_synapses"] == [["q", "q"]]
    back = gone.load(tmp_path / "g.gone")              # gone.load dispatches on the file
    assert isinstance(back, gone.GraphNetwork) and back.to_config() == graph.to_config()
    with pytest.raises(gone.GoneFormatError, match="load_graph, or run it with gone propagate"):
        gone.format.network.load(tmp_path / "g.gone")  # the network reader points the way
    assert main(["predict", str(tmp_path / "g.gone")]) == 2     # and so does gone predict
    assert "gone propagate" in capsys.readouterr().err
