"""Byte-level fuzzing of the data readers: IDX (plain, gzipped, float), Kaggle CSV, table CSV/.npy.

Whatever the bytes, a reader returns arrays or raises gone.DatasetError, nothing
else, within a memory cap (``resource.setrlimit`` in a child process, so a
reader that allocates what a damaged header declares fails the test instead of
the machine) and a time cap per file. Seeded; ``GONE_FUZZ_CASES`` runs more.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource", reason="setrlimit is POSIX-only")

CASES = int(os.environ.get("GONE_FUZZ_CASES", "3000"))
MEMORY_CAP = 1 << 31      # bytes of address space for the child (numpy itself needs ~0.5 GB)
SECONDS_PER_FILE = 5

CHILD = textwrap.dedent(r"""
    import gzip, io, json, resource, signal, struct, sys, traceback
    from pathlib import Path

    cases, seed, folder, cap, seconds = (int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]),
                                         int(sys.argv[4]), int(sys.argv[5]))
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import numpy as np
    import gone
    from gone import datasets

    rng = np.random.default_rng(seed)

    def idx(array, code):
        return (struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
                + array.astype({0x08: ">u1", 0x0D: ">f4", 0x0C: ">i4"}[code]).tobytes())

    images = rng.integers(0, 256, size=(3, 28, 28))
    kaggle = "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n" + "".join(
        f"{i % 10}," + ",".join(map(str, rng.integers(0, 256, 784))) + "\n" for i in range(2))
    table = "a,b,label\n" + "".join(f"{a:.3f},{b:.2f},{i % 3}\n"
                                    for i, (a, b) in enumerate(rng.normal(size=(6, 2))))
    npy = io.BytesIO()
    np.save(npy, rng.normal(size=(4, 3)))
    labels = idx(np.arange(3), 0x08)
    bases = {  # name: (file name, bytes, reader)
        "idx": ("images-idx3-ubyte", idx(images, 0x08), datasets.read_idx),
        "idx-float": ("floats-idx", idx(rng.normal(size=(2, 5)), 0x0D), datasets.read_idx),
        "idx-gz": ("images-idx3-ubyte.gz", gzip.compress(idx(images, 0x08), mtime=0),
                   datasets.read_idx),
        "idx-pair": ("images-idx3-ubyte", idx(images, 0x08),
                     lambda p: datasets.load_idx(p, folder / "labels")),
        "labels": ("labels-idx1-ubyte", labels,
                   lambda p: datasets.load_idx(folder / "images", p)),
        "kaggle": ("train.csv", kaggle.encode(), datasets.load_kaggle_csv),
        "table": ("t.csv", table.encode(), lambda p: datasets.load_table(p, target="label")),
        "npy": ("t.npy", npy.getvalue(), datasets.load_table),
    }
    (folder / "labels").write_bytes(labels)
    (folder / "images").write_bytes(idx(images, 0x08))
    TEXT = [b"nan", b"inf", b"-inf", b"1e999", b"1_0", b",", b"\n", b"\x00", b"\r", b"\"",
            b"#", b"\xff\xfe", b"-", b" ", b"0x1F", b"label"]
    WORDS = [0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 28, 784, 60000]

    def mutate(data):
        buf = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            op, pos = int(rng.integers(7)), int(rng.integers(0, len(buf) + 1))
            if op == 0 and buf:
                buf[min(pos, len(buf) - 1)] ^= 1 << int(rng.integers(8))
            elif op == 1 and buf:
                buf[min(pos, len(buf) - 1)] = int(rng.integers(256))
            elif op == 2:
                buf[pos:pos] = TEXT[int(rng.integers(len(TEXT)))]
            elif op == 3:
                del buf[pos:pos + int(rng.integers(1, 16))]
            elif op == 4:
                del buf[pos:]
            elif op == 5:  # a big-endian size, where IDX keeps its dimensions
                at = int(rng.integers(0, 4)) * 4 + 4 if rng.random() < 0.7 else pos
                buf[at:at + 4] = struct.pack(">I", WORDS[int(rng.integers(len(WORDS)))])
            else:
                buf[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 9))).tolist())
        return bytes(buf)

    def alarm(*_):
        raise TimeoutError(f"more than {seconds} s")

    signal.signal(signal.SIGALRM, alarm)
    names = sorted(bases)
    failures, counts = [], {"ok": 0, "DatasetError": 0}
    for case in range(cases):
        name = names[case % len(names)]
        file_name, data, read = bases[name]
        path = folder / file_name
        path.write_bytes(mutate(data))
        signal.alarm(seconds)
        try:
            read(path)
            counts["ok"] += 1
        except gone.DatasetError:
            counts["DatasetError"] += 1
        except BaseException as exc:
            failures.append({"case": case, "base": name, "error": repr(exc)[:300],
                             "where": traceback.format_exc().splitlines()[-3][:200]})
        finally:
            signal.alarm(0)
    print(json.dumps({"counts": counts, "failures": list({f["error"][:60]: f for f in failures}.values())[:10], "n_failures": len(failures)}))
""")


def test_data_readers_raise_only_dataset_error_under_a_memory_cap(tmp_path):
    done = subprocess.run([sys.executable, "-c", CHILD, str(CASES), "20261130", str(tmp_path),
                           str(MEMORY_CAP), str(SECONDS_PER_FILE)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["n_failures"] == 0, json.dumps(report, indent=1)
    # the fuzzer reaches both outcomes, so it exercises the checks and the success path
    assert report["counts"]["ok"] > CASES // 20 and report["counts"]["DatasetError"] > CASES // 4
