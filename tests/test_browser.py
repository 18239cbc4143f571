"""The digit page in a real browser: draw with the mouse, read the prediction and the bars.

Runs the app under uvicorn on 127.0.0.1 (a free port) in a background thread
and drives Debian's Chromium through Playwright. Skipped only when Playwright
or a Chromium binary is missing. Leaves a screenshot in /tmp/digits-page.png.
"""

import math
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest

import gone

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("sklearn")
uvicorn = pytest.importorskip("uvicorn")

from gone.web.app import create_app  # noqa: E402

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = "/tmp/digits-page.png"
TIMEOUT_MS = 10_000

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium at /usr/bin/chromium or on PATH")


def digits_network():
    from sklearn.datasets import load_digits

    d = load_digits()
    net = gone.Network([64, gone.Dense(64, "relu"), gone.Dense(10, "softmax")],
                       loss="cross_entropy", seed=0)
    net.train(d.images.reshape(-1, 64) / 16, d.target,
              optimizer=gone.Adam(lr=0.01, batch_size=32), epochs=30)
    return net


@pytest.fixture(scope="module")
def server():
    """The app under uvicorn on 127.0.0.1, on a port the OS picked; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_app(digits_network(), name="digits.gone")
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            args=ARGS, headless=True, viewport={"width": 900, "height": 600})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server + "/")
            page.wait_for_selector("body[data-ready='1']")
            yield page
        finally:
            context.close()


def draw(page, strokes):
    """Drag the mouse along each stroke: lists of (x, y) in 0..1 of the 280x280 pad."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        xs = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*xs[0])
        page.mouse.down()
        for p in xs[1:]:
            page.mouse.move(*p, steps=2)
        page.mouse.up()
    page.wait_for_function("document.body.dataset.busy === '0' && document.querySelector('#digit').dataset.digit !== ''")


def ellipse(cx, cy, rx, ry, n=40):
    return [(cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
            for i in range(n + 1)]


def bars(page) -> list[float]:
    return page.eval_on_selector_all("#bars .bar", "bars => bars.map(b => Number(b.dataset.prob))")


def canvas_ink(page) -> int:
    """How many pixels of the pad are not black."""
    return page.evaluate("""() => {
        const c = document.getElementById('pad');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] || d[i + 1] || d[i + 2]) n++;
        return n;
    }""")


SHAPES = {
    0: [ellipse(0.5, 0.5, 0.22, 0.33)],
    1: [[(0.5, 0.15), (0.5, 0.85)]],
    7: [[(0.25, 0.18), (0.75, 0.18), (0.45, 0.85)]],
}


@pytest.mark.parametrize("digit", list(SHAPES))
def test_drawing_a_digit_shows_its_prediction_and_clear_resets(page, digit):
    page.click("#clear")
    draw(page, SHAPES[digit])
    assert page.text_content("#digit") == str(digit)
    probs = bars(page)
    assert len(probs) == 10
    assert sum(probs) == pytest.approx(1, abs=1e-6)
    assert int(np.argmax(probs)) == digit
    assert canvas_ink(page) > 1000
    if digit == 0:
        page.wait_for_timeout(200)  # let the bars' 0.1 s transition finish
        page.screenshot(path=SCREENSHOT)

    page.click("#clear")
    assert canvas_ink(page) == 0
    assert page.text_content("#digit") == "\u2013"
    assert bars(page) == [0.0] * 10


def test_page_sends_what_the_server_preprocessing_expects(page, server):
    """The page's 8x8 pixels are in [0, 1] and the ink is centred and fills the box height."""
    page.click("#clear")
    draw(page, SHAPES[1])
    pixels = np.array(page.evaluate("downsample()")).reshape(8, 8)
    assert pixels.min() >= 0 and pixels.max() <= 1
    assert pixels[0].max() > 0.3 and pixels[-1].max() > 0.3  # fills the height
    cols = np.nonzero(pixels.max(axis=0) > 0.3)[0]
    assert 2 <= cols.min() and cols.max() <= 5  # a thin line, in the middle
    page.click("#clear")
