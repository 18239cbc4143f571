"""Small helpers for reading numbers from text (CLI rows, CSV cells)."""

from __future__ import annotations


def is_number(text: str) -> bool:
    """True when ``float(text)`` succeeds (so ``"1e3"``, ``" 2 "`` and ``"nan"`` count)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
