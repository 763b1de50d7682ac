"""Spreadsheet cells that stay data. Pure."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell that a spreadsheet program will not run as a formula: text starting with
    ``= + - @``, a tab or a carriage return gets a leading apostrophe (OWASP's advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
