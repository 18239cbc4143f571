"""Optimizers against hand-written update rules, table-driven; settings, state, persistence."""

import math

import numpy as np
import pytest

import gone
from gone import optimizers

# --- reference update rules, written out independently, one step at a time ------------
# Each takes the parameter list, the gradient sequence, the learning rate and the
# optimizer's settings, and returns the parameters after every step.


def ref_gd(params, grad_seq, lr):
    p = [x.copy() for x in params]
    history = []
    for grads in grad_seq:
        p = [pi - lr * gi for pi, gi in zip(p, grads)]
        history.append(p)
    return history


def ref_momentum(params, grad_seq, lr, momentum):
    p = [x.copy() for x in params]
    v = [np.zeros_like(x) for x in params]
    history = []
    for grads in grad_seq:
        v = [momentum * vi + gi for vi, gi in zip(v, grads)]
        p = [pi - lr * vi for pi, vi in zip(p, v)]
        history.append(p)
    return history


def ref_nesterov(params, grad_seq, lr, momentum):
    p = [x.copy() for x in params]
    v = [np.zeros_like(x) for x in params]
    history = []
    for grads in grad_seq:
        v = [momentum * vi + gi for vi, gi in zip(v, grads)]
        # look-ahead: the step uses the new velocity once more
        p = [pi - lr * (gi + momentum * vi) for pi, gi, vi in zip(p, grads, v)]
        history.append(p)
    return history


def ref_rmsprop(params, grad_seq, lr, rho, eps):
    p = [x.copy() for x in params]
    s = [np.zeros_like(x) for x in params]
    history = []
    for grads in grad_seq:
        s = [rho * si + (1 - rho) * gi**2 for si, gi in zip(s, grads)]
        p = [pi - lr * gi / (np.sqrt(si) + eps) for pi, gi, si in zip(p, grads, s)]
        history.append(p)
    return history


def ref_adam(params, grad_seq, lr, beta1, beta2, eps):
    p = [x.copy() for x in params]
    m = [np.zeros_like(x) for x in params]
    v = [np.zeros_like(x) for x in params]
    history = []
    for t, grads in enumerate(grad_seq, start=1):
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, grads)]
        v = [beta2 * vi + (1 - beta2) * gi**2 for vi, gi in zip(v, grads)]
        m_hat = [mi / (1 - beta1**t) for mi in m]  # bias correction
        v_hat = [vi / (1 - beta2**t) for vi in v]
        p = [pi - lr * mh / (np.sqrt(vh) + eps) for pi, mh, vh in zip(p, m_hat, v_hat)]
        history.append(p)
    return history


PARAMS = [np.array([[0.5, -1.0, 2.0], [0.0, 0.25, -0.75]]), np.array([0.1, -0.2, 0.3])]
GRADS = [
    [np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), np.array([0.5, 0.5, -0.5])],
    [np.array([[0.5, 1.0, -0.25], [2.0, -1.0, 0.0]]), np.array([-1.0, 0.25, 0.0])],
    [np.array([[-0.75, 0.5, 4.0], [1.0, 1.0, 1e-3]]), np.array([2.0, -0.125, 1.5])],
]

# (id, optimizer factory, reference, lr for the reference, lr passed to step)
CASES = [
    ("gd", lambda: gone.GD(lr=0.1), ref_gd, {"lr": 0.1}, None),
    ("gd-lr-from-step", lambda: gone.GD(), ref_gd, {"lr": 0.3}, 0.3),
    ("sgd", lambda: gone.SGD(0.05), ref_gd, {"lr": 0.05}, 7.0),  # own lr wins over step's
    ("mbgd", lambda: gone.MBGD(16, lr=0.2), ref_gd, {"lr": 0.2}, None),
    ("momentum", lambda: gone.Momentum(0.1), ref_momentum,
     {"lr": 0.1, "momentum": 0.9}, None),
    ("momentum-0.5-step-lr", lambda: gone.Momentum(momentum=0.5), ref_momentum,
     {"lr": 0.2, "momentum": 0.5}, 0.2),
    ("nesterov", lambda: gone.Nesterov(0.1), ref_nesterov, {"lr": 0.1, "momentum": 0.9}, None),
    ("nesterov-0.3", lambda: gone.Nesterov(0.05, momentum=0.3), ref_nesterov,
     {"lr": 0.05, "momentum": 0.3}, None),
    ("rmsprop", lambda: gone.RMSprop(), ref_rmsprop,
     {"lr": 0.001, "rho": 0.9, "eps": 1e-8}, None),
    ("rmsprop-big-eps-step-lr", lambda: gone.RMSprop(lr=None, rho=0.5, eps=0.1), ref_rmsprop,
     {"lr": 0.02, "rho": 0.5, "eps": 0.1}, 0.02),
    ("adam", lambda: gone.Adam(), ref_adam,
     {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, None),
    ("adam-custom", lambda: gone.Adam(lr=0.05, beta1=0.5, beta2=0.75, eps=0.1), ref_adam,
     {"lr": 0.05, "beta1": 0.5, "beta2": 0.75, "eps": 0.1}, None),
    ("adam-step-lr", lambda: gone.Adam(lr=None, beta1=0.8, beta2=0.9, eps=1e-3), ref_adam,
     {"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "eps": 1e-3}, 0.01),
]


def test_every_registered_optimizer_is_in_the_table():
    tested = {type(make()).__name__.lower() for _, make, _, _, _ in CASES}
    assert tested == set(optimizers._REGISTRY)


@pytest.mark.parametrize("make, reference, settings, step_lr",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_three_steps_match_the_hand_written_rule(make, reference, settings, step_lr):
    opt = make()
    params = [p.copy() for p in PARAMS]
    live = list(params)
    expected = reference(PARAMS, GRADS, **settings)
    for t, (grads, want) in enumerate(zip(GRADS, expected), start=1):
        opt.step(params, [g.copy() for g in grads], step_lr)
        assert opt.t == t
        for got, ref in zip(params, want):
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    assert all(a is b for a, b in zip(params, live))  # updated in place
    assert not np.allclose(params[0], PARAMS[0])


@pytest.mark.parametrize("make, reference, settings, step_lr",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_float32_parameters_stay_float32(make, reference, settings, step_lr):
    opt = make()
    params = [p.astype(np.float32) for p in PARAMS]
    for grads in GRADS:
        opt.step(params, [g.astype(np.float32) for g in grads], step_lr)
    expected = reference(PARAMS, GRADS, **settings)[-1]
    for got, ref in zip(params, expected):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


# --- a few steps by hand, with literal numbers --------------------------------------

def _run(opt, grads, p0=1.0, lr=None):
    p = np.array([p0])
    out = []
    for g in grads:
        opt.step([p], [np.array([g], dtype=float)], lr)
        out.append(float(p[0]))
    return out


def test_momentum_by_hand():
    # v = 1, 1.9, 2.71; p = 1 - 0.1 v cumulatively
    assert _run(gone.Momentum(0.1, momentum=0.9), [1, 1, 1]) == pytest.approx([0.9, 0.71, 0.439])


def test_nesterov_by_hand():
    # steps g + 0.9 v = 1.9, 2.71, 3.439
    assert _run(gone.Nesterov(0.1, momentum=0.9), [1, 1, 1]) == pytest.approx(
        [0.81, 0.539, 0.1951])


def test_rmsprop_by_hand():
    # s = 0.1 g^2 on the first step, so the step is lr * g / sqrt(0.1 g^2) = lr * sqrt(10)
    for g in (0.1, 1.0, 50.0):
        assert _run(gone.RMSprop(0.01), [g]) == pytest.approx([1 - 0.01 * math.sqrt(10)])


@pytest.mark.parametrize("g", [1e-3, -0.5, 1.0, 1e3])
def test_adam_bias_correction_makes_the_first_step_lr_sized(g):
    # m_hat = g and v_hat = g^2 after one step, so p moves by lr * sign(g).
    # Without the correction it would move by lr * 0.1 / sqrt(0.001) = 3.16 lr.
    assert _run(gone.Adam(0.01), [g]) == pytest.approx([1 - 0.01 * math.copysign(1, g)], rel=1e-6)


def test_adam_constant_gradient_keeps_lr_sized_steps():
    p = _run(gone.Adam(0.01, eps=1e-12), [2.0] * 5)
    np.testing.assert_allclose(np.diff([1.0] + p), -0.01, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(optimizers._REGISTRY))
def test_integer_gradients_are_never_silently_dropped(name):
    opt = optimizers.get(name)
    reference = optimizers.get(name)
    p, q = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    try:
        opt.step([p], [np.array([1, -3])], 0.1)
    except TypeError:  # refusing is fine (numpy's casting error) ...
        return
    reference.step([q], [np.array([1.0, -3.0])], 0.1)  # ... but a step must be the float one
    np.testing.assert_allclose(p, q)


def test_zero_gradient_leaves_parameters_alone():
    for name in optimizers._REGISTRY:
        assert _run(optimizers.get(name), [0.0, 0.0], lr=0.1) == [1.0, 1.0]


# --- the learning rate ----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(optimizers._REGISTRY))
def test_lr_none_uses_the_lr_passed_to_step(name):
    cls = optimizers._REGISTRY[name]
    a, b = cls(lr=None), cls(lr=0.3)
    pa, pb = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    for g in ([0.5, 1.0], [-1.0, 2.0]):
        a.step([pa], [np.array(g)], 0.3)
        b.step([pb], [np.array(g)], 99.0)  # ignored: b has its own lr
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(pa, [1.0, -2.0])


@pytest.mark.parametrize("name", sorted(optimizers._REGISTRY))
def test_no_learning_rate_anywhere_raises(name):
    opt = optimizers._REGISTRY[name](lr=None)
    with pytest.raises(gone.ConfigError, match="learning rate"):
        opt.step([np.zeros(2)], [np.ones(2)], None)
    with pytest.raises(gone.ConfigError, match="learning rate"):
        opt.step([np.zeros(2)], [np.ones(2)], -0.1)


def test_network_learning_rate_is_the_default_lr(rng):
    net = gone.Network([2, 1], learning_rate=0.25, seed=rng)
    w0 = net.flat.copy()
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0]])
    _, grads = net.gradients(x, y)
    net.train_step(x, y, gone.GD())
    np.testing.assert_allclose(net.flat, w0 - 0.25 * np.concatenate([g.ravel() for g in grads]))


# --- defaults and validation ----------------------------------------------------------

def test_batch_size_defaults():
    assert gone.SGD().batch_size == 1
    assert gone.GD().batch_size is None
    assert gone.MBGD(16).batch_size == 16
    assert gone.MBGD(batch_size=8, lr=0.1).batch_size == 8
    assert gone.MBGD().batch_size == 32
    for cls in (gone.Momentum, gone.Nesterov, gone.RMSprop, gone.Adam):
        assert cls().batch_size == 32
        assert cls(batch_size=None).batch_size is None
        assert cls(batch_size=4.0).batch_size == 4


def test_other_defaults():
    assert gone.GD().lr is None and gone.Momentum().lr is None
    assert gone.Momentum().momentum == 0.9 and gone.Nesterov().momentum == 0.9
    assert (gone.RMSprop().lr, gone.RMSprop().rho, gone.RMSprop().eps) == (0.001, 0.9, 1e-8)
    adam = gone.Adam()
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (0.001, 0.9, 0.999, 1e-8)


BAD_SETTINGS = [
    (gone.SGD, {"lr": 0}), (gone.SGD, {"lr": -0.1}), (gone.GD, {"lr": float("nan")}),
    (gone.GD, {"lr": float("inf")}), (gone.Adam, {"lr": "fast"}),
    (gone.SGD, {"batch_size": 0}), (gone.GD, {"batch_size": -4}),
    (gone.MBGD, {"batch_size": 2.5}), (gone.MBGD, {"batch_size": "8"}),
    (gone.Adam, {"batch_size": float("nan")}), (gone.Adam, {"batch_size": float("inf")}),
    (gone.Momentum, {"momentum": 1.0}), (gone.Momentum, {"momentum": -0.1}),
    (gone.Nesterov, {"momentum": 1.5}), (gone.Nesterov, {"momentum": float("nan")}),
    (gone.RMSprop, {"rho": 1.0}), (gone.RMSprop, {"rho": -0.5}), (gone.RMSprop, {"eps": 0.0}),
    (gone.RMSprop, {"eps": -1e-8}), (gone.Adam, {"beta1": 1.0}), (gone.Adam, {"beta1": -0.1}),
    (gone.Adam, {"beta2": 1.0}), (gone.Adam, {"beta2": 2.0}), (gone.Adam, {"eps": 0.0}),
    (gone.Adam, {"eps": float("nan")}),
]


@pytest.mark.parametrize("cls, kwargs", BAD_SETTINGS,
                         ids=[f"{c.__name__}-{k}" for c, k in BAD_SETTINGS])
def test_invalid_settings_raise_config_error(cls, kwargs):
    with pytest.raises(gone.ConfigError):
        cls(**kwargs)


def test_edge_settings_are_accepted():
    gone.Momentum(momentum=0.0)
    gone.RMSprop(rho=0.0)
    gone.Adam(beta1=0.0, beta2=0.0)
    gone.MBGD(1)


def test_get_by_name_class_or_instance():
    for name, cls in optimizers._REGISTRY.items():
        assert type(optimizers.get(name.upper())) is cls
        assert type(optimizers.get(cls)) is cls
    adam = gone.Adam()
    assert optimizers.get(adam) is adam
    with pytest.raises(gone.ConfigError) as info:
        optimizers.get("adamw")
    for name in optimizers._REGISTRY:
        assert name in str(info.value)


def test_hyperparams_hold_every_numeric_setting():
    assert gone.Momentum(0.1, momentum=0.5, batch_size=8).hyperparams() == {
        "momentum": 0.5, "lr": 0.1, "batch_size": 8.0}
    assert gone.GD().hyperparams() == {}
    assert gone.Adam(lr=None, batch_size=None).hyperparams() == {
        "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


# --- state ------------------------------------------------------------------------------

def _stepped(opt, shapes=((2, 3), (3,))):
    params = [np.zeros(s) for s in shapes]
    opt.step(params, [np.ones(s) for s in shapes], 0.1)
    return opt


@pytest.mark.parametrize("name", sorted(n for n, c in optimizers._REGISTRY.items() if c.slots))
def test_check_params_rejects_state_of_another_shape(name):
    opt = _stepped(optimizers.get(name))
    opt.check_params([np.zeros((2, 3)), np.zeros(3)])  # the same shapes: fine
    for other in ([np.zeros((3, 2)), np.zeros(3)], [np.zeros((2, 3))], [np.zeros(9)],
                  [np.zeros((2, 3)), np.zeros(3), np.zeros(1)]):
        with pytest.raises(gone.ConfigError, match="shapes"):
            opt.check_params(other)


def test_check_params_is_fine_before_the_first_step_and_without_state():
    gone.Adam().check_params([np.zeros(5)])
    _stepped(gone.SGD()).check_params([np.zeros(7)])  # GD keeps no state


def test_a_network_refuses_an_optimizer_stepped_on_another_network(rng):
    adam = gone.Adam()
    small = gone.Network([2, 1], seed=rng)
    small.train_step([1.0, 0.0], [1.0], adam)
    big = gone.Network([3, 2], seed=rng)
    with pytest.raises(gone.ConfigError):
        big.train_step([1.0, 0.0, 0.0], [1.0, 0.0], adam)


FROM_STATE = {
    "gd": lambda: gone.GD(lr=0.1),
    "gd-no-lr": lambda: gone.GD(),
    "sgd": lambda: gone.SGD(0.2),
    "mbgd": lambda: gone.MBGD(7, lr=0.05),
    "momentum": lambda: gone.Momentum(lr=None, momentum=0.6, batch_size=None),
    "nesterov": lambda: gone.Nesterov(0.1, momentum=0.8),
    "rmsprop": lambda: gone.RMSprop(lr=None, rho=0.7, eps=1e-4),
    "adam": lambda: gone.Adam(lr=0.02, beta1=0.8, beta2=0.95, eps=1e-6),
    "adam-no-lr": lambda: gone.Adam(lr=None),
}


@pytest.mark.parametrize("key", sorted(FROM_STATE))
def test_from_state_rebuilds_an_optimizer_that_continues_identically(key, rng):
    original = FROM_STATE[key]()
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(5)]
    for g in grads[:2]:
        original.step(params, [x.copy() for x in g], 0.1)
    saved = {k: [a.copy() for a in v] for k, v in original.state.items()}
    twin = optimizers.from_state(original.name, original.hyperparams(), original.t, saved)
    assert type(twin) is type(original)
    assert twin.hyperparams() == original.hyperparams()
    assert (twin.lr, twin.batch_size, twin.t) == (original.lr, original.batch_size, 2)
    for arrays in saved.values():  # the rebuilt state is a copy
        for a in arrays:
            a += 1000
    twin_params = [p.copy() for p in params]
    for g in grads[2:]:
        original.step(params, [x.copy() for x in g], 0.1)
        twin.step(twin_params, [x.copy() for x in g], 0.1)
    for a, b in zip(params, twin_params):
        np.testing.assert_array_equal(a, b)


def test_from_state_keeps_lr_none_instead_of_the_class_default():
    twin = optimizers.from_state("adam", gone.Adam(lr=None).hyperparams(), 0, {"m": [], "v": []})
    assert twin.lr is None
    twin = optimizers.from_state("gd", {}, 0, {})
    assert twin.batch_size is None


@pytest.mark.parametrize("name, hyperparams, step, slots", [
    ("adamw", {}, 0, {}),
    ("adam", {}, 1, {"m": [np.zeros(2)]}),  # a slot missing
    ("gd", {}, 1, {"velocity": [np.zeros(2)]}),  # a slot too many
    ("adam", {"momentum": 0.9}, 0, {"m": [], "v": []}),  # a setting adam does not have
    ("momentum", {"momentum": 1.5}, 0, {"velocity": []}),
    ("sgd", {"batch_size": float("nan")}, 0, {}),
    ("sgd", {"lr": -1.0}, 0, {}),
    ("adam", {}, -1, {"m": [], "v": []}),
    ("adam", {}, 1.5, {"m": [], "v": []}),
])
def test_from_state_rejects_bad_saved_state(name, hyperparams, step, slots):
    with pytest.raises(gone.ConfigError):
        optimizers.from_state(name, hyperparams, step, slots)
