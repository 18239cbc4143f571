"""The digit page's HTTP API (gone.web.app) through Starlette's TestClient: every path, every error;
uploads of held-out digits read as the network reads the originals; a real uvicorn server
against idle sockets, pixel bombs, broken models and clients that hang up mid-upload."""

import argparse
import http.client
import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import gone

pytest.importorskip("starlette")
pytest.importorskip("sklearn")
Image = pytest.importorskip("PIL.Image")

with warnings.catch_warnings():  # starlette 1.x would rather drive its TestClient with httpx2
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient  # noqa: E402

from test_images import digit_sets, train  # noqa: E402

from gone.cli.serve import add_parser  # noqa: E402
from gone.datasets import images  # noqa: E402
from gone.web import app as serve  # noqa: E402
from gone.web import models as web_models  # noqa: E402
from gone.web import server as web_server  # noqa: E402

AGREEMENT = 0.97  # /guess on an upload must read as the network reads the original


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.reshape(-1, 64) / 16, d.target


@pytest.fixture(scope="module")
def net():
    x, y = digits()
    net = gone.Network([64, gone.Dense(64, "relu"), gone.Dense(10, "softmax")],
                       loss="cross_entropy", seed=0)
    net.train(x, y, optimizer=gone.Adam(lr=0.01, batch_size=32), epochs=30)
    return net


@pytest.fixture(scope="module")
def client(net):
    with TestClient(serve.create_app(net, name="digits.gone")) as c:
        yield c


def png(array, fmt="PNG", mode="L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buf, fmt)
    return buf.getvalue()


def digit_image(index: int, invert: bool, size: int = 80) -> np.ndarray:
    """sklearn digit ``index`` upscaled to ``size`` pixels, as uint8 (dark on light if ``invert``)."""
    from sklearn.datasets import load_digits

    img = load_digits().images[index] * 255 / 16
    img = Image.fromarray((255 - img if invert else img).astype(np.uint8))
    return np.asarray(img.resize((size, size), Image.Resampling.BILINEAR))


def good_predict(client):
    r = client.post("/api/predict", json={"pixels": [0.5] * 64})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"digit", "probabilities"}


# --- the page and the model ----------------------------------------------------

@pytest.mark.parametrize("path, ctype, needle", [
    ("/", "text/html", '<canvas id="pad"'),
    ("/app.js", "text/javascript", "/guess?input=1"),
    ("/style.css", "text/css", "touch-action: none"),
])
def test_page_files_are_served_locally(client, path, ctype, needle):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(ctype)
    assert needle in r.text
    assert "://" not in r.text  # no CDN, nothing loaded from elsewhere


def test_model_describes_input_and_classes(client):
    assert client.get("/api/model").json() == {
        "input_shape": [1, 8, 8], "classes": 10, "name": "digits.gone"}


# --- /api/predict --------------------------------------------------------------

def test_predict_equals_network_predict(client, net):
    x, _ = digits()
    for row in x[:20]:
        answer = client.post("/api/predict", json={"pixels": row.tolist()}).json()
        expected = net.predict(row)
        np.testing.assert_allclose(answer["probabilities"], expected, rtol=1e-12)
        assert answer["digit"] == int(np.argmax(expected))
        assert list(answer) == ["digit", "probabilities"]


def test_predict_accepts_integers_0_and_1(client):
    assert client.post("/api/predict", json={"pixels": [0, 1] * 32}).status_code == 200


# --- /guess ----------------------------------------------------------------------

@pytest.mark.parametrize("invert", [False, True], ids=["white-on-black", "black-on-white"])
def test_guess_reads_a_real_digit_image(client, invert):
    _, y = digits()
    for i in range(10):
        files = {"image": ("digit.png", png(digit_image(i, invert)), "image/png")}
        r = client.post("/guess", files=files)
        assert r.status_code == 200, r.text
        assert list(r.json()) == ["digit", "probabilities"]
        assert r.json()["digit"] == y[i], f"sample {i}"
        assert sum(r.json()["probabilities"]) == pytest.approx(1)


def test_guess_reads_jpeg_rgb_and_answers_text_when_asked(client):
    _, y = digits()
    files = {"file": ("d.jpg", png(digit_image(3, True, 120), "JPEG", "RGB"), "image/jpeg")}
    r = client.post("/guess", files=files, headers={"Accept": "text/plain"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == f"{y[3]}\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``{name: (net, x_test, side)}`` for scikit-learn's digits and the MNIST-like set."""
    sets = digit_sets(tmp_path_factory.mktemp("mnist"))
    return {name: (train(x, y, side), x_test, side)
            for name, (x, y, x_test, _, side) in sets.items()}


def as_upload(image: np.ndarray, rng, fmt: str) -> bytes:
    """``image (s, s)`` in [0, 1] as a person's upload: 10x bigger, dark ink on light paper,
    somewhere off centre in a margin half the digit's size, as PNG or JPEG."""
    side = image.shape[0]
    big = Image.fromarray(np.round(255 * (1 - image)).astype(np.uint8)).resize(
        (10 * side, 10 * side), Image.Resampling.BILINEAR)
    margin = 5 * side
    paper = Image.new("L", (10 * side + 2 * margin,) * 2, 245)
    paper.paste(big.point(lambda v: min(v, 245)),
                tuple(int(v) for v in rng.integers(0, 2 * margin + 1, 2)))
    return png(np.asarray(paper), fmt, "RGB" if fmt == "JPEG" else "L")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("name", ["digits", "mnist"])
def test_uploads_of_held_out_digits_read_as_the_originals(trained, name, fmt):
    net, x_test, side = trained[name]
    direct = net.predict(x_test).argmax(axis=1)
    rng = np.random.default_rng(0)
    with TestClient(serve.create_app(net, name=f"{name}.gone")) as c:
        read = []
        for image in x_test:
            files = {"image": (f"d.{fmt.lower()}", as_upload(image.reshape(side, side), rng, fmt))}
            r = c.post("/guess", files=files)
            assert r.status_code == 200, r.text
            read.append(r.json()["digit"])
    agreement = np.mean(np.array(read) == direct)
    print(f"{name} {fmt}: /guess agrees with the network on the original for "
          f"{agreement:.1%} of {len(x_test)} held-out images")
    assert agreement >= AGREEMENT


def test_guess_input_is_the_python_recipe_and_api_predict_takes_the_same_drawing(trained):
    net, x_test, side = trained["mnist"]
    c = TestClient(serve.create_app(net, name="mnist.gone"))
    data = as_upload(x_test[0].reshape(28, 28), np.random.default_rng(1), "PNG")
    answer = c.post("/guess?input=1", files={"image": ("d.png", data, "image/png")}).json()
    drawing = images.ink(np.asarray(Image.open(io.BytesIO(data)).convert("L"), float) / 255)
    expected = images.digit_input(drawing, 28)
    np.testing.assert_allclose(answer["input"], expected, atol=1e-12)
    np.testing.assert_allclose(answer["probabilities"], net.predict(expected), rtol=1e-9)
    small = drawing[::3, ::3]  # a 140x140 drawing keeps the JSON under its 1 MiB limit
    r = c.post("/api/predict", json={"width": small.shape[1], "height": small.shape[0],
                                     "pixels": small.ravel().tolist()})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["probabilities"],
                               net.predict(images.digit_input(small, 28)), rtol=1e-9)


# --- bad requests: 4xx with a JSON message, and the server keeps serving ----------

def blank_png():
    return png(np.full((50, 50), 255, np.uint8))


def huge_png():
    buf = io.BytesIO()
    Image.new("1", (5000, 5000)).save(buf, "PNG")  # ~40 kB on disk, 25 Mpixels decoded
    return buf.getvalue()


def chunks(total: int):
    for _ in range(total // 65536):
        yield b"x" * 65536


BAD_REQUESTS = {
    "predict text/plain": (415, "post", "/api/predict", dict(content=b"{}", headers={"Content-Type": "text/plain"})),
    "predict no type": (415, "post", "/api/predict", dict(content=b'{"pixels": []}')),
    "predict not json": (400, "post", "/api/predict", dict(content=b"{pixels", headers={"Content-Type": "application/json"})),
    "predict deep json": (400, "post", "/api/predict", dict(content=b"[" * 100000, headers={"Content-Type": "application/json"})),
    "predict a list": (422, "post", "/api/predict", dict(json=[0.5] * 64)),
    "predict no pixels": (422, "post", "/api/predict", dict(json={"pixel": [0.5] * 64})),
    "predict pixels not list": (422, "post", "/api/predict", dict(json={"pixels": "0.5"})),
    "predict too few": (422, "post", "/api/predict", dict(json={"pixels": [0.5] * 63})),
    "predict too many": (422, "post", "/api/predict", dict(json={"pixels": [0.5] * 784})),
    "predict string": (422, "post", "/api/predict", dict(json={"pixels": ["0.5"] * 64})),
    "predict null": (422, "post", "/api/predict", dict(json={"pixels": [None] * 64})),
    "predict bool": (422, "post", "/api/predict", dict(json={"pixels": [True] * 64})),
    "predict nested": (422, "post", "/api/predict", dict(json={"pixels": [[0.5]] * 64})),
    "predict negative": (422, "post", "/api/predict", dict(json={"pixels": [-0.1] + [0.5] * 63})),
    "predict above 1": (422, "post", "/api/predict", dict(json={"pixels": [0.5] * 63 + [16]})),
    "predict NaN": (422, "post", "/api/predict", dict(content=b'{"pixels": [' + b"NaN," * 63 + b"NaN]}",
                                                      headers={"Content-Type": "application/json"})),
    "predict huge declared": (413, "post", "/api/predict", dict(content=b" " * (2 << 20), headers={"Content-Type": "application/json"})),
    "predict huge streamed": (413, "post", "/api/predict", dict(content=chunks(4 << 20), headers={"Content-Type": "application/json"})),
    "predict GET": (405, "get", "/api/predict", {}),
    "drawing no height": (422, "post", "/api/predict", dict(json={"width": 2, "pixels": [1, 1]})),
    "drawing huge side": (422, "post", "/api/predict", dict(json={"width": 5000, "height": 1, "pixels": [1]})),
    "drawing wrong count": (422, "post", "/api/predict", dict(json={"width": 2, "height": 2, "pixels": [1]})),
    "drawing blank": (422, "post", "/api/predict", dict(json={"width": 2, "height": 2, "pixels": [0] * 4})),
    "guess json": (415, "post", "/guess", dict(json={"pixels": [0.5] * 64})),
    "guess no file": (400, "post", "/guess", dict(data={"image": "not a file"}, files={"x": ("", b"", "text/plain")})),
    "guess only fields": (415, "post", "/guess", dict(data={"image": "not a file"})),
    "guess text file": (415, "post", "/guess", dict(files={"image": ("a.txt", b"hello", "text/plain")})),
    "guess truncated png": (415, "post", "/guess", dict(files={"image": ("a.png", png(digit_image(0, False))[:60], "image/png")})),
    "guess gif": (415, "post", "/guess", dict(files={"image": ("a.gif", png(digit_image(0, False), "GIF"), "image/gif")})),
    "guess blank": (422, "post", "/guess", dict(files={"image": ("a.png", blank_png(), "image/png")})),
    "guess too big file": (413, "post", "/guess", dict(files={"image": ("a.png", b"\x89PNG" + b"0" * (1 << 20), "image/png")})),
    "guess too many pixels": (413, "post", "/guess", dict(files={"image": ("a.png", huge_png(), "image/png")})),
    "guess malformed form": (400, "post", "/guess", dict(content=b"--b\r\nnonsense", headers={"Content-Type": "multipart/form-data; boundary=b"})),
    "guess no boundary": (400, "post", "/guess", dict(content=b"abc", headers={"Content-Type": "multipart/form-data"})),
    "guess streamed": (413, "post", "/guess", dict(content=chunks(4 << 20), headers={"Content-Type": "multipart/form-data; boundary=b"})),
    "unknown path": (404, "get", "/nope", {}),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_request_is_a_json_4xx_and_the_server_keeps_serving(client, name):
    status, method, path, kwargs = BAD_REQUESTS[name]
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status, r.text
    assert isinstance(r.json()["error"], str) and r.json()["error"]
    good_predict(client)


# --- models the page cannot serve ------------------------------------------------

class ImageNet:
    """A stand-in for a conv network: ``input_shape`` (C, H, W), 4-D batches only."""

    def __init__(self, shape, n_outputs=10):
        self.input_shape, self.n_outputs = shape, n_outputs
        self.n_inputs = int(np.prod(shape))
        self.layers = []
        self.seen = []

    def predict(self, x):
        x = np.asarray(x)
        if x.shape[1:] != tuple(self.input_shape):
            raise gone.ShapeError(f"expects (batch, {self.input_shape}), got {x.shape}")
        self.seen.append(x.shape)
        return np.full((len(x), self.n_outputs), 0.0)


def test_image_shaped_network_gets_4d_batches():
    stub = ImageNet((1, 8, 8))
    c = TestClient(serve.create_app(stub))
    assert c.get("/api/model").json()["input_shape"] == [1, 8, 8]
    r = c.post("/api/predict", json={"pixels": [0.0] * 64})
    assert r.json()["probabilities"] == pytest.approx([0.1] * 10)  # non-softmax outputs: softmaxed
    assert stub.seen[-1] == (1, 1, 8, 8)


def test_conv_network_is_served():
    if not hasattr(gone, "Conv2D"):
        pytest.skip("this gone has no conv layers")
    net = gone.Network([(1, 8, 8), gone.Conv2D(4, 3, activation="relu"), gone.Flatten(),
                        gone.Dense(10, "softmax")], loss="cross_entropy", seed=0)
    c = TestClient(serve.create_app(net))
    assert c.get("/api/model").json()["input_shape"] == [1, 8, 8]
    pixels = np.random.default_rng(0).random(64)
    answer = c.post("/api/predict", json={"pixels": pixels.tolist()}).json()
    np.testing.assert_allclose(answer["probabilities"], net.predict(pixels.reshape(1, 64))[0])


@pytest.mark.parametrize("make, reason", [
    (lambda: gone.Network([64, gone.Dense(5, "softmax")]), "5 outputs"),
    (lambda: gone.Network([60, gone.Dense(10, "softmax")]), "not a square"),
    (lambda: ImageNet((3, 8, 8)), "3 channels"),
    (lambda: ImageNet((1, 8, 6)), "not a square"),
    (lambda: ImageNet((1, 1, 8, 8)), "not an image"),
])
def test_wrong_model_type_is_refused(make, reason):
    with pytest.raises(gone.ConfigError, match=f"wrong model type.*{reason}"):
        serve.create_app(make())


@pytest.fixture
def started(monkeypatch):
    """Replaces the serving loop: records (app, socket) instead of serving."""
    calls = []
    monkeypatch.setattr(web_server, "run", lambda app, sock, **kw: calls.append((app, sock)))
    return calls


def run_cli(argv, capsys) -> tuple:
    from gone.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_serve_refuses_to_start_on_a_wrong_model(tmp_path, started):
    path = tmp_path / "xor.gone"
    gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0).save(path)
    with pytest.raises(gone.ConfigError, match="2 inputs are not a square image"):
        serve.serve(path, port=0)
    assert started == []


def test_cli_binds_the_port_then_announces_it(tmp_path, net, started, capsys):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "m.gone"])
    assert (args.file, args.host, args.port) == ("m.gone", "127.0.0.1", 8080)
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "m.gone", "--port", "70000"])
    capsys.readouterr()
    path = tmp_path / "digits.gone"
    net.save(path)
    code, out, err = run_cli(["serve", str(path), "--port", "0"], capsys)
    assert code == 0 and err == ""
    (app, sock), = started
    port = sock.getsockname()[1]
    assert out.strip() == f"gone: serving digits.gone on http://127.0.0.1:{port}/ (Ctrl-C to stop)"
    socket.create_connection(("127.0.0.1", port), timeout=5).close()  # bound and listening
    sock.close()


def one_line_error(code, out, err) -> str:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("gone: error: "), err
    assert "Traceback" not in out + err
    return err


def test_port_in_use_and_bad_host_are_one_line_suggesting_port(tmp_path, net, started, capsys):
    path = tmp_path / "digits.gone"
    net.save(path)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        err = one_line_error(*run_cli(["serve", str(path), "--port", str(busy.getsockname()[1])], capsys))
        assert "in use" in err and "--port" in err
    finally:
        busy.close()
    for host in ("no-such-host.invalid", "10.255.255.254", "999.1.1.1"):
        err = one_line_error(*run_cli(["serve", str(path), "--host", host], capsys))
        assert "--port" in err and host in err
    assert started == []


@pytest.mark.parametrize("content", [None, "folder", b"", b"not a network", b"\x0a\xff\xff\xff"])
def test_bad_model_files_are_one_line(tmp_path, started, capsys, content):
    path = tmp_path / "model.gone"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    one_line_error(*run_cli(["serve", str(path), "--port", "0"], capsys))
    assert started == []


def test_without_a_file_the_mnist_model_is_served_else_digits(tmp_path, monkeypatch, started, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(web_models, "digits_model",
                        lambda: gone.Network([64, gone.Dense(10, "softmax")], seed=0))
    assert web_models.mnist_model_path() == tmp_path / "gone" / "mnist.gone"
    code, out, _ = run_cli(["serve", "--port", "0"], capsys)
    assert code == 0 and "no MNIST model at" in out and "gone train mnist" in out
    assert TestClient(started[-1][0]).get("/api/model").json()["input_shape"] == [1, 8, 8]
    started[-1][1].close()
    (tmp_path / "gone").mkdir()
    gone.Network([784, gone.Dense(10, "softmax")], seed=0).save(web_models.mnist_model_path())
    code, out, _ = run_cli(["serve", "--port", "0"], capsys)
    assert code == 0 and "serving mnist.gone" in out
    assert TestClient(started[-1][0]).get("/api/model").json()["input_shape"] == [1, 28, 28]
    started[-1][1].close()


def test_missing_web_extra_is_named(monkeypatch, net):
    monkeypatch.setitem(sys.modules, "starlette", None)
    with pytest.raises(gone.DependencyMissing, match=r"gone-nn\[web\]"):
        serve.create_app(net)


def test_import_gone_does_not_import_the_web_stack():
    code = ("import sys, gone, gone.web.app, gone.cli.serve, gone.web.models, gone.web.server; "
            "print(json.dumps([m for m in ('starlette', 'uvicorn', 'PIL', 'multipart', 'python_multipart') "
            "if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


# --- hostile inputs: pixel bombs, broken models ------------------------------------

def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width x height`` black pixels: a few kB, declaring millions."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + b"\0" * -(-width // 8)
    pixels = zlib.compress(row * height, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(16_777_216, 1), (1, 16_777_216), (3000, 3000)])
def test_pixel_bomb_is_refused_from_its_header_without_decoding(client, monkeypatch, width, height):
    data = bomb_png(width, height)
    assert len(data) < 40_000
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("a pixel bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    r = client.post("/guess", files={"image": ("bomb.png", data, "image/png")})
    assert r.status_code == 413, r.text
    assert f"{width}x{height} pixels" in r.json()["error"]


def test_a_big_but_allowed_jpeg_is_decoded_small():
    photo = np.full((3000, 4000), 240, np.uint8)
    photo[500:2500, 1800:2200] = 20  # a "1"
    gray = serve.decode_gray(png(photo, "JPEG"))
    assert max(gray.shape) <= serve.WORK_SIDE  # JPEG's DCT scaling: never 12 Mpixels in floats


def test_a_model_with_nan_output_is_a_json_500_naming_it():
    net = gone.Network([64, gone.Dense(10, "softmax")], seed=0)
    for p in net.params:
        p[...] = np.nan
    assert np.isnan(net.predict(np.zeros(64))).all()
    c = TestClient(serve.create_app(net, name="broken.gone"), raise_server_exceptions=False)
    for r in (c.post("/api/predict", json={"pixels": [0.5] * 64}),
              c.post("/guess", files={"image": ("d.png", png(digit_image(0, True)), "image/png")})):
        assert r.status_code == 500
        assert "broken.gone" in r.json()["error"] and "NaN" in r.json()["error"]


# --- a real server: idle sockets, hang-ups -----------------------------------------

@pytest.fixture
def live(net):
    """``gone serve``'s uvicorn setup (idle timeout 1 s) on a free port; yields (host, port)."""
    sock = web_server.listen("127.0.0.1", 0)
    srv = __import__("uvicorn").Server(web_server.config(serve.create_app(net, "digits.gone"), idle=1.0))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    yield sock.getsockname()
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def ask(address) -> int:
    conn = http.client.HTTPConnection(*address, timeout=10)
    conn.request("POST", "/api/predict", body=json.dumps({"pixels": [0.5] * 64}),
                 headers={"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_100_idle_connections_do_not_starve_requests_and_are_closed(live):
    idle = [socket.create_connection(live, timeout=10) for _ in range(100)]
    half = socket.create_connection(live, timeout=10)
    half.sendall(b"POST /api/predict HTTP/1.1\r\nHost: x\r\n")  # a header that never ends
    try:
        assert [ask(live) for _ in range(5)] == [200] * 5
        for s in idle + [half]:  # the server hangs up on each within its idle timeout
            assert s.recv(1) == b""
    finally:
        for s in idle + [half]:
            s.close()
    assert ask(live) == 200


def test_a_client_hanging_up_mid_upload_logs_at_most_one_line(live, caplog):
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        s = socket.create_connection(live, timeout=10)
        s.sendall(b"POST /guess HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                  b"boundary=b\r\nContent-Length: 500000\r\n\r\n--b\r\n" + b"x" * 20000)
        time.sleep(0.1)
        s.close()
    time.sleep(0.5)
    assert ask(live) == 200
    noisy = [r for r in caplog.records if r.name.startswith(("uvicorn", "gone"))]
    assert not any(r.exc_info for r in noisy), [r.getMessage() for r in noisy]
    assert len(noisy) <= 3  # one line per hang-up at most
