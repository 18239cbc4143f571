"""``gone serve [FILE]``: the digit-drawing web page for a trained 10-class image network.

Without FILE it serves the MNIST model saved at ``~/.local/share/gone/mnist.gone``
when there is one, else a network it trains on scikit-learn's digits (see
:mod:`gone.web.models`). Needs the ``web`` extra (Starlette, uvicorn,
python-multipart, Pillow); see :mod:`gone.web.app` for the page and its API.
"""

from __future__ import annotations

import argparse

from .args import ExitCode


def _port(text: str) -> int:
    """A TCP port; 0 asks the system for a free one (tests, scripts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {value}")
    return value


def add_parser(sub) -> None:
    """Register ``gone serve`` on the subcommand parser ``sub``."""
    p = sub.add_parser("serve", help="serve a web page where you draw digits for a network to read",
                       description="Serve a page where you draw a digit and a network trained on "
                       "digit images (10 outputs, a square grayscale input such as 8x8) reads it "
                       "as you draw. Also answers POST /api/predict (JSON pixels) and POST /guess "
                       "(a PNG or JPEG upload). An MNIST model reads handwriting best: "
                       "gone train mnist --data DIR --model cnn --save "
                       "~/.local/share/gone/mnist.gone, then gone serve.")
    p.add_argument("file", nargs="?", default=None,
                   help="a .gone network with 10 outputs and a square image input (default: "
                   "the MNIST model at ~/.local/share/gone/mnist.gone if saved there, else "
                   "a network trained now on scikit-learn's 8x8 digits)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from ..web.app import serve

    serve(args.file, host=args.host, port=args.port)
    return ExitCode.OK
