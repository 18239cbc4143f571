"""Backprop training: XOR, epochs and batches, history, callbacks, divergence, determinism."""

import numpy as np
import pytest

import gone
from gone.nn import training

X, Y = gone.datasets.xor()


def xor_net(seed=0, **kwargs):
    return gone.Network([2, gone.Dense(4, "sigmoid"), gone.Dense(1, "sigmoid")], seed=seed, **kwargs)


@pytest.mark.parametrize("optimizer, epochs", [(gone.SGD(lr=1.0), 3000), (gone.Adam(lr=0.05, batch_size=4), 800)])
def test_xor_learns_the_truth_table(optimizer, epochs):
    net = xor_net()
    net.train(X, Y, optimizer=optimizer, epochs=epochs)
    assert np.max(np.abs(net.predict(X) - Y)) < 0.1


def test_go_style_sample_list_trains_like_arrays():
    samples = [([1, 0], [1]), ([0, 1], [1]), ([1, 1], [0]), ([0, 0], [0])]
    a, b = xor_net(), xor_net()
    ha = a.train(samples, epochs=5, shuffle=False)
    hb = b.train(np.array([s[0] for s in samples]), np.array([s[1] for s in samples]),
                 epochs=5, shuffle=False)
    assert ha.loss == hb.loss and np.array_equal(a.genome(), b.genome())
    dicts = [{"inputs": i, "targets": t} for i, t in samples]
    assert xor_net().train(dicts, epochs=5, shuffle=False).loss == ha.loss


def test_same_seed_same_history_and_weights_different_seed_differs():
    def run(seed):
        net = gone.Network([2, gone.Dense(6, "tanh", dropout=0.2), gone.Dense(1, "sigmoid")], seed=seed)
        h = net.train(X, Y, optimizer=gone.MBGD(2), epochs=20)
        return h.loss, net.genome()

    (la, ga), (lb, gb), (lc, gc) = run(7), run(7), run(8)
    assert la == lb and np.array_equal(ga, gb)
    assert la != lc and not np.array_equal(ga, gc)


class Recorder(gone.Optimizer):
    """Plain GD that records the size of every batch it is stepped with."""

    name = "recorder"

    def __init__(self, batch_size):
        super().__init__(lr=0.01, batch_size=batch_size)
        self.sizes = []

    def _update(self, params, grads, lr):
        params[0] -= lr * grads[0]


@pytest.mark.parametrize("batch_size, expected", [(1, [1] * 10), (4, [4, 4, 2]), (None, [10]), (32, [10])])
def test_an_epoch_visits_every_sample_once(monkeypatch, batch_size, expected):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 1))
    net = gone.Network([3, 1], seed=0)
    seen = []
    original = net._forward_train
    monkeypatch.setattr(net, "_forward_train", lambda xb, r: (seen.append(xb.copy()), original(xb, r))[1])
    net.train(x, y, optimizer=Recorder(batch_size), epochs=1)
    assert [len(b) for b in seen] == expected
    rows = np.concatenate(seen)
    # every sample exactly once, in some order
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x))


def test_shuffle_false_keeps_order_and_batch_size_overrides_optimizer(monkeypatch):
    x = np.arange(12.0).reshape(6, 2)
    net = gone.Network([2, 1], seed=0)
    seen = []
    original = net._forward_train
    monkeypatch.setattr(net, "_forward_train", lambda xb, r: (seen.append(xb.copy()), original(xb, r))[1])
    net.train(x, np.zeros((6, 1)), optimizer=gone.SGD(lr=0.01), batch_size=3, shuffle=False)
    assert [b[:, 0].tolist() for b in seen] == [[0, 2, 4], [6, 8, 10]]


def test_mse_epoch_loss_is_mean_of_sample_losses():
    net = xor_net()
    before = net.evaluate(X, Y)["loss"]
    h = net.train(X, Y, optimizer=gone.GD(lr=1e-12), epochs=1)  # negligible update
    assert h.loss[0] == pytest.approx(before, rel=1e-9)
    assert before == pytest.approx(np.mean((net.predict(X) - Y) ** 2), rel=1e-6)


def test_history_has_accuracy_for_classes_and_validation_metrics(rng):
    x = rng.normal(size=(60, 2))
    labels = (x[:, 0] > x[:, 1]).astype(int)
    net = gone.Network([2, gone.Dense(8, "relu"), gone.Dense(2, "softmax")], loss="cross_entropy", seed=1)
    h = net.train(x, labels, optimizer=gone.Adam(lr=0.05), epochs=30, validation=0.25)
    assert set(h.logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h["val_loss"]) == 30 and h["val_accuracy"][-1] > 0.8
    # regression targets: no accuracy
    h = gone.Network([2, 1], seed=0).train(x, rng.normal(size=(60, 1)), epochs=1)
    assert "accuracy" not in h


def test_accuracy_counts_correct_predictions():
    net = gone.Network.from_arrays([np.array([[1.0, 0.0], [0.0, 1.0]])], [np.zeros(2)], "softmax",
                                   loss="cross_entropy")
    x = np.array([[2.0, 0.0], [0.0, 2.0], [3.0, 0.0], [0.0, 1.0]])
    assert net.evaluate(x, np.array([0, 1, 1, 1]))["accuracy"] == 0.75


def test_early_stopping_stops_and_restores_best(rng):
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    xv, yv = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))  # noise: val loss will not improve long
    net = gone.Network([3, gone.Dense(32, "tanh"), 1], seed=0)
    stopper = gone.EarlyStopping(patience=3)
    h = net.train(x, y, optimizer=gone.Adam(lr=0.05), epochs=500, validation=(xv, yv),
                  callbacks=[stopper])
    assert h.stopped_early and h.epochs < 500
    assert h.epochs == stopper.best_epoch + 1 + 4  # best epoch, then patience+1 without improvement
    assert net.evaluate(xv, yv)["loss"] == pytest.approx(min(h["val_loss"]), rel=1e-12)


def test_early_stopping_without_validation_is_a_config_error():
    with pytest.raises(gone.ConfigError, match="pass validation="):
        xor_net().train(X, Y, epochs=2, callbacks=[gone.EarlyStopping()])


def test_learning_rate_schedule_sets_the_rate_each_epoch():
    seen = []
    opt = gone.SGD(lr=0.8)
    sched = gone.LearningRateScheduler(gone.callbacks.step_decay(0.5, every=2))
    xor_net().train(X, Y, optimizer=opt, epochs=5,
                    callbacks=[sched, lambda epoch, logs: seen.append(opt.lr)])
    assert seen == [0.8, 0.8, 0.4, 0.4, 0.2]


def test_function_callback_returning_true_stops():
    h = xor_net().train(X, Y, epochs=100, callbacks=[lambda epoch, logs: epoch == 4])
    assert h.epochs == 5


def test_divergence_names_the_epoch():
    net = gone.Network([2, 1], seed=0)  # linear regression with a far too large step
    x = np.array([[1e3, -1e3], [2e3, 5e2]])
    with pytest.raises(gone.DivergenceError, match=r"training diverged at epoch (\d+).*smaller learning rate") as err:
        net.train(x, np.array([[1.0], [-1.0]]), optimizer=gone.SGD(lr=10.0), epochs=1000)
    assert 1 < int(err.value.args[0].split("epoch ")[1].split()[0]) < 1000


def test_train_step_one_sample_and_one_batch():
    net, twin = xor_net(), xor_net()
    opt, opt_twin = gone.GD(lr=0.5), gone.GD(lr=0.5)
    loss = net.train_step(X, Y, opt)
    assert loss == pytest.approx(twin.evaluate(X, Y)["loss"])
    twin.train(X, Y, optimizer=opt_twin, epochs=1, shuffle=False)  # full batch = one step
    assert np.allclose(net.genome(), twin.genome())
    before = net.genome()
    net.train_step(X[1], Y[1], opt)
    assert not np.array_equal(before, net.genome())


def test_train_step_rejects_nan_without_touching_weights():
    net = xor_net()
    before = net.genome()
    with pytest.raises(gone.DivergenceError, match="not updated"):
        net.train_step([0.0, np.nan], [1.0])
    assert np.array_equal(before, net.genome())


def test_optimizer_state_persists_between_train_calls():
    net = xor_net()
    opt = gone.Adam(lr=0.01, batch_size=4)
    net.train(X, Y, optimizer=opt, epochs=3)
    net.train(X, Y, epochs=2)  # no optimizer given: continues with the same Adam
    assert net.optimizer is opt and opt.t == 5


def test_optimizer_from_another_network_is_rejected():
    opt = gone.Adam()
    xor_net().train(X, Y, optimizer=opt, epochs=1)
    other = gone.Network([2, gone.Dense(5, "sigmoid"), 1], seed=0)
    with pytest.raises(gone.ConfigError, match="fresh optimizer"):
        other.train(X, Y, optimizer=opt, epochs=1)


def test_target_shape_errors_name_the_output_layer():
    with pytest.raises(gone.ShapeError, match=r"layer 2 \(output\) produces \(batch, 1\)"):
        xor_net().train(X, np.zeros((4, 2)))
    with pytest.raises(gone.ShapeError, match="class labels"):
        gone.Network([2, gone.Dense(3, "softmax")], loss="ce").train(X, np.array([0, 1, 2, 3]))


def test_class_labels_detection():
    assert training.class_labels(np.eye(3)[[0, 2, 1]]).tolist() == [0, 2, 1]
    assert training.class_labels(np.array([[0.0], [1.0]])).tolist() == [0, 1]
    assert training.class_labels(np.array([[0.5, 0.5]])) is None
    assert training.class_labels(np.array([[0.3]])) is None


def test_progress_bar_writes_to_stderr(capsys):
    xor_net().train(X, Y, epochs=20, progress=True)
    err = capsys.readouterr().err
    assert "20/20" in err and "loss=" in err


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"epochs": -1}, "epochs must be a non-negative integer"),
    ({"validation": 1.5}, "validation fraction"),
])
def test_bad_training_settings_are_config_errors(kwargs, message):
    with pytest.raises(gone.ConfigError, match=message):
        xor_net().train(X, Y, **kwargs)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf")])
def test_bad_learning_rate_is_rejected_at_construction(lr):
    with pytest.raises(gone.ConfigError, match="learning_rate must be a positive number"):
        xor_net(learning_rate=lr)


@pytest.mark.parametrize("optimizer", [gone.GD(lr=0.3), gone.Momentum(lr=0.3, batch_size=None)])
def test_training_step_equals_the_textbook_update(optimizer, rng):
    """GD folds the learning rate into backprop; it must still be p -= lr * grad (L2 included)."""
    net = gone.Network([3, gone.Dense(5, "tanh", l2=0.2), gone.Dense(2, "sigmoid")], seed=rng)
    x, y = rng.normal(size=(8, 3)), rng.uniform(size=(8, 2))
    _, grads = net.gradients(x, y)
    expected = net.genome() - 0.3 * np.concatenate([g.ravel() for g in grads])
    net.train(x, y, optimizer=optimizer, epochs=1, shuffle=False)
    np.testing.assert_allclose(net.genome(), expected, rtol=1e-12, atol=1e-15)
