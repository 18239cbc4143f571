"""gone.models.fit_table (``gone train table``): judged on held-out rows beside a straight line.

On scikit-learn's diabetes, breast cancer and wine with 75/25 splits the network
must score at least gone's own linear baseline and within 0.03 of scikit-learn's
MLP (defaults, after standard scaling); benchmarks/tables.py measures ten splits,
these tests three.
"""

import warnings

import numpy as np
import pytest

import gone
import gone.models
from gone.cli import main
from gone.datasets.preprocessing import MAX_CLASSES, is_classification
from gone.models.linear import least_squares, linear_predict, logistic_regression

sk_datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn (the dev extra)")

SEEDS = (0, 1, 2)
DATA = {"diabetes": ("load_diabetes", "regress"),
        "breast_cancer": ("load_breast_cancer", "classify"), "wine": ("load_wine", "classify")}


def sklearn_score(task, seed, x_tr, y_tr, x_te, y_te) -> float:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if task == "classify":
        model = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
    else:
        model = TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)),
            transformer=StandardScaler())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the default 200 iterations
        return model.fit(x_tr, y_tr).score(x_te, y_te)


@pytest.mark.parametrize("name", sorted(DATA))
def test_network_beats_a_line_and_keeps_up_with_scikit_learn(name):
    loader, task = DATA[name]
    x, y = getattr(sk_datasets, loader)(return_X_y=True)
    ours, line, theirs = [], [], []
    for seed in SEEDS:
        x_tr, y_tr, x_te, y_te = gone.datasets.split(x, y, (0.75, 0.25), seed=seed)
        result = gone.models.fit_table(x_tr, y_tr, test=(x_te, y_te), task=task, seed=seed)
        assert result.metric == ("R2" if task == "regress" else "accuracy")
        ours.append(result.test_score)
        line.append(result.baseline_score)
        theirs.append(sklearn_score(task, seed, x_tr, y_tr, x_te, y_te))
    assert np.mean(ours) >= np.mean(line)
    assert np.mean(ours) >= np.mean(theirs) - 0.03
    # the scores are what they say: the returned network, scored again by hand
    pred = result.network.predict(x_te)
    if task == "classify":
        assert result.test_score == np.mean(result.classes[pred.argmax(axis=1)] == y_te)
    else:
        r2 = 1 - np.sum((pred[:, 0] - y_te) ** 2) / np.sum((y_te - y_te.mean()) ** 2)
        assert result.test_score == pytest.approx(r2, abs=1e-12)


def test_the_network_helps_where_a_line_cannot(rng):
    # Two rings: no line separates them; y = sin(2x): no line fits it.
    angle, radius = rng.uniform(0, 2 * np.pi, 600), rng.choice([1.0, 2.0], 600)
    rings = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    rings += rng.normal(scale=0.1, size=rings.shape)
    result = gone.models.fit_table(rings, (radius == 2).astype(int), seed=0, learning_rate=3e-3)
    assert result.baseline_score < 0.7 and result.test_score > 0.95
    assert result.best_epoch > 0 and "the network helps" in result.summary()
    x = rng.uniform(-3, 3, size=(600, 1))
    y = np.sin(2 * x[:, 0]) + rng.normal(scale=0.1, size=600)
    result = gone.models.fit_table(x, y, seed=0, learning_rate=3e-3)
    assert result.task == "regress" and result.baseline_score < 0.3 and result.test_score > 0.9


def test_without_a_clear_gain_the_network_is_exactly_the_line(rng):
    x = rng.normal(size=(300, 3)) * [1, 10, 100]
    y = x @ [2.0, -0.3, 0.01] + 5 + rng.normal(scale=1.0, size=300)
    result = gone.models.fit_table(x, y, seed=1)
    assert result.best_epoch == 0 and "keeps the linear fit" in result.summary()
    assert result.test_score == pytest.approx(result.baseline_score, abs=1e-9)


def test_early_stopping_stops_and_reports_rows():
    x, y = sk_datasets.load_diabetes(return_X_y=True)
    result = gone.models.fit_table(x, y, task="regress", seed=0, epochs=400, patience=5)
    assert result.history.epochs < 400                       # stopped on the validation loss
    assert result.rows == {"train": 266, "validation": 66, "test": 110}   # 442 rows
    assert len(result.history["val_loss"]) == result.history.epochs


def test_least_squares_matches_numpy_lstsq(rng):
    x = rng.normal(size=(50, 4))
    y = x @ [1.0, -2.0, 0.5, 3.0] + 0.7 + rng.normal(size=50)
    w, b = least_squares(x, y)
    expected = np.linalg.lstsq(np.column_stack([x, np.ones(50)]), y, rcond=None)[0]
    np.testing.assert_allclose(np.append(w[0], b), expected, rtol=1e-6)


def test_logistic_regression_matches_scikit_learn(rng):
    from sklearn.linear_model import LogisticRegression

    x = rng.normal(size=(200, 3))
    labels = (x @ [1.5, -1.0, 0.5] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    labels[x[:, 0] > 1.2] = 2
    w, b = logistic_regression(x, labels, 3)
    theirs = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(x, labels)
    np.testing.assert_allclose(linear_predict(w, b, x) - linear_predict(w, b, x).mean(1, keepdims=True),
                               theirs.decision_function(x)
                               - theirs.decision_function(x).mean(1, keepdims=True), atol=1e-4)


@pytest.mark.parametrize("y, why", [(np.linspace(0, 1, 100), "not whole numbers"),
                                    (np.arange(100) % (MAX_CLASSES + 1), "51 distinct values")])
def test_classify_refuses_targets_that_are_not_classes(y, why):
    with pytest.raises(gone.ConfigError, match="--task regress") as info:
        is_classification(y, "classify")
    assert why in str(info.value)
    assert not is_classification(y, "auto") and not is_classification(y, "regress")


def test_cli_classify_on_a_real_valued_target_is_one_line(tmp_path, rng, capsys):
    rows = ["a,b,price"] + [f"{a:.3f},{b:.3f},{a * 10 + b:.2f}" for a, b in rng.normal(size=(60, 2))]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    assert main(["train", "table", str(tmp_path / "t.csv"), "--task", "classify",
                 "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""                               # refused before any training
    assert len(captured.err.splitlines()) == 1 and "--task regress" in captured.err


def test_cli_prints_the_held_out_score_beside_the_baseline(tmp_path, capsys):
    x, y = sk_datasets.load_diabetes(return_X_y=True)
    np.save(tmp_path / "d.npy", np.column_stack([x, y]))
    assert main(["train", "table", str(tmp_path / "d.npy"), "--no-progress", "--task", "regress",
                 "--save", str(tmp_path / "d.gone")]) == 0
    out = capsys.readouterr().out
    assert "test rows never used for training or stopping" in out and "least squares" in out
    net = gone.load(tmp_path / "d.gone")
    assert float(net.metadata["test_r2"]) >= float(net.metadata["baseline_test_r2"])


def test_bad_rows_are_refused_by_name(rng):
    x, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    x[4, 1] = np.nan
    with pytest.raises(gone.InputError, match=r"x\[4, 1\] is nan"):
        gone.models.fit_table(x, y)
    with pytest.raises(gone.ShapeError, match="expected x"):
        gone.models.fit_table(x[:, 0], y)
    with pytest.raises(gone.ConfigError, match="at least 10 rows"):
        gone.models.fit_table(np.ones((5, 2)), np.ones(5))


def test_logistic_step_bound_for_wide_tables(rng):
    from gone.models.linear import _largest_eigenvalue

    x = rng.normal(size=(80, 600)) + rng.normal(size=(80, 1))   # one strong direction
    exact = np.linalg.eigvalsh(x.T @ x)[-1]
    assert exact <= _largest_eigenvalue(x) <= 1.1 * exact + 1e-9
    assert _largest_eigenvalue(x[:, :400]) == pytest.approx(np.linalg.eigvalsh(
        x[:, :400].T @ x[:, :400])[-1])
