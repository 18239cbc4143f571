"""Turn a picture of one digit into the input a digit network was trained on (pure numpy).

Two recipes, each the one its data set was made with:

- :func:`mnist_digit` (MNIST, 28x28): the digit's bounding box is scaled, aspect
  kept, to fit a 20x20 box with area averaging (so the edges get grey levels,
  MNIST's anti-aliasing), then placed in 28x28 with its centre of mass at the
  centre of the field (to a quarter pixel).
- :func:`sklearn_digit` (scikit-learn's digits / UCI optdigits, 8x8): the bounding
  box is scaled, aspect kept, to fill a 32x32 bitmap, placed where the data set's
  digits sit, and every 4x4 block is averaged, so a pixel is the fraction of ink
  in its block (sklearn's 0..16 counts divided by 16).

:func:`digit_input` picks the recipe by the network's image side; :func:`ink`
turns a grayscale picture (dark on light or light on dark) into ink 1 on
background 0. The web page (gone serve) posts its raw drawing as a PNG and the
server runs these same functions, so the page, ``/guess`` and ``/api/predict``
share one definition.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError

MNIST_SIDE, MNIST_BOX = 28, 20
SKLEARN_SIDE, SKLEARN_BLOCK = 8, 4
# Ink above these levels counts towards the bounding box. MNIST's box was taken on
# bilevel NIST images, whose edge is the half-coverage contour of an anti-aliased
# one; optdigits counts every on-pixel, so there faint ink counts (JPEG noise stays below).
MNIST_THRESHOLD, SKLEARN_THRESHOLD = 0.5, 0.1
# scikit-learn's digits are not centred by their box: their mean centre of mass is at
# column 3.57 of 8 (sd 0.3 blocks; 3.572 on the 1,437 training images of the tests' seeded
# 80/20 split, 3.57 on all 1,797; rows: they fill the height). Placing a drawing's centre of
# mass there, to a quarter-pixel of the 32x32 bitmap, matched held-out uploads best
# (97% agreement, against 95% when centring the box).
SKLEARN_COM_COLUMN = 3.57
SKLEARN_FINE = 4  # place on a 4x finer grid than the 32x32 bitmap
MNIST_FINE = 4  # and than MNIST's 28x28


def ink(gray: np.ndarray) -> np.ndarray | None:
    """Grayscale ``(H, W)`` in [0, 1] as ink 1 on background 0, or None if blank.

    The background is the median of the border: a light one is inverted first
    (dark ink on paper). Levels are stretched so the background is 0 and the
    darkest ink 1; None when nothing differs from the background by 0.1.
    """
    gray = _image(gray)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        gray, border = 1 - gray, 1 - border
    background = np.median(border)
    span = gray.max() - background
    if span < 0.1:
        return None
    return np.clip((gray - background) / span, 0, 1)


def area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image (H, W)`` resampled to ``(height, width)`` by exact area averaging.

    Each output pixel is the mean of the input area it covers (fractions of
    input pixels weighted by overlap): anti-aliased when shrinking.
    """
    image = _image(image)
    return _area_matrix(image.shape[0], height) @ image @ _area_matrix(image.shape[1], width).T


def _area_matrix(n: int, m: int) -> np.ndarray:
    """``(m, n)`` weights: output cell i covers input span [i n/m, (i+1) n/m)."""
    edges = np.arange(m + 1) * (n / m)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return overlap / (n / m)


def crop(ink_image: np.ndarray, threshold: float = MNIST_THRESHOLD) -> np.ndarray:
    """The part of ``ink_image (H, W)`` inside the bounding box of its ink above
    ``threshold`` (ShapeError if none)."""
    ink_image = _image(ink_image)
    rows = np.flatnonzero((ink_image > threshold).any(axis=1))
    cols = np.flatnonzero((ink_image > threshold).any(axis=0))
    if rows.size == 0:
        raise ShapeError(f"no ink in the {ink_image.shape[0]}x{ink_image.shape[1]} image")
    return ink_image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _fit(digit: np.ndarray, box: int) -> np.ndarray:
    """``digit`` scaled (aspect kept, area averaging) so its longer side is ``box``."""
    scale = box / max(digit.shape)
    height = min(box, max(1, round(digit.shape[0] * scale)))
    width = min(box, max(1, round(digit.shape[1] * scale)))
    return area_resize(digit, height, width)


def mnist_digit(ink_image: np.ndarray, side: int = MNIST_SIDE) -> np.ndarray:
    """MNIST's recipe: ink ``(H, W)`` -> ``(side, side)`` in [0, 1] (28x28 for MNIST).

    The bounding box is fitted into a ``20/28 * side`` box and moved so its centre
    of mass lands on the field's centre, to a quarter of a pixel (placed on a 4x
    finer grid, then averaged down): a drawing moved by a hair is not jumped a
    whole pixel, as whole-pixel rounding would.
    """
    fine = MNIST_FINE
    big = side * fine
    small = _fit(crop(ink_image, MNIST_THRESHOLD), round(side * MNIST_BOX / MNIST_SIDE) * fine)
    h, w = small.shape
    mass = small.sum()
    cy = (np.arange(h) @ small.sum(axis=1)) / mass
    cx = (np.arange(w) @ small.sum(axis=0)) / mass
    centre = (big - 1) / 2  # the field's centre, in fine pixel indices
    top = int(np.clip(np.floor(centre - cy + 0.5), 0, big - h))
    left = int(np.clip(np.floor(centre - cx + 0.5), 0, big - w))
    out = np.zeros((big, big))
    out[top:top + h, left:left + w] = small
    return out.reshape(side, fine, side, fine).mean(axis=(1, 3))


def sklearn_digit(ink_image: np.ndarray, side: int = SKLEARN_SIDE) -> np.ndarray:
    """scikit-learn digits' recipe: ink ``(H, W)`` -> ``(side, side)`` in [0, 1] (8x8).

    The bounding box is scaled to fill a ``4 side`` square bitmap (longer side
    touching; centred across the shorter one), the centre of mass is put at the
    data set's own column (SKLEARN_COM_COLUMN), and each 4x4 block is averaged.
    """
    fine = SKLEARN_BLOCK * SKLEARN_FINE  # bitmap pixels per output pixel, finer grid
    big = side * fine
    small = _fit(crop(ink_image, SKLEARN_THRESHOLD), big)
    h, w = small.shape
    cx = (np.arange(w) @ small.sum(axis=0)) / small.sum()
    target = (SKLEARN_COM_COLUMN + 0.5) * fine - 0.5  # that column's centre, in fine pixels
    left = int(np.clip(np.floor(target - cx + 0.5), 0, big - w))
    top = (big - h) // 2
    canvas = np.zeros((big, big))
    canvas[top:top + h, left:left + w] = small
    return canvas.reshape(side, fine, side, fine).mean(axis=(1, 3))


def digit_input(ink_image: np.ndarray, side: int) -> np.ndarray:
    """The ``(side * side,)`` input for a network reading ``side x side`` digits.

    8x8 and smaller: scikit-learn's recipe; larger (28x28 MNIST): MNIST's.
    """
    recipe = sklearn_digit if side <= SKLEARN_SIDE else mnist_digit
    return recipe(ink_image, side).reshape(-1)


def _image(array) -> np.ndarray:
    image = np.asarray(array, dtype=np.float64)
    if image.ndim != 2 or 0 in image.shape:
        raise ShapeError(f"expected a 2-D image (height, width), got shape {image.shape}")
    return image
