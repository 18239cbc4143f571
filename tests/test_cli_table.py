"""`gone train table`: an MLP on a user's own table, saved to take the raw columns."""

import numpy as np

import gone
from gone.cli import main
from gone.datasets.preprocessing import fold_scaling, standardise


def write_table(path, rng, n=400):
    x = rng.normal(size=(n, 3)) * [1, 10, 100] + [0, 50, -300]
    label = (x[:, 0] + x[:, 1] / 10 > 5).astype(int) + 2 * (x[:, 2] > -300)  # classes 0, 1, 2, 3
    rows = ["a,b,c,label"] + [f"{r[0]},{r[1]},{r[2]},{c}" for r, c in zip(x, label)]
    path.write_text("\n".join(rows) + "\n")
    return x, label


def test_folding_the_scaling_into_the_weights_is_exact(rng):
    net = gone.Network([3, gone.Dense(5, "relu"), gone.Dense(1)], seed=0)
    x = rng.normal(size=(20, 3)) * [1, 10, 100] + [0, 50, -300]
    mean, std = standardise(x)
    scaled_out = net.predict((x - mean) / std) * 4.0 + 7.0
    fold_scaling(net, mean, std, 7.0, 4.0)
    np.testing.assert_allclose(net.predict(x), scaled_out, rtol=1e-12, atol=1e-9)


def test_classifies_a_csv_by_column_name_and_predicts_raw_rows(tmp_path, rng, capsys):
    x, label = write_table(tmp_path / "t.csv", rng)
    assert main(["train", "table", str(tmp_path / "t.csv"), "--target", "label", "--no-progress",
                 "--save", str(tmp_path / "t.gone")]) == 0
    out = capsys.readouterr().out
    assert float(out.split("test accuracy ")[1].split("%")[0]) >= 90
    net = gone.load(tmp_path / "t.gone")
    assert net.n_outputs == len(np.unique(label))
    assert np.mean(net.predict(x).argmax(axis=1) == label) >= 0.9   # raw columns in


def test_regression_on_npy(tmp_path, rng, capsys):
    x = rng.normal(size=(500, 2)) * [2, 50]
    y = 3 * x[:, 0] - 0.1 * x[:, 1] + 10
    np.save(tmp_path / "r.npy", np.column_stack([x, y]))
    assert main(["train", "table", str(tmp_path / "r.npy"), "--no-progress",
                 "--save", str(tmp_path / "r.gone")]) == 0
    assert "regression" in capsys.readouterr().out
    pred = gone.load(tmp_path / "r.gone").predict(x)[:, 0]
    assert np.sqrt(np.mean((pred - y) ** 2)) < 0.1 * y.std()


def test_unknown_target_column_is_one_line_error(tmp_path, rng, capsys):
    write_table(tmp_path / "t.csv", rng, n=20)
    assert main(["train", "table", str(tmp_path / "t.csv"), "--target", "lable"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gone: error:") and "lable" in err and len(err.splitlines()) == 1
