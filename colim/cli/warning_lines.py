"""Warnings of a command: one ``Warning: ...`` line each on stderr, after the command's own output."""

from __future__ import annotations

from typing import Iterable

import click


def echo_warnings(lines: Iterable[str]) -> None:
    """Print each warning line to stderr, prefixed ``Warning:``."""
    for line in lines:
        click.echo(f"Warning: {line}", err=True)


def out_of_domain(*in_domain: object) -> bool:
    """True when any flag is false (a core or set the model has not seen: the score beside it is an
    extrapolation, however tight its spread). Unknown flags (None, NA) do not count."""
    return any(str(flag) == "False" for flag in in_domain)
