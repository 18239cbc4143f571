"""A web page where a person draws a digit and a trained network reads it.

``create_app(net)`` builds a Starlette app around a network whose input is a
square grayscale image (e.g. 8x8 for scikit-learn's digits, a flat 64-input
network or a conv network with ``input_shape == (1, 8, 8)``) and whose output
is 10 classes::

    GET  /              the drawing page (gone/web/, no external resources)
    GET  /api/model     {"input_shape": [1, 8, 8], "classes": 10, "name": "digits.gone"}
    POST /api/predict   JSON {"pixels": [H*W floats in 0..1]} -> {"digit": d, "probabilities": [...]}
                        (the model's own input), or a raw drawing
                        {"width": w, "height": h, "pixels": [w*h ink values in 0..1]}
    POST /guess         multipart image file (PNG or JPEG, at most 1 MiB) -> the same answer;
                        ``/guess?input=1`` adds "input": the pixels the network read

A drawing or an uploaded image becomes the input the network was trained on by
:mod:`gone.datasets.images`: MNIST's recipe for 28x28 networks, scikit-learn
digits' for 8x8 ones. The page (gone/web/app.js) posts its canvas as a PNG to
``/guess``, so the page and uploads go through the same Python code.

Every bad request is a 4xx with ``{"error": "..."}``; a model whose output is
not finite is a 500 naming the model. Image headers are checked (sides and
pixel count) before anything is decoded, and decoding, preprocessing and the
network run in a small bounded pool of worker threads, never on the event loop.
Starlette, uvicorn, python-multipart and Pillow are the ``web`` extra.
"""

from __future__ import annotations

import io
import json
import logging
import math
from importlib import resources

import numpy as np

from ..datasets.images import digit_input, ink
from ..errors import ConfigError, GoneError, ShapeError, require

CLASSES = 10
MAX_IMAGE_BYTES = 1 << 20  # a /guess upload
MAX_JSON_BYTES = 1 << 20  # a /api/predict body
# Decompression bombs are refused from the header, before a pixel is decoded:
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 1 << 22  # 2048x2048: 16 MiB as RGBA
WORK_SIDE = 1024  # larger images are reduced (box filter) before the float arrays
MAX_DRAWING_SIDE = 1024  # a raw drawing sent as JSON
WORKERS = 2  # threads decoding and classifying; more requests wait their turn
BODY_SECONDS = 30  # an upload slower than this is cut off (408)
IMAGE_FORMATS = {"PNG", "JPEG"}
log = logging.getLogger("gone.web")
WEB_FILES = {"/": ("index.html", "text/html; charset=utf-8"),
             "/app.js": ("app.js", "text/javascript; charset=utf-8"),
             "/style.css": ("style.css", "text/css; charset=utf-8")}


class RequestError(GoneError):
    """A bad request: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class ClientGone(RequestError):
    """The client closed the connection before its request was read."""

    def __init__(self, path: str):
        super().__init__(400, f"the client went away during the request to {path}")


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
        with np.errstate(all="ignore"):  # a broken model is reported below, not warned about
            out = np.asarray(self.net.predict(pixels.reshape(self.layout)), np.float64).reshape(-1)
        if not np.isfinite(out).all():
            raise RequestError(500, f"the model {self.name} gave a non-finite output (NaN or "
                                    "infinity) for this input: its weights are broken; "
                                    "retrain it or serve another model")
        if not self.softmax_out:
            e = np.exp(out - out.max())
            out = e / e.sum()
        return {"digit": int(np.argmax(out)), "probabilities": out.tolist()}


# --- request bodies ------------------------------------------------------------

def parse_predict(body: bytes, side: int) -> np.ndarray:
    """The model input ``(side * side,)`` of a /api/predict JSON body, or RequestError.

    ``{"pixels": [side*side values]}`` is the model's own input, used as is;
    with ``"width"`` and ``"height"`` it is a raw drawing (ink 1 on 0), preprocessed.
    """
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise RequestError(400, "the body is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("pixels"), list):
        raise RequestError(422, 'expected a JSON object {"pixels": [numbers]}')
    if "width" not in doc and "height" not in doc:
        return _numbers(doc["pixels"], side * side)
    sizes = [doc.get("width"), doc.get("height")]
    if any(type(v) is not int or not 1 <= v <= MAX_DRAWING_SIDE for v in sizes):
        raise RequestError(422, f"width and height must be whole numbers 1..{MAX_DRAWING_SIDE}, "
                                f"got {json.dumps(sizes)[:60]}")
    drawing = _numbers(doc["pixels"], sizes[0] * sizes[1]).reshape(sizes[1], sizes[0])
    if not (drawing > 0.1).any():
        raise RequestError(422, "the drawing is blank: no digit found")
    return digit_input(drawing, side)


def _numbers(values: list, n: int) -> np.ndarray:
    """``(n,)`` float64 from a JSON list of ``n`` numbers in [0, 1], or RequestError."""
    if len(values) != n:
        raise RequestError(422, f"expected {n} pixels, got {len(values)}")
    for i, v in enumerate(values):
        if type(v) not in (int, float):
            raise RequestError(422, f"pixel {i} is not a number: {json.dumps(v)[:40]}")
        if not 0 <= v <= 1:  # also false for NaN
            raise RequestError(422, f"pixel {i} is {v!r}, pixels must be in [0, 1]")
    return np.array(values, dtype=np.float64)


def decode_gray(data: bytes) -> np.ndarray:
    """A PNG or JPEG as grayscale ``(H, W)`` in [0, 1] (transparent = white), or RequestError.

    The declared size is checked before any pixel is decoded; JPEGs are decoded
    at a reduced scale when large, and anything over WORK_SIDE is box-reduced.
    """
    Image = require("PIL.Image", "web")
    errors = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)
    try:
        img = Image.open(io.BytesIO(data))  # reads the header only
        if img.format not in IMAGE_FORMATS:
            raise RequestError(415, f"the file is a {img.format} image; send a PNG or JPEG")
        if img.format == "JPEG":  # DCT scaling: a 4000x3000 photo decodes at 1000x750
            img.draft("L", (WORK_SIDE, WORK_SIDE))
        width, height = img.size
        if max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
            raise RequestError(413, f"the image is {width}x{height} pixels; at most "
                                    f"{MAX_IMAGE_SIDE} a side and {MAX_IMAGE_PIXELS} in all")
        if img.mode in ("RGBA", "LA", "PA", "P") or "transparency" in img.info:
            rgba = img.convert("RGBA")
            img = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        gray = img.convert("L")
        factor = -(-max(gray.size) // WORK_SIDE)
        if factor > 1:
            gray = gray.reduce(factor)
    except errors:
        raise RequestError(415, "the file is not a readable PNG or JPEG image") from None
    return np.asarray(gray, np.float64) / 255


def image_pixels(data: bytes, side: int) -> np.ndarray:
    """The ``(side * side,)`` input in [0, 1] a network reads for a PNG or JPEG digit."""
    drawing = ink(decode_gray(data))
    if drawing is None:
        raise RequestError(422, "the image is blank: no digit found")
    return digit_input(drawing, side)


async def read_body(request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"the body is {declared} bytes, at most {limit} are allowed")
    import anyio
    from starlette.requests import ClientDisconnect

    chunks, size = [], 0
    try:
        with anyio.fail_after(BODY_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise RequestError(413, f"the body is over {limit} bytes, the limit")
                chunks.append(chunk)
    except ClientDisconnect:
        raise ClientGone(request.url.path) from None
    except TimeoutError:
        raise RequestError(408, f"the body took over {BODY_SECONDS} s to arrive") from None
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
    from starlette.responses import JSONResponse

    clf = Classifier(net, name)

    async def request_error(request, exc: RequestError):
        if isinstance(exc, ClientGone):  # nobody to answer: one quiet line, no traceback
            log.info("%s", exc)
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    async def http_error(request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    return Starlette(routes=_page_routes() + _api_routes(clf), exception_handlers={
        RequestError: request_error, HTTPException: http_error})


def _page_routes() -> list:
    """GET routes for the page's own files (read once, served from memory)."""
    from starlette.responses import Response
    from starlette.routing import Route

    web = resources.files("gone") / "web"
    pages = {path: (web.joinpath(f).read_bytes(), ctype) for path, (f, ctype) in WEB_FILES.items()}

    async def page(request):
        body, ctype = pages[request.url.path]
        return Response(body, media_type=ctype, headers={"Cache-Control": "no-cache"})

    return [Route(path, page) for path in WEB_FILES]


def _api_routes(clf: Classifier) -> list:
    """/api/model, /api/predict and /guess; their CPU work runs in WORKERS threads."""
    import anyio
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    pool = []  # the worker limiter, made on first use inside the event loop

    async def work(fn, *args):
        if not pool:
            pool.append(anyio.CapacityLimiter(WORKERS))
        return await anyio.to_thread.run_sync(fn, *args, limiter=pool[0])

    def read_image(data, with_input):
        pixels = image_pixels(data, clf.side)
        answer = clf.classify(pixels)
        return {**answer, "input": pixels.tolist()} if with_input else answer

    async def model(request):
        return JSONResponse({"input_shape": clf.input_shape, "classes": CLASSES, "name": clf.name})

    async def predict(request):
        _require_type(request, "application/json")
        body = await read_body(request, MAX_JSON_BYTES)
        return JSONResponse(await work(lambda: clf.classify(parse_predict(body, clf.side))))

    async def guess(request):
        with_input = request.query_params.get("input", "") not in ("", "0")
        answer = await work(read_image, await upload(request), with_input)
        accept = request.headers.get("accept", "")
        if "text/plain" in accept and "json" not in accept:
            return PlainTextResponse(f"{answer['digit']}\n")
        return JSONResponse(answer)

    return [Route("/api/model", model), Route("/api/predict", predict, methods=["POST"]),
            Route("/guess", guess, methods=["POST"])]


def serve(path=None, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the digit page for the ``.gone`` file at ``path`` until interrupted.

    Without ``path``: the MNIST model at :func:`gone.web.models.mnist_model_path`
    if there is one, else scikit-learn's digits model (see gone.web.models).
    The port is bound before "serving on" is printed; a port in use or a bad
    host is a ConfigError suggesting ``--port``.
    """
    from .models import load_model
    from .server import listen, run

    sock = listen(host, port)  # first: a busy port is reported before minutes of loading
    try:
        net, name, note = load_model(path)
        app = create_app(net, name=name)
    except BaseException:
        sock.close()
        raise
    if note:
        print(f"gone: {note}", flush=True)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"gone: serving {name} on http://{shown}:{bound}/ (Ctrl-C to stop)", flush=True)
    run(app, sock)
