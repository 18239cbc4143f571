"""The digit page in a real browser: draw with the mouse, read the prediction and the bars.

Runs the app under uvicorn on 127.0.0.1 (a free port) in a background thread
and drives Debian's Chromium through Playwright. Strokes drawn with the mouse
must be read as the network reads the same strokes rendered here in numpy, for
an 8x8 digits network and a 28x28 MNIST-like one. Skipped when Playwright or a
Chromium binary is missing, except under CI=true, where that fails the run.
``GONE_CHROMIUM`` names another binary. Leaves a screenshot in /tmp/digits-page.png.
"""

import math
import os
import shutil
import socket
import sys
import threading
import time

import numpy as np
import pytest

from gone.datasets import images

pytest.importorskip("sklearn")
uvicorn = pytest.importorskip("uvicorn")
try:
    from playwright import sync_api
except ImportError:
    sync_api = None

from test_images import digit_sets, train  # noqa: E402

from gone.web.app import create_app  # noqa: E402

CANDIDATES = ([os.environ["GONE_CHROMIUM"]] if os.environ.get("GONE_CHROMIUM")
              else ["/usr/bin/chromium", shutil.which("chromium")])
CHROMIUM = next((p for p in CANDIDATES if p and os.path.exists(p)), None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = "/tmp/digits-page.png"
TIMEOUT_MS = 10_000
PAD, PEN = 280, 22  # the page's canvas side and line width (app.js)
DRAWINGS = 34  # per network: 97% agreement allows one disagreement
AGREEMENT = 0.97


def need_browser():
    """Skip without Playwright or Chromium; under CI=true, fail instead."""
    missing = ("playwright is not installed" if sync_api is None else
               None if CHROMIUM is not None else
               f"no Chromium at {' or '.join(p for p in CANDIDATES if p) or 'chromium on PATH'}")
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {missing}: the browser test must run in CI", pytrace=False)
    if missing:
        pytest.skip(missing)


def serve_in_thread(net, name):
    """``(url, stop)``: the app under uvicorn on 127.0.0.1, on a port the OS picked."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(net, name=name), log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"

    def stop():
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    need_browser()
    sets = digit_sets(tmp_path_factory.mktemp("mnist"))
    return {name: train(x, y, side) for name, (x, y, _, _, side) in sets.items()}


@pytest.fixture(scope="module")
def browser(networks, tmp_path_factory):
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=ARGS, headless=True, viewport={"width": 900, "height": 600})
        try:
            yield context
        finally:
            context.close()


def open_page(browser, networks, name):
    url, stop = serve_in_thread(networks[name], f"{name}.gone")
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready='1']")
    return page, stop


@pytest.fixture(scope="module")
def page(browser, networks):
    page, stop = open_page(browser, networks, "digits")
    yield page
    page.close()
    stop()


def draw(page, strokes, steps: int = 2):
    """Drag the mouse along each stroke (lists of (x, y) in 0..1 of the 280x280 pad),
    in ``steps`` mouse events per point."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        xs = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*xs[0])
        page.mouse.down()
        for p in xs[1:]:
            page.mouse.move(*p, steps=steps)
        page.mouse.up()
    page.wait_for_function("document.body.dataset.busy === '0' && document.querySelector('#digit').dataset.digit !== ''")


def ellipse(cx, cy, rx, ry, n=40):
    return [(cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
            for i in range(n + 1)]


def bars(page) -> list[float]:
    return page.eval_on_selector_all("#bars .bar", "bars => bars.map(b => Number(b.dataset.prob))")


def canvas(page) -> np.ndarray:
    """The pad's red channel ``(280, 280)`` in [0, 1] (the pen is white, the pad black)."""
    import base64
    import io

    from PIL import Image

    url = page.evaluate("document.getElementById('pad').toDataURL('image/png')")
    png = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), np.float64)[:, :, 0] / 255


SHAPES = {
    0: [ellipse(0.5, 0.5, 0.22, 0.33)],
    1: [[(0.5, 0.15), (0.5, 0.85)]],
    7: [[(0.25, 0.18), (0.75, 0.18), (0.45, 0.85)]],
}

# A hand's digits, in the unit square (y down); drawings are jittered copies of these.
TEMPLATES = {
    0: [ellipse(0.5, 0.5, 0.3, 0.42, 24)],
    1: [[(0.4, 0.22), (0.55, 0.08), (0.55, 0.92)]],
    2: [[(0.2, 0.3), (0.35, 0.1), (0.65, 0.1), (0.8, 0.3), (0.7, 0.55), (0.2, 0.9), (0.85, 0.9)]],
    3: [[(0.2, 0.12), (0.78, 0.12), (0.45, 0.45), (0.8, 0.65), (0.7, 0.86), (0.2, 0.88)]],
    4: [[(0.6, 0.92), (0.6, 0.08), (0.15, 0.65), (0.85, 0.65)]],
    5: [[(0.8, 0.1), (0.3, 0.1), (0.25, 0.45), (0.7, 0.45), (0.8, 0.7), (0.6, 0.9), (0.2, 0.85)]],
    6: [[(0.7, 0.08), (0.35, 0.4), (0.25, 0.7), (0.45, 0.92), (0.72, 0.8), (0.7, 0.58),
         (0.45, 0.5), (0.28, 0.65)]],
    7: [[(0.15, 0.1), (0.85, 0.1), (0.4, 0.92)]],
    8: [ellipse(0.5, 0.28, 0.22, 0.2, 20), ellipse(0.5, 0.7, 0.28, 0.22, 20)],
    9: [ellipse(0.5, 0.3, 0.25, 0.22, 20), [(0.75, 0.3), (0.68, 0.92)]],
}


def drawings(rng, n):
    """``n`` jittered template drawings: (digit, strokes in 0..1 of the pad)."""
    out = []
    for i in range(n):
        digit = i % 10
        size, angle = rng.uniform(0.45, 0.75), rng.uniform(-0.15, 0.15)
        x0, y0 = rng.uniform(0.05, 0.95 - size, 2)
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        strokes = []
        for stroke in TEMPLATES[digit]:
            pts = (np.array(stroke) - 0.5) @ rot.T + 0.5 + rng.normal(0, 0.01, (len(stroke), 2))
            strokes.append([(x0 + size * x, y0 + size * y) for x, y in np.clip(pts, 0, 1)])
        out.append((digit, strokes))
    return out


def render(strokes) -> np.ndarray:
    """The strokes as the page's pen draws them: ``(280, 280)`` ink, anti-aliased round caps.

    Like the browser: a dot where the button goes down, then one stroke per mouse event
    (``draw(..., steps=1)``: one per point), each composited over the ink so far.
    """
    yy, xx = np.mgrid[0:PAD, 0:PAD] + 0.5
    ink = np.zeros((PAD, PAD))
    for stroke in strokes:
        pts = np.array(stroke) * PAD
        steps = list(pts)
        for (ax, ay), (bx, by) in zip([steps[0]] + steps[:-1], steps):
            dx, dy = bx - ax, by - ay
            t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
            cover = np.clip(PEN / 2 + 0.5 - np.hypot(xx - ax - t * dx, yy - ay - t * dy), 0, 1)
            ink = 1 - (1 - ink) * (1 - cover)  # source-over: white pen on the drawing so far
    return ink


@pytest.mark.parametrize("digit", list(SHAPES))
def test_drawing_a_digit_shows_its_prediction_and_clear_resets(page, digit):
    page.click("#clear")
    draw(page, SHAPES[digit])
    assert page.text_content("#digit") == str(digit)
    probs = bars(page)
    assert len(probs) == 10
    assert sum(probs) == pytest.approx(1, abs=1e-6)
    assert int(np.argmax(probs)) == digit
    assert (canvas(page) > 0).sum() > 1000
    if digit == 0:
        page.wait_for_timeout(200)  # let the bars' 0.1 s transition finish
        page.screenshot(path=SCREENSHOT)

    page.click("#clear")
    assert (canvas(page) > 0).sum() == 0
    assert page.text_content("#digit") == "\u2013"
    assert bars(page) == [0.0] * 10


@pytest.mark.parametrize("name", ["digits", "mnist"])
def test_drawn_strokes_read_as_the_network_reads_them(browser, networks, name):
    """Mouse strokes on the page -> the page's answer; the same strokes rendered in numpy
    -> the recipe -> the network directly. They must agree on 97% of drawings, and the
    input the page's answer reports must be the Python recipe applied to the page's canvas."""
    net = networks[name]
    side = 8 if name == "digits" else 28
    page, stop = open_page(browser, networks, name)
    try:
        read, direct, right = [], [], 0
        for digit, strokes in drawings(np.random.default_rng(3), DRAWINGS):
            page.click("#clear")
            draw(page, strokes, steps=1)
            answer = page.evaluate("window.lastAnswer")
            expected = images.digit_input(images.ink(canvas(page)), side)
            np.testing.assert_allclose(answer["input"], expected, atol=1e-9)
            read.append(answer["digit"])
            direct.append(int(net.predict(images.digit_input(render(strokes), side)).argmax()))
            right += answer["digit"] == digit
    finally:
        page.close()
        stop()
    agreement = np.mean(np.array(read) == np.array(direct))
    print(f"{name}: the page agrees with the network on {agreement:.1%} of {DRAWINGS} drawings "
          f"({right} read as the digit the template was meant to be)")
    assert agreement >= AGREEMENT


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_chromium_fails_under_ci_and_skips_otherwise(monkeypatch, ci, outcome):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no Chromium"):
        need_browser()
