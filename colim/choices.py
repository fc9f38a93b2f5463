"""One place that resolves string options, so every bad choice fails the same way, listing the valid ones."""

from __future__ import annotations

from typing import Iterable

from colim.errors import ColimError


class InvalidChoiceError(ColimError):
    """A string option that is not one of its allowed values."""


def resolve_choice(value: str, choices: Iterable[str], what: str) -> str:
    """Return ``value`` lower-cased if it is one of ``choices``; else raise listing them."""
    options = list(choices)
    key = str(value).strip().lower()
    if key not in options:
        raise InvalidChoiceError(f"unknown {what} '{value}'; choose from: {', '.join(options)}")
    return key
