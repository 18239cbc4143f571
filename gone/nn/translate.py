"""Translation maps: symbols in, symbols out.

Small-tool users feed networks letters or words: ``{"w": 0.1, "h": 0.2}``.
``encode`` turns a symbol (or a sequence of them, one per input) into numbers;
``decode`` turns each output into the symbol whose number is nearest.

A decode map is ``{symbol: value}``; the inverse orientation ``{value: symbol}``
(all keys numbers, some values not) is accepted too. When the values are
vectors of length ``n_out`` a whole output row decodes to one symbol (e.g.
one-hot class names); when they are scalars each output unit decodes alone.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..errors import InputError


def encode(x, mapping, n_inputs: int) -> np.ndarray:
    """Map symbols to numbers: one symbol (when ``n_inputs == 1``), a row, or rows of symbols.

    With ``n_inputs == 1`` a flat sequence is a batch ``(batch, 1)``; otherwise it
    is one sample ``(n_inputs,)``.
    """
    def one(symbol):
        if isinstance(symbol, Real):
            return float(symbol)
        try:
            return mapping[symbol]
        except KeyError:
            raise InputError(f"symbol {symbol!r} is not in the input translation map "
                             f"(known: {', '.join(map(repr, list(mapping)[:10]))})") from None
        except TypeError:
            raise InputError(f"cannot translate {symbol!r}") from None

    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        if n_inputs == 1:
            return np.array([one(x)], dtype=float)
        x = list(x)  # a string of n_inputs characters
    rows = [[one(s) for s in row] if _is_row(row) else one(row) for row in x]
    out = np.asarray(rows, dtype=float)
    # With one input a flat sequence is a batch of samples, not one sample.
    return out[:, None] if n_inputs == 1 and out.ndim == 1 else out


def _is_row(item) -> bool:
    return hasattr(item, "__iter__") and not isinstance(item, (str, bytes))


def _oriented(mapping) -> tuple[list, np.ndarray]:
    items = list(mapping.items())
    if not items:
        raise InputError("the output translation map is empty")
    keys_numeric = all(isinstance(k, Real) for k, _ in items)
    values_numeric = all(isinstance(v, Real) or _is_row(v) for _, v in items)
    if keys_numeric and not values_numeric:
        items = [(v, k) for k, v in items]  # {value: symbol}
    symbols = [k for k, _ in items]
    try:
        values = np.asarray([v for _, v in items], dtype=float)
    except (TypeError, ValueError):
        raise InputError("output translation values must be numbers or number vectors") from None
    return symbols, values


def decode(y: np.ndarray, mapping):
    """Nearest symbols for outputs ``(n_out,)`` or ``(batch, n_out)``.

    Scalar map values: returns a list of symbols per sample (a single symbol when
    ``n_out == 1``). Vector map values: one symbol per sample.
    """
    symbols, values = _oriented(mapping)
    y = np.asarray(y, dtype=float)
    if values.ndim == 2:
        if values.shape[1] != y.shape[-1]:
            raise InputError(f"translation vectors have length {values.shape[1]} "
                             f"but the network has {y.shape[-1]} outputs")
        idx = np.argmin(((y[..., None, :] - values) ** 2).sum(-1), axis=-1)
        return symbols[idx] if y.ndim == 1 else [symbols[i] for i in idx]
    idx = np.argmin(np.abs(y[..., None] - values), axis=-1)
    picked = np.asarray(symbols, dtype=object)[idx]
    if y.ndim == 1:
        return picked[0] if y.shape[0] == 1 else list(picked)
    return [row[0] if len(row) == 1 else list(row) for row in picked]
