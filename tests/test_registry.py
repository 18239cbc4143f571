"""The one registry class every named component uses."""

import pytest

from gone._base.registry import Registry
from gone.errors import ConfigError


@pytest.fixture
def reg():
    r = Registry("widget")
    r.register("leaky_relu", 1, aliases=("lrelu",))
    r.register("sigmoid", 2)
    return r


@pytest.mark.parametrize("name", ["leaky_relu", "Leaky-ReLU", " LEAKY RELU ", "leakyrelu", "lrelu"])
def test_names_are_normalised_one_way(reg, name):
    assert reg[name] == 1 and name in reg


def test_unknown_name_suggests_the_closest_and_lists_the_known(reg):
    with pytest.raises(ConfigError, match=r"unknown widget 'sigmiod'; did you mean 'sigmoid'\? "
                                          r"\(known: leaky_relu, sigmoid\)"):
        reg["sigmiod"]


def test_no_suggestion_when_nothing_is_close(reg):
    with pytest.raises(ConfigError) as info:
        reg["zzzzzz"]
    assert "did you mean" not in str(info.value)


def test_register_as_decorator_and_refusing_a_taken_name(reg):
    @reg.register("Tanh")
    def tanh():
        return 3

    assert reg["tanh"] is tanh and reg.names() == ["leaky_relu", "sigmoid", "tanh"]
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("tanh", 4, replace=False)
