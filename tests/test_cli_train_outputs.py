"""`gone train digits|mnist|table`: every output path is checked before the work, and
``--plot`` writes the format its extension names."""

import argparse

import pytest

from gone.cli import main as _main
from gone.cli.train import _settings
from gone.models import plot_curve, recipe


def main(argv) -> int:
    """The exit code of ``gone ARGV`` run in this process (argparse exits with SystemExit)."""
    try:
        return _main(argv)
    except SystemExit as exc:
        return exc.code


CURVE = {"loss": [1.0, 0.5, 0.3], "train_accuracy": [0.5, 0.8, 0.9],
         "val_accuracy": [0.4, 0.7, 0.85]}
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


@pytest.fixture
def data_files(tmp_path):
    """A table and a Kaggle-style MNIST folder, so only the output path can be wrong."""
    (tmp_path / "t.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n"
                                                         for i in range(40)))
    (tmp_path / "mnist").mkdir()
    (tmp_path / "folder.gone").mkdir()
    head = "label," + ",".join(f"pixel{i}" for i in range(784))
    (tmp_path / "mnist" / "train.csv").write_text(head + "\n" + "1," + ",".join(["0"] * 784) + "\n")
    return tmp_path


def commands(folder):
    table, mnist = str(folder / "t.csv"), ["--data", str(folder / "mnist")]
    return {"digits": ["train", "digits", "--epochs", "1", "--no-progress"],
            "mnist": ["train", "mnist", *mnist, "--epochs", "1", "--no-progress"],
            "table": ["train", "table", table, "--no-progress"]}


BAD = [  # (flag, path relative to the test folder or absolute, what the message says)
    ("--save", "/proc/x.gone", "not writable"),
    ("--save", "missing/x.gone", "does not exist"),
    ("--save", "x.txt", "must end in .gone"),
    ("--save", "folder.gone", "is a folder"),
    ("--plot", "curve.txt", "must end in .png or .svg or .pdf"),
    ("--plot", "/proc/curve.png", "not writable"),
    ("--submission", "missing/sub.csv", "does not exist"),
    ("--submission", "sub.json", "must end in .csv"),
]


OUTPUTS = {"digits": ("--save", "--plot"), "mnist": ("--save", "--plot", "--submission"),
           "table": ("--save",)}


@pytest.mark.parametrize("command, flag, path, says",
                         [(c, *bad) for c in OUTPUTS for bad in BAD if bad[0] in OUTPUTS[c]])
def test_a_bad_output_path_fails_before_any_work(data_files, capsys, command, flag, path, says):
    target = path if path.startswith("/") else str(data_files / path)
    assert main([*commands(data_files)[command], flag, target]) == 2
    out, err = capsys.readouterr()
    assert out == ""                                           # no training output at all
    assert len(err.splitlines()) == 1 and says in err and "Traceback" not in err
    assert not (data_files / path).is_file()


def test_learning_rate_zero_is_refused_not_replaced_by_the_default(capsys):
    assert main(["train", "digits", "--learning-rate", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--learning-rate: must be > 0, got 0" in err
    # and the code path that used to say `args.learning_rate or default` keeps what it is given
    args = argparse.Namespace(model="mlp", epochs=None, batch_size=None, learning_rate=0.0)
    assert _settings(args, "digits") == {"epochs": 50, "batch_size": 32, "lr": 0.0}
    assert recipe("mnist", "cnn", epochs=0) == {"epochs": 0, "batch_size": 64, "lr": 1e-3}


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_plot_extension_picks_the_format(tmp_path, suffix):
    pytest.importorskip("matplotlib", reason="the plot extra")
    path = tmp_path / f"curve{suffix.upper() if suffix == '.pdf' else suffix}"
    plot_curve(CURVE, path, "title")
    data = path.read_bytes()
    if suffix == ".svg":
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:2000]
    else:
        assert data.startswith(MAGIC[suffix])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]   # no temporary file left


def test_plot_refuses_an_unknown_extension_before_drawing(tmp_path):
    import gone

    with pytest.raises(gone.ConfigError, match="extension picks the format"):
        plot_curve(CURVE, tmp_path / "curve.txt", "title")
    assert not list(tmp_path.iterdir())


def test_cli_plot_writes_svg(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the plot extra")
    assert main(["train", "digits", "--epochs", "1", "--no-progress",
                 "--plot", str(tmp_path / "c.svg")]) == 0
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:2000]
    assert "saved the learning curve" in capsys.readouterr().out
