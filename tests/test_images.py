"""gone.datasets.images: MNIST's and scikit-learn digits' recipes, by hand and on real digits.

Also the helpers test_serve.py and test_browser.py share: an MNIST-like data set
(no real MNIST can be downloaded here: scikit-learn's digits upscaled to bilevel
64x64 bitmaps, like NIST's, then put through MNIST's recipe and written as IDX
files that gone.datasets.load_mnist reads) and networks trained on both sets.
"""

import numpy as np
import pytest

import gone
from gone.datasets import images

pytest.importorskip("sklearn")


def bilinear(image: np.ndarray, k: int) -> np.ndarray:
    """``image (h, w)`` upscaled ``k`` times by linear interpolation between pixel centres."""
    h, w = image.shape
    ys = (np.arange(h * k) + 0.5) / k - 0.5
    xs = (np.arange(w * k) + 0.5) / k - 0.5
    cols = np.stack([np.interp(ys, np.arange(h), image[:, j]) for j in range(w)], axis=1)
    return np.stack([np.interp(xs, np.arange(w), row) for row in cols])


def mnist_like(x8: np.ndarray) -> np.ndarray:
    """sklearn digit rows ``(n, 64)`` -> MNIST-like rows ``(n, 784)``: each drawn as a bilevel
    64x64 bitmap (NIST's were bilevel), then MNIST's recipe."""
    return np.stack([images.mnist_digit(bilinear(a.reshape(8, 8), 8) > 0.4).reshape(-1)
                     for a in x8])


def write_idx(path, array: np.ndarray) -> None:
    code = {1: 0x08}[array.dtype.itemsize]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.tobytes())


def digit_sets(folder):
    """``{"digits": (x_train, y_train, x_test, y_test, side), "mnist": ...}``, held-out fifth.

    The MNIST-like set goes through IDX files in ``folder`` and load_mnist, as a user's would.
    """
    x, y = gone.datasets.load_digits()
    x_train, y_train, x_test, y_test = gone.datasets.split(x, y, (0.8, 0.2), seed=0)
    for prefix, xs, ys in (("train", x_train, y_train), ("t10k", x_test, y_test)):
        pixels = np.round(mnist_like(xs) * 255).astype(np.uint8).reshape(-1, 28, 28)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", pixels)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", ys.astype(np.uint8))
    m = gone.datasets.load_mnist(folder)
    flat = {k: m[k].reshape(len(m[k]), -1) for k in ("x_train", "x_test")}
    return {"digits": (x_train, y_train, x_test, y_test, 8),
            "mnist": (flat["x_train"], m["y_train"], flat["x_test"], m["y_test"], 28)}


def train(x, y, side: int):
    """An MLP for ``side x side`` digits: side*side -> 64 or 128 relu -> 10 softmax.

    One BLAS thread: small matrices on a shared 2-core machine train 20x slower with more.
    """
    from threadpoolctl import threadpool_limits

    net = gone.Network([side * side, gone.Dense(64 if side == 8 else 128, "relu"),
                        gone.Dense(10, "softmax")], loss="cross_entropy", seed=0)
    with threadpool_limits(1):
        net.train(x, y, optimizer=gone.Adam(lr=0.01 if side == 8 else 0.003, batch_size=32),
                  epochs=30)
    return net


# --- the recipes by hand -------------------------------------------------------------

def test_area_resize_averages_exact_areas():
    image = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(images.area_resize(image, 2, 2), [[2.5, 4.5], [10.5, 12.5]])
    # 3 -> 2: the middle input pixel is shared half and half
    np.testing.assert_allclose(images.area_resize(np.array([[0.0, 3.0, 6.0]]), 1, 2), [[1.0, 5.0]])
    big = np.random.default_rng(0).random((37, 23))
    assert images.area_resize(big, 5, 7).mean() == pytest.approx(big.mean())  # ink is kept


def test_mnist_recipe_box_20_and_centre_of_mass_at_the_centre():
    bar = np.zeros((300, 500))
    bar[40:240, 300:340] = 1  # 200 tall, 40 wide, far off centre
    out = images.mnist_digit(bar)
    assert out.shape == (28, 28)
    rows, cols = np.nonzero(out > 0)
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 == 4
    cy, cx = (np.arange(28) @ out.sum(1)) / out.sum(), (np.arange(28) @ out.sum(0)) / out.sum()
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5
    # a lopsided shape: its centre of mass, not its box, goes to the centre
    ell = np.zeros((100, 100))
    ell[0:100, 0:10] = 1
    ell[90:100, 0:100] = 1
    out = images.mnist_digit(ell)
    cx = (np.arange(28) @ out.sum(0)) / out.sum()
    assert abs(cx - 13.5) <= 0.5
    assert np.nonzero(out.sum(0))[0].min() > 4  # the box itself sits right of centre


def test_mnist_recipe_anti_aliases_edges():
    disc = np.hypot(*np.mgrid[-100:101, -100:101]) <= 100.5
    out = images.mnist_digit(disc.astype(float))
    grey = (out > 0.05) & (out < 0.95)
    assert grey.sum() >= 20  # the rim is grey, as MNIST's are
    assert out.max() == pytest.approx(1)


def test_sklearn_recipe_fills_the_height_and_counts_ink_per_block():
    bar = np.zeros((64, 64))
    bar[8:40, 10:14] = 1  # 32 tall, 4 wide: one bitmap column of 4 blocks... at 32x32 scale 1
    out = images.sklearn_digit(bar)
    assert out.shape == (8, 8)
    assert (out.max(axis=1) > 0).all()  # every row has ink: the digit fills the height
    assert out.sum() * 16 == pytest.approx(32 * 4)  # 128 bitmap pixels of ink, in block counts


def test_ink_inverts_dark_on_light_and_refuses_blank():
    paper = np.full((20, 20), 0.9)
    paper[5:15, 8:12] = 0.1
    out = images.ink(paper)
    assert out[10, 10] == pytest.approx(1) and out[0, 0] == pytest.approx(0)
    assert images.ink(np.full((5, 5), 0.5)) is None
    with pytest.raises(gone.ShapeError):
        images.crop(np.zeros((4, 4)))
    with pytest.raises(gone.ShapeError):
        images.ink(np.zeros(5))


def test_recipes_reproduce_their_own_output():
    """A digit already in MNIST's form comes back almost unchanged from a 10x upscale
    (at worst moved one pixel, when its centre of mass sits half-way between two)."""
    x, _ = gone.datasets.load_digits()
    corr = [np.corrcoef(row, images.mnist_digit(bilinear(row.reshape(28, 28), 10)).ravel())[0, 1]
            for row in mnist_like(x[:20])]
    assert np.median(corr) > 0.99 and min(corr) > 0.85


def test_mnist_like_files_round_trip_through_load_mnist(tmp_path):
    sets = digit_sets(tmp_path)
    x_train, y_train, x_test, y_test, side = sets["mnist"]
    assert x_train.shape == (1438, 784) and x_test.shape == (359, 784) and side == 28
    assert np.array_equal(y_test, sets["digits"][3])
