"""Atomic writes: errors name the user's path; leftovers of killed writers are cleaned up."""

import os
import signal
import subprocess
import sys
import time

import pytest

import gone
from gone._base import atomic


def net():
    return gone.Network([2, gone.Dense(3, "tanh"), 1], seed=0)


@pytest.mark.parametrize("path, reason", [
    ("/proc/x.gone", "cannot write /proc/x.gone"),
    ("{tmp}/missing/x.gone", "folder {tmp}/missing does not exist"),
    ("{tmp}", "it is a folder"),
    ("/", "not a file name"),
])
def test_save_errors_name_the_users_path_not_a_temporary(tmp_path, path, reason):
    path, reason = path.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    for save in (lambda: gone.save(net(), path), lambda: gone.save_graph(
            gone.GraphNetwork.from_network(net()), path),
            lambda: gone.Population(net(), 4, seed=0).save(path)):
        with pytest.raises(gone.GoneError) as info:
            save()
        assert reason in str(info.value) and ".tmp" not in str(info.value)
        assert isinstance(info.value, OSError)  # code catching OSError keeps working
    assert [p for p in tmp_path.iterdir()] == []


def test_stale_temporaries_of_the_same_name_are_removed_by_the_next_save(tmp_path):
    old = time.time() - 3600
    stale = tmp_path / ".a.gone.0123abcd.tmp"
    fresh = tmp_path / ".a.gone.89abcdef.tmp"   # maybe a writer that just started
    other = tmp_path / ".b.gone.0123abcd.tmp"   # another file's: not ours to judge
    for p in (stale, fresh, other):
        p.write_bytes(b"partial")
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    gone.save(net(), tmp_path / "a.gone")
    assert not stale.exists() and fresh.exists() and other.exists()
    assert gone.load(tmp_path / "a.gone").sizes == [2, 3, 1]


_HANG_MID_WRITE = r"""
import os, sys, time
import gone
os.fsync = lambda fd: (print("writing", flush=True), time.sleep(600))
gone.save(gone.Network([2, gone.Dense(3), 1], seed=0), sys.argv[1])
"""


def test_a_writer_killed_mid_save_leaves_a_temporary_the_next_save_removes(tmp_path):
    target = tmp_path / "n.gone"
    proc = subprocess.Popen([sys.executable, "-c", _HANG_MID_WRITE, str(target)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        (tmp,) = tmp_path.glob(".n.gone.*.tmp")
        os.utime(tmp, (time.time() - 3600,) * 2)
        assert atomic.remove_stale_temporaries(target) == []  # its writer is alive: kept
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.stdout.close()
    assert tmp.exists() and not target.exists()  # what kill -9 leaves behind
    gone.save(net(), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.gone"]
