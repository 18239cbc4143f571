"""The command line and the shell: completion scripts, a full stdout, signals, bugs as one line."""

import importlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import gone
from gone.cli.args import ExitCode

cli_main = importlib.import_module("gone.cli.main")  # the module (gone.cli.main is the function)
GONE = [sys.executable, "-m", "gone"]
BASH = shutil.which("bash")


def completion_script(shell, capsys):
    assert cli_main.main(["completion", shell]) == 0
    return capsys.readouterr().out


@pytest.fixture
def bash_script(tmp_path, capsys):
    path = tmp_path / "gone.bash"
    path.write_text(completion_script("bash", capsys))
    return path


def complete(script, *words):
    """What bash offers for the last of ``words`` (``gone ev`` -> ``evolve``), via COMP_WORDS."""
    quoted = " ".join(f"'{w}'" for w in words)
    code = (f"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
            "_gone; printf '%s\\n' \"${COMPREPLY[@]}\"; complete -p gone")
    out = subprocess.run([BASH, "--norc", "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    *replies, registration = out.stdout.splitlines()
    assert registration.endswith("-F _gone gone")
    return [r for r in replies if r]


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize("words, expected", [
    (("gone", "ev"), ["evolve"]),
    (("gone", "p"), ["predict", "play", "propagate"]),
    (("gone", "train", ""), ["xor", "digits", "mnist", "table"]),
    (("gone", "train", "xor", "--opt"), ["--optimizer"]),
    (("gone", "train", "xor", "--optimizer", ""), ["sgd", "adam"]),
    (("gone", "evolve", "xor", "--strategy", ""), ["ga", "es", "neat"]),
    (("gone", "evolve", "--sel"), ["--selection"]),
    (("gone", "play", ""), ["flappy", "snake"]),
    (("gone", "completion", ""), ["bash", "zsh", "fish"]),
    (("gone", "--v"), ["--version"]),
])
def test_bash_completion_from_the_parser(bash_script, words, expected):
    assert sorted(complete(bash_script, *words)) == sorted(expected)


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_bash_completion_leaves_file_arguments_to_bash(bash_script):
    # no candidates of its own: `complete -o default` falls back to file names
    assert complete(bash_script, "gone", "info", "") == []
    assert complete(bash_script, "gone", "train", "xor", "--save", "") == []


def test_every_command_and_option_is_in_every_script(capsys):
    scripts = {shell: completion_script(shell, capsys) for shell in ("bash", "zsh", "fish")}
    parser = cli_main.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        options = [o for a in sub._actions for o in a.option_strings if o.startswith("--")]
        for shell, text in scripts.items():
            assert name in text, (shell, name)
            for opt in options:
                assert (opt[2:] if shell == "fish" else opt) in text, (shell, name, opt)
    assert scripts["zsh"].startswith("#compdef gone") and "bashcompinit" in scripts["zsh"]
    assert "__fish_seen_subcommand_from evolve" in scripts["fish"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args, stdin", [
    (["predict", "{net}"], "1 2\n" * 20000),
    (["info", "{net}"], ""),
    (["completion", "bash"], ""),
])
def test_a_full_disk_on_stdout_is_one_line(tmp_path, args, stdin):
    gone.save(gone.Network([2, gone.Dense(3), 1], seed=0), tmp_path / "n.gone")
    args = [a.format(net=tmp_path / "n.gone") for a in args]
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*GONE, *args], input=stdin, stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert proc.returncode == ExitCode.ERROR
    assert proc.stderr == "gone: error: cannot write the output: No space left on device\n"


def test_a_bug_is_one_line_and_gone_debug_shows_the_traceback(monkeypatch, capsys):
    def broken(args):
        raise KeyError("oops")

    monkeypatch.setattr(cli_main, "build_parser", _parser_with(broken))
    assert cli_main.main(["info", "x.gone"]) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (KeyError" in err and "GONE_DEBUG=1" in err
    monkeypatch.setenv("GONE_DEBUG", "1")
    with pytest.raises(KeyError):
        cli_main.main(["info", "x.gone"])


def _parser_with(func):
    build = cli_main.build_parser

    def patched():
        parser = build()
        parser._subparsers._group_actions[0].choices["info"].set_defaults(func=func)
        return parser
    return patched


def test_exit_codes_follow_the_shell_convention():
    assert ExitCode.INTERRUPTED == 128 + signal.SIGINT
    assert ExitCode.TERMINATED == 128 + signal.SIGTERM
    assert ExitCode.SIGPIPE == 128 + signal.SIGPIPE


def test_sigterm_on_learn_with_nothing_learned_exits_143_and_writes_nothing(tmp_path):
    gates = os.path.join(os.path.dirname(__file__), "..", "examples", "graph", "gates.json")
    proc = subprocess.Popen([*GONE, "learn", gates, str(tmp_path / "s.json")],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # imports done, reading stdin
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == ExitCode.TERMINATED
        assert proc.stderr.read() == f"gone: terminated; nothing learned, {tmp_path / 's.json'} " \
                                     "not written\n"
    finally:
        proc.kill()
        proc.stdin.close()
        proc.stderr.close()
    assert list(tmp_path.iterdir()) == []
