"""Generator states as text: exact round trips, and only known bit generators with their own layout."""

import json

import numpy as np
import pytest

import gone
from gone._base.rng import BIT_GENERATORS, MAX_STATE_TEXT, rng_from_json, state_to_json


@pytest.mark.parametrize("name", sorted(BIT_GENERATORS))
def test_every_known_bit_generator_round_trips_exactly(name):
    rng = np.random.Generator(BIT_GENERATORS[name](123))
    rng.random(7)
    rng.integers(0, 5, size=3)  # PCG64 keeps a spare uint32: part of the state
    back = rng_from_json(state_to_json(rng))
    assert type(back.bit_generator) is type(rng.bit_generator)
    assert np.array_equal(back.random(20), rng.random(20))


def tampered(edit, name="PCG64"):
    state = json.loads(state_to_json(np.random.Generator(BIT_GENERATORS[name](1))))
    edit(state)
    return json.dumps(state)


@pytest.mark.parametrize("text, message", [
    ('{"bit_generator": "seed", "state": {}}', "not one of"),              # numpy's global seed()
    ('{"bit_generator": "RandomState"}', "not one of"),
    ('{"bit_generator": ["PCG64"]}', "not one of"),
    ("[]", "not one of"),
    ('{"bit_generator": "PCG64"', "not a saved random generator state"),
    ("[" * 10_000, "not a saved random generator state"),
    (" " * (MAX_STATE_TEXT + 1), "longer than"),
    (tampered(lambda s: s["state"].update(state="1")), "non-negative integer"),
    (tampered(lambda s: s["state"].update(state=-5)), "non-negative integer"),
    (tampered(lambda s: s["state"].update(state=2**300)), "non-negative integer"),
    (tampered(lambda s: s.update(has_uint32=True)), "non-negative integer"),
    (tampered(lambda s: s["state"].update(extra=1)), "expected keys"),
    (tampered(lambda s: s.pop("uinteger")), "expected keys"),
    (tampered(lambda s: s["state"]["key"].update({"__ndarray__": "|S1000000000"}), "MT19937"),
     "dtype <u4"),
    (tampered(lambda s: s["state"]["key"].update(data=[1] * 625), "MT19937"), "624 integers"),
    (tampered(lambda s: s["state"]["key"]["data"].__setitem__(0, 2**40), "MT19937"),
     "624 integers"),
    (tampered(lambda s: s["state"]["key"]["data"].__setitem__(0, 1.5), "MT19937"),
     "624 integers"),
])
def test_anything_else_is_a_config_error(text, message):
    with pytest.raises(gone.ConfigError, match=message):
        rng_from_json(text)


def test_a_hostile_state_does_not_touch_numpys_global_generator():
    before = np.random.get_state()  # observed, never set: gone does not use it
    with pytest.raises(gone.ConfigError):
        rng_from_json('{"bit_generator": "seed"}')
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
