"""Warnings of a command: one ``Warning: ...`` line each on stderr, after the command's own output."""

from __future__ import annotations

from typing import Iterable

import click


def echo_warnings(lines: Iterable[str]) -> None:
    """Print each warning line to stderr, prefixed ``Warning:``."""
    for line in lines:
        click.echo(f"Warning: {line}", err=True)
