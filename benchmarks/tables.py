#!/usr/bin/env python
"""``gone train table`` against a straight line and scikit-learn's MLP, on rows none of them saw.

For scikit-learn's diabetes (regression, R2), breast cancer and wine
(classification, accuracy): over ``--seeds`` seeded 75/25 splits (gone's
``datasets.split``), each of

- gone: ``gone.models.fit_table`` (what ``gone train table`` runs) on the 75%;
- linear: gone's own numpy baseline (least squares / logistic regression),
  fitted on the same 75%;
- scikit-learn: ``MLPRegressor()`` / ``MLPClassifier()`` with their defaults
  (``random_state`` = the seed) after a ``StandardScaler`` on the features
  (and, for regression, on the target: without it MLPRegressor's defaults
  score R2 below 0 on diabetes, whose target is in the hundreds), as the
  scikit-learn documentation recommends; ``--raw`` also reports the defaults
  without any scaling.

is scored on the same held-out 25%. Targets: gone >= linear and gone >=
scikit-learn - 0.03, on the mean over seeds.

    python benchmarks/tables.py              # 10 seeds, about a minute on 2 cores
    python benchmarks/tables.py --seeds 3 --raw
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

import gone
import gone.models

TOLERANCE = 0.03
DATA = {"diabetes": ("load_diabetes", "regress"), "breast_cancer": ("load_breast_cancer", "classify"),
        "wine": ("load_wine", "classify")}


def sklearn_mlp(task: str, seed: int, scaled: bool):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if task == "classify":
        mlp = MLPClassifier(random_state=seed)
        return make_pipeline(StandardScaler(), mlp) if scaled else mlp
    mlp = MLPRegressor(random_state=seed)
    if not scaled:
        return mlp
    return TransformedTargetRegressor(make_pipeline(StandardScaler(), mlp),
                                      transformer=StandardScaler())


def run(name: str, seeds: int, raw: bool) -> dict:
    import sklearn.datasets

    loader, task = DATA[name]
    x, y = getattr(sklearn.datasets, loader)(return_X_y=True)
    rows = {"gone": [], "linear": [], "sklearn": [], "sklearn raw": [], "kept epoch": [],
            "seconds": []}
    for seed in range(seeds):
        x_tr, y_tr, x_te, y_te = gone.datasets.split(x, y, (0.75, 0.25), seed=seed)
        start = time.perf_counter()
        result = gone.models.fit_table(x_tr, y_tr, test=(x_te, y_te), task=task, seed=seed)
        rows["seconds"].append(time.perf_counter() - start)
        rows["gone"].append(result.test_score)
        rows["linear"].append(result.baseline_score)
        rows["kept epoch"].append(result.best_epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: 200 iterations are the default
            rows["sklearn"].append(sklearn_mlp(task, seed, True).fit(x_tr, y_tr).score(x_te, y_te))
            if raw:
                rows["sklearn raw"].append(
                    sklearn_mlp(task, seed, False).fit(x_tr, y_tr).score(x_te, y_te))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=10, help="splits per data set (default 10)")
    p.add_argument("--raw", action="store_true",
                   help="also scikit-learn's MLP with no scaling at all")
    p.add_argument("--data", choices=sorted(DATA), action="append",
                   help="one data set (repeatable; default all three)")
    args = p.parse_args(argv)
    import sklearn

    print(f"numpy {np.__version__} | scikit-learn {sklearn.__version__} | gone "
          f"{gone.__version__} | 75/25 splits, seeds 0..{args.seeds - 1} | 2-core machine "
          "shared with other jobs: seconds are indicative only")
    ok = True
    for name in args.data or list(DATA):
        r = run(name, max(1, args.seeds), args.raw)
        metric = "R2" if DATA[name][1] == "regress" else "accuracy"
        mean = {k: float(np.mean(v)) for k, v in r.items() if v}
        print(f"\n{name} ({metric} on the held-out 25%, mean of {args.seeds} splits)")
        for k in ("gone", "linear", "sklearn", "sklearn raw"):
            if r[k]:
                print(f"  {k:12} {mean[k]:.4f}   per split " + " ".join(f"{v:.3f}" for v in r[k]))
        print(f"  gone kept epoch (0 = the linear start): {r['kept epoch']}; "
              f"{mean['seconds']:.2f} s per fit")
        beats = mean["gone"] >= mean["linear"]
        close = mean["gone"] >= mean["sklearn"] - TOLERANCE
        ok &= beats and close
        print(f"  gone >= linear: {'met' if beats else 'MISSED'}; gone >= scikit-learn - "
              f"{TOLERANCE}: {'met' if close else 'MISSED'} (gap {mean['gone'] - mean['sklearn']:+.4f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
