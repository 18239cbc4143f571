"""The examples run, and the README's commands are the ones CI runs."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import gone

ROOT = Path(__file__).resolve().parent.parent


def run_example(name, *args, cwd):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_xor_example_saves_a_working_model(tmp_path):
    run_example("xor.py", "out.gone", cwd=tmp_path)
    net = gone.load(tmp_path / "out.gone")
    x, y = gone.datasets.xor()
    assert np.max(np.abs(net.predict(x) - y)) < 0.1 and gone.format.network.go_compatible(net)


def test_perceptron_example_finds_the_line(tmp_path):
    out = run_example("perceptron.py", cwd=tmp_path)
    test_acc = float(re.search(r"test accuracy ([\d.]+)", out).group(1))
    slope, intercept = map(float, re.search(r"learned line: y = ([-\d.]+) x \+ ([-\d.]+)", out).groups())
    assert test_acc >= 0.95 and abs(slope - 0.7) < 0.15 and abs(intercept - 0.1) < 0.1


def test_streaming_example_loss_falls(tmp_path):
    out = run_example("streaming.py", cwd=tmp_path)
    losses = [float(v) for v in re.findall(r"last 5000 samples ([\d.]+)", out)]
    assert len(losses) == 4 and losses[-1] < losses[0] / 2


def readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1).strip().splitlines()
    return block


def test_readme_opens_with_the_two_setup_commands():
    main_cmd, test_cmd = readme_commands()[:2]
    assert "pip install" in main_cmd and main_cmd.endswith("gone evolve flappy")
    assert '".[dev]"' in test_cmd and test_cmd.endswith("pytest")
    # .ci/run executes exactly these lines (it extracts the README's first block)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci and "exit 5" not in ci and '"$rc" -eq 5' in ci


def test_pyproject_core_dependencies_are_numpy_and_protobuf():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~ ]", d)[0] for d in meta["dependencies"]}
    assert names == {"numpy", "protobuf"}
    extras = meta["optional-dependencies"]
    assert {"games", "datasets", "plot", "ray", "web", "dev", "all"} <= set(extras)
    assert meta["scripts"]["gone"] == "gone.cli:main"


def test_readme_python_tour_runs(tmp_path, monkeypatch):
    """Every ```python block of the README runs as written."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    spaces = []
    for block in blocks:
        spaces.append({})
        exec(compile(block, "README.md", "exec"), spaces[-1])
    assert (tmp_path / "xor.gone").exists()
    x, y = gone.datasets.xor()
    assert np.max(np.abs(spaces[0]["net"].predict(x) - y)) < 0.1
    evolved = next(ns for ns in spaces if "pop" in ns)
    assert evolved["result"].stop_reason == "target" and evolved["result"].best_fitness >= 3.9
    assert gone.load_population(tmp_path / "xor-run.gone").generation == evolved["result"].generations


def test_readme_cli_lines_run(tmp_path):
    """The README's CLI tour, line by line, in a shell (gone from this interpreter)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## The command line\n\n```sh\n(.*?)```", text, re.S).group(1)
    (tmp_path / "inputs.csv").write_text("0,1\n1,1\n")
    gone_cmd = f"{sys.executable} -m gone"
    for line in block.strip().splitlines():
        command = re.sub(r"(^|\| *)gone ", lambda m: m.group(1) + gone_cmd + " ",
                         line.split("  #")[0].strip())
        result = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, (command, result.stderr)
    assert len((tmp_path / "outputs.csv").read_text().splitlines()) == 2
