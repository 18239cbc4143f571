"""Translation maps: symbols in, nearest symbols out."""

import numpy as np
import pytest

import gone

LETTERS = {"w": 0.1, "h": 0.2, "e": 0.3, "n": 0.4, "a": 0.5, "t": 0.6}


def identity_net(n):
    return gone.Network.from_arrays([np.eye(n)], [np.zeros(n)])


def test_symbols_in_and_nearest_symbol_out():
    net = identity_net(1)
    assert net.predict("h", translate_in=LETTERS, translate_out=LETTERS) == "h"
    # easy-neurons' inverse orientation {value: symbol} works too
    inverse = {v: k for k, v in LETTERS.items()}
    assert net.predict("e", translate_in=LETTERS, translate_out=inverse) == "e"
    assert net.predict(["w", "t"], translate_in=LETTERS, translate_out=LETTERS) == ["w", "t"]


def test_nearest_not_exact():
    net = gone.Network.from_arrays([np.eye(1)], [np.array([0.04])])  # output = input + 0.04
    assert net.predict("h", translate_in=LETTERS, translate_out=LETTERS) == "h"  # 0.24 -> h
    net = gone.Network.from_arrays([np.eye(1)], [np.array([0.07])])
    assert net.predict("h", translate_in=LETTERS, translate_out=LETTERS) == "e"  # 0.27 -> e


def test_vector_decoding_picks_the_nearest_row():
    classes = {"cat": [1, 0, 0], "dog": [0, 1, 0], "fox": [0, 0, 1]}
    net = identity_net(3)
    assert net.predict([0.2, 0.7, 0.1], translate_out=classes) == "dog"
    assert net.predict(np.array([[0.9, 0, 0], [0, 0, 0.8]]), translate_out=classes) == ["cat", "fox"]


def test_multi_input_rows_of_symbols():
    net = identity_net(2)
    out = net.predict([["w", "h"], ["a", "t"]], translate_in=LETTERS, translate_out=LETTERS)
    assert out == [["w", "h"], ["a", "t"]]


def test_unknown_symbol_is_an_input_error():
    with pytest.raises(gone.InputError, match="'z' is not in the input translation map"):
        identity_net(1).predict("z", translate_in=LETTERS)
