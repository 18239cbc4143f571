"""A web page where a person draws a digit and a trained network reads it.

``create_app(net)`` builds a Starlette app around a network whose input is a
square grayscale image (e.g. 8x8 for scikit-learn's digits, a flat 64-input
network or a conv network with ``input_shape == (1, 8, 8)``) and whose output
is 10 classes::

    GET  /              the drawing page (gone/web/, no external resources)
    GET  /api/model     {"input_shape": [1, 8, 8], "classes": 10, "name": "digits.gone"}
    POST /api/predict   JSON {"pixels": [H*W floats in 0..1]} -> {"digit": d, "probabilities": [...]}
    POST /guess         multipart image file (PNG or JPEG, at most 1 MiB) -> the same answer

Every bad request is a 4xx with ``{"error": "..."}``. Images sent to ``/guess``
are preprocessed like the page's drawing and like scikit-learn's digits (the
NIST preprocessing): grayscale, white on black, cropped to the digit's bounding
box, scaled (aspect kept) to fit a box 4x the input size, centred, then each
4x4 block averaged, so a pixel is the fraction of "ink" in its block.
Starlette, uvicorn, python-multipart and Pillow are the ``web`` extra.
"""

from __future__ import annotations

import io
import json
import math
from importlib import resources

import numpy as np

from ..errors import ConfigError, GoneError, ShapeError, require

CLASSES = 10
MAX_IMAGE_BYTES = 1 << 20  # a /guess upload
MAX_JSON_BYTES = 1 << 20  # a /api/predict body
MAX_IMAGE_PIXELS = 4096 * 4096  # refuse decompression bombs before decoding
SUPERSAMPLE = 4  # NIST/optdigits: a 32x32 bitmap averaged over 4x4 blocks gives 8x8
IMAGE_FORMATS = {"PNG", "JPEG"}
WEB_FILES = {"/": ("index.html", "text/html; charset=utf-8"),
             "/app.js": ("app.js", "text/javascript; charset=utf-8"),
             "/style.css": ("style.css", "text/css; charset=utf-8")}


class RequestError(GoneError):
    """A bad request: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# --- the model ---------------------------------------------------------------

def image_side(net) -> int:
    """The side of the square grayscale image ``net`` reads, or ConfigError saying why not.

    ``net.input_shape`` may be ``(C, H, W)`` (a conv network) or ``(H, W)``;
    without it the network's flat input size must be a perfect square.
    """
    shape = getattr(net, "input_shape", None)
    shape = (net.n_inputs,) if shape is None else tuple(int(s) for s in shape)
    if len(shape) == 1:
        side = math.isqrt(shape[0])
        if side * side != shape[0]:
            raise ConfigError(f"wrong model type for the digit page: its {shape[0]} inputs "
                              "are not a square image (e.g. 64 = 8x8)")
    elif len(shape) in (2, 3):
        if len(shape) == 3 and shape[0] != 1:
            raise ConfigError(f"wrong model type for the digit page: input shape {shape} has "
                              f"{shape[0]} channels, the page draws 1 (grayscale)")
        if shape[-1] != shape[-2]:
            raise ConfigError(f"wrong model type for the digit page: input shape {shape} "
                              "is not a square image")
        side = shape[-1]
    else:
        raise ConfigError(f"wrong model type for the digit page: input shape {shape} is not an image")
    if net.n_outputs != CLASSES:
        raise ConfigError(f"wrong model type for the digit page: it has {net.n_outputs} "
                          f"outputs, the page needs {CLASSES} (one per digit)")
    return side


class Classifier:
    """A network that reads ``side x side`` images into 10 digit probabilities."""

    def __init__(self, net, name: str = "model"):
        self.net, self.name = net, name
        self.side = image_side(net)
        self.layout = self._probe_layout()
        layers = getattr(net, "layers", None)
        last = getattr(layers[-1], "activation", None) if layers else None
        self.softmax_out = getattr(last, "name", None) == "softmax"

    def _probe_layout(self) -> tuple:
        """The batch shape the network accepts: flat ``(1, H*W)`` or ``(1, 1, H, W)``."""
        for layout in ((1, self.side * self.side), (1, 1, self.side, self.side)):
            try:
                self.net.predict(np.zeros(layout))
                return layout
            except ShapeError:
                continue
        raise ConfigError(f"wrong model type for the digit page: it accepts neither "
                          f"(batch, {self.side * self.side}) nor (batch, 1, {self.side}, {self.side})")

    @property
    def input_shape(self) -> list[int]:
        return [1, self.side, self.side]

    def classify(self, pixels: np.ndarray) -> dict:
        """``{"digit": d, "probabilities": [10 floats]}`` for ``(H*W,)`` pixels in [0, 1]."""
        out = np.asarray(self.net.predict(pixels.reshape(self.layout)), np.float64).reshape(-1)
        if not self.softmax_out:
            e = np.exp(out - out.max())
            out = e / e.sum()
        return {"digit": int(np.argmax(out)), "probabilities": out.tolist()}


# --- request bodies ------------------------------------------------------------

def parse_pixels(body: bytes, n: int) -> np.ndarray:
    """The ``(n,)`` pixels of a ``{"pixels": [...]}`` JSON body, or RequestError."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise RequestError(400, "the body is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("pixels"), list):
        raise RequestError(422, 'expected a JSON object {"pixels": [numbers]}')
    pixels = doc["pixels"]
    if len(pixels) != n:
        raise RequestError(422, f"expected {n} pixels, got {len(pixels)}")
    for i, v in enumerate(pixels):
        if type(v) not in (int, float):
            raise RequestError(422, f"pixel {i} is not a number: {json.dumps(v)[:40]}")
        if not 0 <= v <= 1:  # also false for NaN
            raise RequestError(422, f"pixel {i} is {v!r}, pixels must be in [0, 1]")
    return np.array(pixels, dtype=np.float64)


def image_pixels(data: bytes, side: int) -> np.ndarray:
    """The ``(side * side,)`` pixels in [0, 1] of a PNG or JPEG digit, or RequestError."""
    Image = require("PIL.Image", "web")
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in IMAGE_FORMATS:
            raise RequestError(415, f"the file is a {img.format} image; send a PNG or JPEG")
        if img.width * img.height > MAX_IMAGE_PIXELS:
            raise RequestError(413, f"the image is {img.width}x{img.height} pixels, "
                                    f"at most {MAX_IMAGE_PIXELS} pixels are allowed")
        rgba = img.convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise RequestError(415, "the file is not a readable PNG or JPEG image") from None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    gray = np.asarray(Image.alpha_composite(white, rgba).convert("L"), np.float64) / 255
    ink = normalise_ink(gray)
    if ink is None:
        raise RequestError(422, "the image is blank: no digit found")
    return fit_digit(ink, side, Image)


def normalise_ink(gray: np.ndarray) -> np.ndarray | None:
    """Grayscale in [0, 1] as ink 1 on background 0 (inverted if the background is light).

    The background level is the median of the border; None if nothing differs from it.
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        gray = 1 - gray
    bg = np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]))
    span = gray.max() - bg
    if span < 0.1:
        return None
    return np.clip((gray - bg) / span, 0, 1)


def fit_digit(ink: np.ndarray, side: int, Image) -> np.ndarray:
    """Crop ``ink`` to its bounding box, fit it centred into the model's box, average-pool.

    Like scikit-learn's 8x8 digits the digit fills the box (its longer side
    touches the edges); larger inputs keep MNIST's margin (20 of 28 pixels).
    The page's app.js ``downsample`` does the same in the browser.
    """
    rows, cols = np.nonzero(ink > 0.05)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    big = side * SUPERSAMPLE
    fit = big if side <= 8 else round(big * 20 / 28)
    scale = fit / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = Image.fromarray((crop * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BOX)
    canvas = np.zeros((big, big))
    top, left = (big - h) // 2, (big - w) // 2
    canvas[top:top + h, left:left + w] = np.asarray(small, np.float64) / 255
    return canvas.reshape(side, SUPERSAMPLE, side, SUPERSAMPLE).mean(axis=(1, 3)).reshape(-1)


async def read_body(request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"the body is {declared} bytes, at most {limit} are allowed")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body is over {limit} bytes, the limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _require_type(request, expected: str) -> None:
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != expected:
        raise RequestError(415, f"expected Content-Type {expected}, got {ctype or 'none'}")


async def upload(request) -> bytes:
    """The bytes of the first file in a multipart form (at most MAX_IMAGE_BYTES)."""
    from starlette.exceptions import HTTPException
    from starlette.formparsers import MultiPartException
    from starlette.requests import Request

    _require_type(request, "multipart/form-data")
    body = await read_body(request, MAX_IMAGE_BYTES + 16384)  # room for the form's headers

    async def replay():
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=4, max_fields=16)
    except (HTTPException, MultiPartException) as exc:
        raise RequestError(400, f"malformed multipart form: {getattr(exc, 'detail', exc)}") from None
    try:
        files = [v for _, v in form.multi_items()  # a form sent with no file chosen has an empty one
                 if hasattr(v, "read") and (v.filename or v.size)]
        if not files:
            raise RequestError(400, "no file in the form: send the image as a file field")
        data = await files[0].read(MAX_IMAGE_BYTES + 1)
    finally:
        await form.close()
    if len(data) > MAX_IMAGE_BYTES:
        raise RequestError(413, f"the image is over {MAX_IMAGE_BYTES} bytes, the limit")
    return data


# --- the app -------------------------------------------------------------------

def create_app(net, name: str = "model"):
    """The Starlette app serving the page and the API for ``net`` (ConfigError if unfit)."""
    require("starlette", "web")
    require("python_multipart", "web")
    require("PIL.Image", "web")
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    clf = Classifier(net, name)
    web = resources.files("gone") / "web"
    pages = {path: (web.joinpath(f).read_bytes(), ctype) for path, (f, ctype) in WEB_FILES.items()}

    async def page(request):
        body, ctype = pages[request.url.path]
        return Response(body, media_type=ctype, headers={"Cache-Control": "no-cache"})

    async def model(request):
        return JSONResponse({"input_shape": clf.input_shape, "classes": CLASSES, "name": clf.name})

    async def predict(request):
        _require_type(request, "application/json")
        body = await read_body(request, MAX_JSON_BYTES)
        return JSONResponse(clf.classify(parse_pixels(body, clf.side * clf.side)))

    async def guess(request):
        answer = clf.classify(image_pixels(await upload(request), clf.side))
        accept = request.headers.get("accept", "")
        if "text/plain" in accept and "json" not in accept:
            return PlainTextResponse(f"{answer['digit']}\n")
        return JSONResponse(answer)

    async def request_error(request, exc: RequestError):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    async def http_error(request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    routes = [Route(path, page) for path in WEB_FILES]
    routes += [Route("/api/model", model), Route("/api/predict", predict, methods=["POST"]),
               Route("/guess", guess, methods=["POST"])]
    return Starlette(routes=routes, exception_handlers={
        RequestError: request_error, HTTPException: http_error})


def serve(path, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Load the ``.gone`` file at ``path`` and serve its digit page until interrupted."""
    import os

    from ..format.network import load

    uvicorn = require("uvicorn", "web")
    app = create_app(load(path), name=os.path.basename(str(path)))
    print(f"gone: serving {path} on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", limit_concurrency=64,
                timeout_keep_alive=5)
