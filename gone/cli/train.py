"""``gone train digits`` and ``gone train mnist``: digit classifiers, MLP or CNN.

``digits`` trains on scikit-learn's 8x8 digits with a seeded 80/20 split;
``mnist`` on the real MNIST a user downloaded (IDX files or Kaggle's CSV).
Each prints the held-out accuracy per epoch and a confusion matrix at the
end, and can save the network (``--save``) and a learning curve (``--plot``,
PNG, SVG or PDF by its extension). The models and their training are library
code (:mod:`gone.models`); a command parses, calls them and prints.
"""

from __future__ import annotations

import numpy as np

from ..models import build_model, fit, plot_curve, predict_labels, recipe
from .args import ExitCode, output_file, positive_float, positive_int, seed


def _report(args, net, curve, x_test, y_test, what: str) -> None:
    from ..nn.metrics import confusion_matrix, format_confusion

    pred = predict_labels(net, x_test)
    acc = float(np.mean(pred == y_test))
    per_epoch = np.mean(curve["seconds"])
    print(f"{args.model.upper()} on {what}: test accuracy {acc:.2%} "
          f"({np.sum(pred != y_test)} of {len(y_test)} wrong) after {len(curve['loss'])} "
          f"epochs, {per_epoch * 1000:.0f} ms per epoch")
    print(format_confusion(confusion_matrix(y_test, pred, 10)))
    if args.plot:
        plot_curve(curve, args.plot, f"gone {args.model} on {what}")
        print(f"saved the learning curve to {args.plot}")
    if args.save:
        net.metadata.update({"notes": f"{args.model} digit classifier, gone train {args.task}",
                             "test_accuracy": f"{acc:.4f}"})
        net.save(args.save)
        print(f"saved {args.save}")


def _settings(args, task: str) -> dict:
    return recipe(task, args.model, epochs=args.epochs, batch_size=args.batch_size,
                  lr=args.learning_rate)


def train_digits(args) -> int:
    from .. import datasets

    x, y = datasets.load_digits(images=True)
    x_train, y_train, x_test, y_test = datasets.split(x, y, (0.8, 0.2), seed=args.seed)
    net = build_model(args.model, x.shape[1:], seed=args.seed)
    s = _settings(args, "digits")
    print(f"scikit-learn digits: {len(x_train)} training and {len(x_test)} test images (8x8); "
          f"{args.model}, {net.n_params} parameters, Adam lr {s['lr']:g}, batch {s['batch_size']}")
    curve = fit(net, x_train, y_train, x_test, y_test, seed=args.seed,
                progress=not args.no_progress, **s)
    _report(args, net, curve, x_test, y_test, "scikit-learn digits")
    return ExitCode.OK


def train_mnist(args) -> int:
    from .. import datasets

    data = datasets.load_mnist(args.data)
    x, y = data["x_train"].astype(np.float32), data["y_train"]
    if data.get("y_test") is not None:
        x_test, y_test = data["x_test"].astype(np.float32), data["y_test"]
    else:  # Kaggle: test.csv has no labels; hold out 10% of train.csv
        x, y, x_test, y_test = datasets.split(x, y, (0.9, 0.1), seed=args.seed)
    net = build_model(args.model, x.shape[1:], seed=args.seed, dtype="float32", large=True)
    s = _settings(args, "mnist")
    print(f"MNIST ({data['format']}): {len(x)} training and {len(x_test)} test images; "
          f"{args.model}, {net.n_params} parameters, Adam lr {s['lr']:g}, batch {s['batch_size']}")
    curve = fit(net, x, y, x_test, y_test, seed=args.seed, progress=not args.no_progress, **s)
    _report(args, net, curve, x_test, y_test, "MNIST")
    if args.submission:
        if data["format"] != "kaggle" or "x_test" not in data:
            print("no Kaggle test.csv found; no submission written")
        else:
            datasets.write_submission(args.submission, predict_labels(net, data["x_test"]))
            print(f"wrote the Kaggle submission {args.submission}")
    return ExitCode.OK


def train_xor(args) -> int:
    import gone

    x, y = gone.datasets.xor()
    optimizer = {"sgd": gone.SGD(), "adam": gone.Adam(lr=0.05, batch_size=4)}[args.optimizer]
    net = gone.Network([2, gone.Dense(4, "sigmoid"), gone.Dense(1, "sigmoid")],
                       loss="mse", learning_rate=args.learning_rate, seed=args.seed)
    history = net.train(x, y, optimizer=optimizer, epochs=args.epochs, progress=args.progress)
    print(f"XOR after {history.epochs} epochs ({args.optimizer}), loss {history.loss[-1]:.3g}:")
    for xi, yi, pi in zip(x, y, net.predict(x)):
        print(f"  {xi[0]:.0f} xor {xi[1]:.0f} = {pi[0]:.3f}   (target {yi[0]:.0f})")
    if args.save:
        net.metadata["notes"] = "XOR, trained by gone train xor"
        net.save(args.save)
        print(f"saved {args.save}")
    return ExitCode.OK


def _common(t) -> None:
    t.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    t.add_argument("--epochs", type=positive_int, default=None,
                   help="passes over the training set (default depends on the model)")
    t.add_argument("--batch-size", type=positive_int, default=None)
    t.add_argument("--learning-rate", type=positive_float, default=None,
                   help="Adam step size (1e-3)")
    t.add_argument("--seed", type=seed, default=0, help="split, initial weights and shuffling")
    t.add_argument("--save", metavar="FILE", type=output_file(".gone"),
                   help="save the trained network (.gone)")
    t.add_argument("--plot", metavar="FILE", type=output_file(".png", ".svg", ".pdf"),
                   help="save a learning curve (needs matplotlib; the extension picks the format)")
    t.add_argument("--no-progress", action="store_true",
                   help="print one line per epoch instead of a progress bar")


def add_parser(sub) -> None:
    """Register ``gone train xor|digits|mnist|table``."""
    p = sub.add_parser("train", help="train a built-in example or a network on your own table",
                       description="Train a built-in example task and show the result.")
    tasks = p.add_subparsers(dest="task", metavar="TASK", required=True)
    t = tasks.add_parser("xor", help="learn XOR with a 2-4-1 sigmoid network",
                         description="Train a 2-4-1 sigmoid network on XOR and print its truth table.")
    t.add_argument("--epochs", type=positive_int, default=3000)
    t.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    t.add_argument("--learning-rate", type=positive_float, default=1.0, help="for sgd (default 1.0)")
    t.add_argument("--seed", type=seed, default=0)
    t.add_argument("--save", metavar="FILE", type=output_file(".gone"),
                   help="save the trained network (.gone)")
    t.add_argument("--progress", action="store_true", help="show a progress bar")
    t.set_defaults(func=train_xor)
    t = tasks.add_parser(
        "digits", help="classify scikit-learn's 8x8 digits (MLP or CNN)",
        description="Train an MLP or a CNN on scikit-learn's 1,797 8x8 digits (seeded 80/20 "
        "split), report the test accuracy per epoch and a confusion matrix.")
    _common(t)
    t.set_defaults(func=train_digits)
    t = tasks.add_parser(
        "mnist", help="classify MNIST from downloaded files (MLP or CNN)",
        description="Train on MNIST from a folder holding the IDX files "
        "(train-images-idx3-ubyte[.gz], ...) or Kaggle's train.csv/test.csv.")
    t.add_argument("--data", metavar="DIR", required=True, help="folder with the MNIST files")
    t.add_argument("--submission", metavar="CSV", type=output_file(".csv"),
                   help="with Kaggle files: write predictions for test.csv (ImageId,Label)")
    _common(t)
    t.set_defaults(func=train_mnist)
    from .table import add_task

    add_task(tasks)
