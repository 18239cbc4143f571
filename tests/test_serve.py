"""The digit page's HTTP API (gone.serve) through Starlette's TestClient: every path, every error."""

import argparse
import io
import json
import subprocess
import sys
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

from gone.web import app as serve  # noqa: E402
from gone.cli.serve import add_parser  # noqa: E402


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
    ("/app.js", "text/javascript", "/api/predict"),
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


def test_image_preprocessing_reproduces_sklearn_pixels():
    x, _ = digits()
    for i in range(10):
        img = Image.fromarray((x[i].reshape(8, 8) * 255).astype(np.uint8))
        data = png(np.asarray(img.resize((32, 32), Image.Resampling.NEAREST)))
        # centring a digit 5 blocks wide shifts it half a block: close, not equal
        assert np.corrcoef(serve.image_pixels(data, 8), x[i])[0, 1] > 0.8, f"sample {i}"


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


def test_serve_refuses_to_start_on_a_wrong_model(tmp_path, monkeypatch):
    path = tmp_path / "xor.gone"
    gone.Network([2, gone.Dense(4, "sigmoid"), 1], seed=0).save(path)
    uvicorn = pytest.importorskip("uvicorn")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn started"))
    with pytest.raises(gone.ConfigError, match="2 inputs are not a square image"):
        serve.serve(path)


def test_cli_parser_and_handler(tmp_path, monkeypatch, net):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "m.gone"])
    assert (args.file, args.host, args.port) == ("m.gone", "127.0.0.1", 8080)
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "m.gone", "--port", "70000"])
    path = tmp_path / "digits.gone"
    net.save(path)
    calls = []
    uvicorn = pytest.importorskip("uvicorn")
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    args = parser.parse_args(["serve", str(path), "--port", "8123"])
    assert args.func(args) == 0
    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8123


def test_missing_web_extra_is_named(monkeypatch, net):
    monkeypatch.setitem(sys.modules, "starlette", None)
    with pytest.raises(gone.DependencyMissing, match=r"gone\[web\]"):
        serve.create_app(net)


def test_import_gone_does_not_import_the_web_stack():
    code = ("import sys, gone, gone.web.app, gone.cli.serve; "
            "print(json.dumps([m for m in ('starlette', 'uvicorn', 'PIL', 'multipart', 'python_multipart') "
            "if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
