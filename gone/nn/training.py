"""Backprop training: the epoch loop, single steps for streams, evaluation.

Gradients are computed for a whole mini-batch with matrix products; an epoch
visits every sample exactly once (in a fresh random order when ``shuffle``).
"""

from __future__ import annotations

import math

import numpy as np

from .._base.progress import ProgressBar
from .._base.rng import make_rng
from ..errors import ConfigError, DivergenceError, InputError, ShapeError
from . import optimizers as _optim
from .callbacks import History, Run, as_callbacks


def _from_samples(samples) -> tuple[np.ndarray, np.ndarray]:
    """Go-style ``[(inputs, targets), ...]`` (or dicts with those keys) as two arrays."""
    xs, ys = [], []
    for i, sample in enumerate(samples):
        if isinstance(sample, dict):
            sample = (sample.get("inputs"), sample.get("targets"))
        try:
            x, y = sample
        except (TypeError, ValueError):
            raise InputError(f"sample {i} must be an (inputs, targets) pair, got {sample!r}") from None
        xs.append(np.atleast_1d(np.asarray(x, dtype=float)))
        ys.append(np.atleast_1d(np.asarray(y, dtype=float)))
    if not xs:
        raise InputError("no training samples")
    try:
        return np.stack(xs), np.stack(ys)
    except ValueError:
        raise ShapeError("all samples must have the same number of inputs and targets") from None


def dataset(net, inputs, targets=None) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(n, n_in)`` (``(n, C, H, W)`` for images) and targets ``(n, n_out)``, checked."""
    if targets is None:
        inputs, targets = _from_samples(inputs)
    x = np.asarray(inputs, dtype=net.dtype) if not isinstance(inputs, np.ndarray) else inputs
    if x.ndim != 2 and net.input_shape is None:
        raise ShapeError(f"layer 0 (input) expects training inputs (batch, {net.n_inputs}), "
                         f"got shape {np.shape(inputs)}")
    x, _ = net.as_batch(x)
    return x, net.as_targets(targets, len(x))


def class_labels(y: np.ndarray) -> np.ndarray | None:
    """Integer class per row when targets are classes (one-hot rows, or 0/1 for one output)."""
    if y.shape[1] == 1:
        col = y[:, 0]
        return col.astype(np.intp) if np.all((col == 0) | (col == 1)) else None
    if np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
        return y.argmax(axis=1)
    return None


def predicted_labels(out: np.ndarray) -> np.ndarray:
    """Predicted class per row: argmax, or ``out > 0.5`` for a single output."""
    return (out[:, 0] > 0.5).astype(np.intp) if out.shape[1] == 1 else out.argmax(axis=1)


def evaluate(net, x, y) -> dict:
    """``{"loss": float, "accuracy": float}``; accuracy only when targets are classes."""
    x, y = dataset(net, x, y)
    out = net.predict(x)
    result = {"loss": net.loss.fn(out, y)}
    labels = class_labels(y)
    if labels is not None:
        result["accuracy"] = float(np.mean(predicted_labels(out) == labels))
    return result


def resolve_optimizer(net, optimizer):
    """The optimizer to use: the one given, else the network's last one, else ``SGD()``."""
    if optimizer is None:
        optimizer = net.optimizer if net.optimizer is not None else _optim.SGD()
    optimizer = _optim.get(optimizer)
    if optimizer is not net.optimizer:  # the network's own was checked when it was adopted
        optimizer.check_params([net.flat])
        net.optimizer = optimizer
    return optimizer


def _dropout_rng(net, rng):
    return rng if any(layer.dropout for layer in net.layers) else None


class _NonFinite(Exception):
    """A batch loss was NaN or infinite (internal: turned into DivergenceError)."""


class _Stepper:
    """One optimizer update from one batch, the same for ``train`` and ``train_step``.

    Plain gradient descent folds the learning rate into the backward pass
    (scaling the small top gradient), so the update is one subtraction.
    """

    def __init__(self, net, opt, drop_rng):
        self.net, self.opt, self.drop_rng = net, opt, drop_rng
        self.params = [net.flat]
        self.lr = net.learning_rate
        self.folded_lr = opt.resolve_lr(self.lr) if opt.folds_lr else None

    def __call__(self, xb, yb):
        """Update on ``xb (batch, n_in)``, ``yb (batch, n_out)``; returns ``(loss, output)``.

        Raises :class:`_NonFinite` before touching the weights if the loss is
        NaN or infinite; the caller, who knows where it is, reports it.
        """
        folded = self.folded_lr is not None
        # xb, yb come checked from dataset() or train_step: no per-batch checks
        loss, grad, out = self.net.batch_loss_and_grad(xb, yb, self.drop_rng,
                                                       self.folded_lr if folded else 1.0)
        if not math.isfinite(loss):
            raise _NonFinite(loss)
        if folded:
            self.opt.step_folded(self.params, [grad])
        else:
            self.opt.step(self.params, [grad], self.lr)
        return loss, out


def train_step(net, x, y, optimizer=None) -> float:
    """One update on one sample ``(n_in,)`` or one batch ``(batch, n_in)``; returns the loss.

    Raises :class:`DivergenceError` (before touching the weights) if the loss is not finite.
    """
    xb, _ = net.as_batch(x)
    yb = net.as_targets(y, len(xb))
    opt = resolve_optimizer(net, optimizer)
    step = _Stepper(net, opt, _dropout_rng(net, net.rng))
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked in step
            return step(xb, yb)[0]
    except _NonFinite as exc:
        raise DivergenceError(f"train_step {opt.t + 1}: loss is {exc.args[0]}; "
                              "the weights were not updated") from None


def _validation_split(x, y, validation, rng):
    if validation is None:
        return x, y, None
    if isinstance(validation, float):
        if not 0.0 < validation < 1.0:
            raise ConfigError(f"a validation fraction must be in (0, 1), got {validation}")
        order = rng.permutation(len(x))
        n_val = max(1, int(round(len(x) * validation)))
        val, keep = order[:n_val], order[n_val:]
        return x[keep], y[keep], (x[val], y[val])
    try:
        xv, yv = validation
    except (TypeError, ValueError):
        raise ConfigError("validation must be an (inputs, targets) pair or a fraction") from None
    return x, y, (xv, yv)


def train(net, inputs, targets=None, *, optimizer=None, epochs: int = 1,
          batch_size: int | None = None, shuffle: bool = True, validation=None,
          callbacks=(), progress: bool = False, metrics: str | tuple = "auto",
          rng=None) -> History:
    """Train ``net`` by backprop and return a :class:`~gone.callbacks.History`.

    Args:
        inputs: ``(n, n_in)`` array, or a Go-style list of ``(inputs, targets)``
            samples when ``targets`` is None.
        targets: ``(n, n_out)``; ``(n,)`` integer class labels when ``n_out > 1``.
        optimizer: an optimizer object or name; default the network's last one,
            else ``SGD()`` (online, batch 1) with the network's learning rate.
        epochs: passes over the data; each visits every sample exactly once.
        batch_size: overrides the optimizer's own batch size.
        validation: ``(x_val, y_val)`` or a fraction of the data to hold out;
            adds ``val_loss`` (and ``val_accuracy``) to the history.
        callbacks: :class:`~gone.callbacks.Callback` objects or ``f(epoch, logs)``.
        progress: draw a progress bar on stderr.
        metrics: ``"auto"`` adds ``accuracy`` when targets are classes; ``()`` for none.
        rng: Generator or seed for shuffling and dropout; default the network's own.

    Raises:
        DivergenceError: a batch loss is NaN or infinite; names the epoch.
    """
    if int(epochs) != epochs or epochs < 0:
        raise ConfigError(f"epochs must be a non-negative integer, got {epochs}")
    rng = net.rng if rng is None else make_rng(rng)
    x, y = dataset(net, inputs, targets)
    x, y, val = _validation_split(x, y, validation, rng)
    opt = resolve_optimizer(net, optimizer)
    if batch_size is not None and (int(batch_size) != batch_size or batch_size < 1):
        raise ConfigError(f"batch_size must be a positive integer or None, got {batch_size}")
    bs = batch_size or opt.batch_size or len(x)
    labels = class_labels(y) if metrics == "auto" or "accuracy" in metrics else None
    buffers = (np.empty_like(x), np.empty_like(y)) if shuffle else None
    run = Run(net, opt, History())
    cbs = as_callbacks(callbacks)
    bar = ProgressBar(epochs, "train") if progress else None
    for cb in cbs:
        cb.on_train_begin(run)
    for epoch in range(int(epochs)):
        run.epoch = epoch
        for cb in cbs:
            cb.on_epoch_begin(run)
        # Overflow shows up as a non-finite loss, which _epoch turns into a
        # DivergenceError naming the epoch instead of a stream of warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            logs = _epoch(net, opt, x, y, labels, int(bs), buffers, rng, epoch)
        if val is not None:
            logs.update({"val_" + k: v for k, v in evaluate(net, *val).items()})
        run.history.append(logs)
        for cb in cbs:
            cb.on_epoch_end(run, logs)
        if bar:
            bar.update(epoch + 1, **logs)
        if run.stop:
            break
    if bar:
        bar.close()
    for cb in cbs:
        cb.on_train_end(run)
    return run.history


def _epoch(net, opt, x, y, labels, bs, buffers, rng, epoch) -> dict:
    """One pass over the data in mini-batches; returns ``{"loss": ..., ["accuracy": ...]}``.

    ``buffers``: arrays shaped like ``x`` and ``y`` to shuffle into (None: keep
    the order). Reusing them spares a copy of the data set per epoch, which
    for MNIST-sized data costs more than the arithmetic of a small network.
    """
    if buffers is not None:
        order = rng.permutation(len(x))
        # mode="clip" lets take write straight into out= (the default buffers first).
        x = np.take(x, order, axis=0, out=buffers[0], mode="clip")
        y = np.take(y, order, axis=0, out=buffers[1], mode="clip")
        labels = None if labels is None else labels[order]
    step = _Stepper(net, opt, _dropout_rng(net, rng))
    total, correct = 0.0, 0
    for start in range(0, len(x), bs):
        xb, yb = x[start:start + bs], y[start:start + bs]
        try:
            loss, out = step(xb, yb)
        except _NonFinite as exc:
            raise DivergenceError(f"training diverged at epoch {epoch + 1} (batch starting at "
                                  f"sample {start}): loss is {exc.args[0]}; "
                                  "try a smaller learning rate") from None
        total += loss * len(xb)
        if labels is not None:
            correct += int(np.count_nonzero(predicted_labels(out) == labels[start:start + bs]))
    logs = {"loss": total / len(x)}
    if labels is not None:
        logs["accuracy"] = correct / len(x)
    return logs
