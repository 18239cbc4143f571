"""The one Layer protocol: a user's own layer trains, saves, loads and evolves like Dense;
Dense subclasses keep their class; a class that breaks the protocol is a ConfigError."""

import ast
import pathlib

import numpy as np
import pytest

import gone
from gone import gradcheck
from gone.nn.layers.base import LAYERS


@gone.register_layer
class Scale(gone.Layer):
    """``y = x * s`` with one learnt factor per unit."""

    kind = "test_scale"

    def __init__(self, start: float = 1.0):
        self.start = float(start)

    def build(self, input_shape):
        return tuple(input_shape)

    def param_shapes(self):
        return [self.input_shape]

    def initial_params(self, rng, dtype, default_init):
        return [np.full(self.input_shape, self.start, dtype)]

    def forward(self, x, rng):
        return x * self.params[0], x

    def backward(self, grad_y, cache, grads, need_input_grad=True, scale=1.0):
        grads[0][...] = np.sum(grad_y * cache, axis=0)
        return grad_y * self.params[0] if need_input_grad else None

    def config(self):
        return {"start": self.start}


def scale_net(seed=0, start=0.5):
    return gone.Network([3, gone.Dense(4, "tanh"), Scale(start), gone.Dense(2)], seed=seed)


def test_user_layer_gradient_matches_finite_differences(rng):
    net = scale_net(seed=rng)
    assert gradcheck.check_network(net, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))) < 1e-5


def test_user_layer_trains(rng):
    x = rng.normal(size=(64, 3))
    y = np.stack([np.tanh(x @ [1.0, -2.0, 0.5]), x[:, 0] * 3], axis=1)
    net = scale_net()
    before = net.layers[1].params[0].copy()
    history = net.train(x, y, optimizer=gone.Adam(lr=0.02, batch_size=16), epochs=60)
    assert history.loss[-1] < 0.2 * history.loss[0]
    assert not np.allclose(net.layers[1].params[0], before)  # the factor itself learnt


def test_user_layer_saves_and_loads(tmp_path, rng):
    net = scale_net(start=1.5)
    net.layers[1].params[0][...] = [0.5, -1.0, 2.0, 3.0]
    net.save(tmp_path / "scale.gone")
    back = gone.load(tmp_path / "scale.gone")
    assert type(back.layers[1]) is Scale and back.layers[1].start == 1.5
    x = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    np.testing.assert_array_equal(back.flat, net.flat)


def test_user_layer_evolves_with_a_per_network_fitness(rng):
    x = rng.normal(size=(32, 3))
    y = np.stack([x[:, 0] - x[:, 1], 2 * x[:, 2]], axis=1)

    def fitness(net):
        assert type(net.layers[1]) is Scale
        return -float(np.mean((net.predict(x) - y) ** 2))

    pop = gone.Population(scale_net(), 24, strategy=gone.GA(), seed=3)
    first = pop.tell(pop.evaluate(fitness))["best"]
    for _ in range(15):
        pop.tell(pop.evaluate(fitness))
    assert pop.best_fitness > first
    assert type(pop.best.layers[1]) is Scale
    # the vectorised path runs the same networks (the user layer network by network)
    stacked = pop.stacked()
    expected = np.stack([stacked.network(i).predict(x) for i in range(stacked.size)])
    np.testing.assert_allclose(stacked.predict(x), expected, rtol=1e-12, atol=1e-12)


class MyDense(gone.Dense):
    """A Dense subclass that only doubles its output."""

    def predict(self, x):
        return 2 * super().predict(x)

    def forward(self, x, rng):
        a, cache = super().forward(x, rng)
        return 2 * a, cache


def test_a_dense_subclass_is_kept_not_replaced(tmp_path):
    net = gone.Network([2, MyDense(3, "tanh"), 1], seed=0)
    assert type(net.layers[0]) is MyDense
    assert type(net.copy().layers[0]) is MyDense
    pop = gone.Population(net, 4, seed=0)
    pop.tell(pop.evaluate(lambda n: float(type(n.layers[0]) is MyDense)))
    assert pop.best_fitness == 1.0
    plain = gone.Network([2, gone.Dense(3, "tanh"), 1], seed=0)
    x = np.ones((1, 2))
    np.testing.assert_allclose(net.layers[0].predict(x), 2 * plain.layers[0].predict(x))
    # saving it as "dense" would load a plain Dense: refused, naming the fix
    with pytest.raises(gone.ConfigError, match="MyDense is not the class registered as kind 'dense'"):
        net.save(tmp_path / "x.gone")


@pytest.mark.parametrize("missing, body", [
    ("forward(x, rng)", {"build": lambda self, s: s,
                         "backward": lambda self, g, c, gr, n=True, s=1.0: g}),
    ("backward(grad_y, cache, grads, need_input_grad, scale)",
     {"build": lambda self, s: s, "forward": lambda self, x, rng: (x, None)}),
    ("build(input_shape) (it takes other arguments)",
     {"build": lambda self: (1,), "forward": lambda self, x, rng: (x, None),
      "backward": lambda self, g, c, gr, n=True, s=1.0: g}),
])
def test_a_class_breaking_the_protocol_is_a_config_error_naming_the_gap(missing, body):
    broken = type("Broken", (gone.Layer,), {"kind": "broken", **body})
    with pytest.raises(gone.ConfigError, match=r"Broken does not follow the Layer protocol: "
                                               r"missing .*" + missing.replace("(", r"\(")
                                               .replace(")", r"\)")):
        gone.Network([2, broken(), 1])
    with pytest.raises(gone.ConfigError, match="missing"):
        gone.register_layer(broken)
    assert "broken" not in LAYERS


def test_a_duck_typed_object_without_a_kind_is_a_config_error():
    class NoKind:
        def forward(self, x, rng):
            return x, None

    with pytest.raises(gone.ConfigError, match=r"missing kind \(a non-empty string\)"):
        gone.Network([2, NoKind(), 1])
    with pytest.raises(gone.ConfigError, match="must be an int .* or a layer"):
        gone.Network([2, "relu", 1])


def test_from_arrays_of_to_arrays_keeps_activations(rng):
    net = gone.Network([3, gone.Dense(4, gone.activations.leaky_relu(0.2)), gone.Dense(5, "tanh"),
                        gone.Dense(2, "sigmoid", bias=False)], seed=rng)
    twin = gone.Network.from_arrays(*net.to_arrays())
    assert [l.activation for l in twin.layers] == [l.activation for l in net.layers]
    x = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(twin.predict(x), net.predict(x))
    assert twin.to_arrays()[2] == net.to_arrays()[2]


def test_stacked_networks_run_image_layers(rng):
    net = gone.Network([(1, 5, 5), gone.Conv2D(2, 3, activation="relu"), gone.MaxPool2D(2),
                        gone.Flatten(), gone.Dense(3)], seed=0)
    genomes = rng.normal(size=(4, net.n_params))
    stacked = gone.StackedNetworks(net, genomes)
    x = rng.normal(size=(6, 1, 5, 5))
    expected = np.stack([net.with_genome(g).predict(x) for g in genomes])
    np.testing.assert_allclose(stacked.predict(x), expected, rtol=1e-12, atol=1e-12)


def test_the_core_imports_neither_formats_nor_evolution():
    """gone.nn is the bottom layer above gone._base: no import of gone.format, gone.evolution."""
    root = pathlib.Path(gone.__file__).parent / "nn"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = "." * node.level + (node.module or "")
                assert not any(part in ("format", "evolution", "cli", "graph")
                               for part in target.strip(".").split(".")), (path, target)


def test_protocol_random_genomes_draw_the_bits_the_evolution_engine_draws():
    """gone.nn.genome.random_genomes (through initial_params) can replace the Dense-shaped walk."""
    from gone.evolution.init import random_genomes as engine
    from gone.nn.genome import random_genomes

    for net in (gone.Network([3, gone.Dense(4, "tanh", init="he"), gone.Dense(2, bias=False)], seed=0),
                gone.Network([(1, 5, 5), gone.Conv2D(2, 3), gone.MaxPool2D(2), gone.Flatten(),
                              gone.Dense(3)], seed=0, init="uniform")):
        np.testing.assert_array_equal(random_genomes(net, 5, np.random.default_rng(1)),
                                      engine(net, 5, np.random.default_rng(1)))
    scaled = random_genomes(scale_net(start=0.25), 3, np.random.default_rng(0))
    assert np.all(scaled[:, 16:20] == 0.25)  # the user layer's own starting values


def test_an_unregistered_layer_trains_but_saving_it_names_the_fix(tmp_path):
    class Twice(Scale):
        kind = "test_twice_unregistered"

    net = gone.Network([2, Twice(2.0), 1], seed=0)
    np.testing.assert_allclose(net.layers[0].predict(np.ones((1, 2))), [[2.0, 2.0]])
    with pytest.raises(gone.ConfigError, match="not registered; register Twice with "
                                               "gone.register_layer"):
        net.save(tmp_path / "t.gone")
    assert not (tmp_path / "t.gone").exists()


def test_a_file_naming_an_unknown_kind_is_a_format_error(tmp_path):
    net = scale_net()
    net.save(tmp_path / "s.gone")
    data = (tmp_path / "s.gone").read_bytes().replace(b"test_scale", b"test_scalx")
    from gone.format import network as gio

    body = gio.pb.NeuralNetwork.FromString(data[2:-gio._TRAILER]).SerializeToString()
    with pytest.raises(gone.GoneFormatError, match="layer kind 'test_scalx' is not known"):
        gio.loads(gio.seal(body))
