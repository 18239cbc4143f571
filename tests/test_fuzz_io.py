"""Byte-level fuzzing of .gone files: a corrupt file loads or raises GoneFormatError, nothing else."""

import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import gone
from gone.format import network as gio

N_CASES = 6000
# Doubles that probe the validation: non-finite, beyond float32, huge counts, -0.
INTERESTING = np.array([np.nan, np.inf, -np.inf, 1e300, -4e38, 2.0**31, -0.0, 5e-324])


def _go_compatible():
    return gone.Network([3, gone.Dense(4, "sigmoid"), gone.Dense(3, "relu"), 2], seed=1)


def _softmax_adam():
    net = gone.Network([4, gone.Dense(5, "tanh", dropout=0.1),
                        gone.Dense(3, "softmax")], loss="cross_entropy", seed=2)
    rng = np.random.default_rng(0)
    net.train(rng.normal(size=(12, 4)), rng.integers(0, 3, 12),
              optimizer=gone.Adam(batch_size=4), epochs=2)
    return net


def _float32_metadata():
    return gone.Network([2, gone.Dense(3, gone.activations.leaky_relu(0.2), bias=False, l2=0.01),
                         gone.Dense(2, gone.activations.isru(0.5))], dtype="float32", seed=3,
                        metadata={"fitness": 7.25, "generation": 12, "notes": "fuzz", "k": "v"})


BASES = {"go": _go_compatible, "softmax_adam": _softmax_adam, "float32_meta": _float32_metadata}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The bytes of real files gone wrote."""
    folder = tmp_path_factory.mktemp("fuzz")
    out = {}
    for name, make in BASES.items():
        path = folder / f"{name}.gone"
        gone.save(make(), path)
        out[name] = path.read_bytes()
        gone.load(path)  # the unmutated files are valid
    assert gone.format.network.load_file(folder / "softmax_adam.gone")[0].optimizer.t > 0
    return out


def mutate(data: bytes, others: list[bytes], rng: np.random.Generator) -> bytes:
    """One to three random flips, byte sets, inserts, deletes, truncations, splices or
    overwrites of 8 bytes with an interesting double."""
    buf = bytearray(data)
    for _ in range(rng.integers(1, 4)):
        op = rng.integers(8)
        pos = int(rng.integers(0, len(buf) + 1))
        if op == 0 and buf:    # flip one bit
            i = min(pos, len(buf) - 1)
            buf[i] ^= 1 << int(rng.integers(8))
        elif op == 1 and buf:  # set one byte (often to an interesting value)
            i = min(pos, len(buf) - 1)
            buf[i] = int(rng.choice([0x00, 0x7F, 0x80, 0xFF, rng.integers(256)]))
        elif op == 2:          # insert random bytes
            buf[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
        elif op == 3:          # delete a run
            del buf[pos:pos + int(rng.integers(1, 17))]
        elif op == 4:          # truncate
            del buf[pos:]
        elif op == 5:          # splice in a chunk of another real file
            src = others[int(rng.integers(len(others)))]
            start = int(rng.integers(len(src)))
            buf[pos:pos] = src[start:start + int(rng.integers(1, 40))]
        elif op == 6:          # duplicate a chunk of this file (repeated fields, overlaps)
            start = int(rng.integers(len(buf) + 1))
            buf[pos:pos] = buf[start:start + int(rng.integers(1, 40))]
        else:                  # overwrite 8 bytes, often exactly a double, with a special value
            buf[pos:pos + 8] = INTERESTING[rng.integers(len(INTERESTING))].tobytes()
    return bytes(buf)


def test_fuzz_load(corpus):
    """Mutations hit the body of a file. Re-sealed (a fresh checksum), they reach
    the structural checks; with the old checksum they must be rejected."""
    rng = np.random.default_rng(20240601)
    names = sorted(corpus)
    bodies = [corpus[n][:-gio._TRAILER] for n in names]
    outcomes = {"loaded": 0, "rejected": 0}
    messages = set()
    for case in range(N_CASES):
        original = corpus[names[case % len(names)]]
        body = mutate(bodies[case % len(bodies)], bodies, rng)
        resealed = case % 2 == 0
        data = gio.seal(body) if resealed else body + original[-gio._TRAILER:]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a warning while loading is a bug too
                net = gio.loads(data, f"case {case}")
        except gone.GoneFormatError as exc:
            outcomes["rejected"] += 1
            assert str(exc).startswith(f"case {case}: "), exc
            messages.add(str(exc).split(": ", 1)[1][:25])
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"case {case} ({names[case % 3]}, {len(data)} bytes): "
                                 f"{type(exc).__name__}: {exc}\n{data!r}") from exc
        outcomes["loaded"] += 1
        # With a stale checksum only an unchanged file, or one whose mutations left
        # nothing but the Go library's fields (a Go-layout file needs no seal), loads.
        assert resealed or data == original or gio.go_layout(
            data, gio.pb.NeuralNetwork.FromString(data)), case
        x = np.linspace(-1.0, 1.0, 2 * net.n_inputs).reshape(2, net.n_inputs)
        with np.errstate(all="ignore"):  # mutated weights may be huge; overflow is fine
            out = net.predict(x)
        assert out.shape == (2, net.n_outputs) and out.dtype == net.dtype
        # Whatever loaded saves and loads again to the same network.
        again = gio.loads(gio.dumps(net))
        assert np.array_equal(again.flat, net.flat) and again.sizes == net.sizes
    # Both paths must have been exercised, and many different errors reported.
    assert outcomes["loaded"] > N_CASES // 20 and outcomes["rejected"] > N_CASES // 4, outcomes
    assert len(messages) > 10, messages


# --- every loader outcome under a memory cap, in a child process ---------------------

CAPPED_CASES = 3000
MEMORY_CAP = 1 << 30        # bytes of address space for the child
SECONDS_PER_FILE = 2.0      # generous on a loaded 2-core machine; a real load takes ~1 ms


def _cnn():
    return gone.Network([(1, 6, 6), gone.Conv2D(2, 3, padding="same", activation="relu"),
                         gone.MaxPool2D(2), gone.Flatten(), gone.Dense(3, "softmax")],
                        loss="cross_entropy", seed=4)


def capped_worker(seed: int, n: int) -> dict:
    """Load ``n`` mutated or truncated files; only GoneFormatError may come out."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    rng = np.random.default_rng(seed)
    files = [gio.dumps(make()) for make in (*BASES.values(), _cnn)]
    counts, slowest = {"loaded": 0, "rejected": 0}, 0.0
    for case in range(n):
        data = files[case % len(files)]
        if case % 4 == 0:  # a clean cut anywhere
            data = data[:int(rng.integers(0, len(data)))]
        else:
            data = mutate(data, files, rng)
            data = gio.seal(data[2:-gio._TRAILER]) if case % 4 == 1 else data
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                gio.loads(data, f"case {case}")
            counts["loaded"] += 1
        except gone.GoneFormatError:
            counts["rejected"] += 1
        except BaseException as exc:  # noqa: BLE001 - the point of the test
            return {"error": f"case {case}: {type(exc).__name__}: {exc}", "data": data.hex()}
        slowest = max(slowest, time.perf_counter() - t0)
    return {**counts, "slowest_s": slowest}


def test_fuzz_load_in_a_memory_capped_child():
    """Thousands of damaged network files (also conv nets) under a 1 GB address-space
    cap: each loads or raises GoneFormatError, within a per-file time bound."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, "--capped", "20240602", str(CAPPED_CASES)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in result, result
    assert result["loaded"] + result["rejected"] == CAPPED_CASES
    assert result["loaded"] > CAPPED_CASES // 50 and result["rejected"] > CAPPED_CASES // 2, result
    assert result["slowest_s"] < SECONDS_PER_FILE, result


if __name__ == "__main__" and sys.argv[1:2] == ["--capped"]:
    print(json.dumps(capped_worker(int(sys.argv[2]), int(sys.argv[3]))))
