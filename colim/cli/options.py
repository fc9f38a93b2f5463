"""Option parsers shared by the commands: each raises ``click.BadParameter`` so the message names the option.

Messages start with "must ...": the CLI prints them as ``Error: --OPTION must ..., got VALUE`` on one
line with exit status 1 (see :func:`bad_parameter_line`).
"""

from __future__ import annotations

import math
import re

import click


class PositiveInt(click.ParamType):
    """A whole number ≥ 1 (``--top-k``, ``--core-block``, ``--block-size``, ...): 0 and negatives are refused, not clamped."""

    name = "integer"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"must be a whole number ≥ 1, got {value!r}", param, ctx)
        if number < 1:
            self.fail(f"must be a whole number ≥ 1, got {number}", param, ctx)
        return number


class PositiveFloat(click.ParamType):
    """A finite number > 0 (``--tol``, ``--memory-mb``): NaN and infinity are refused."""

    name = "number"

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"must be a finite number > 0, got {value!r}", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"must be a finite number > 0, got {value}", param, ctx)
        return number


POSITIVE_INT = PositiveInt()
POSITIVE_FLOAT = PositiveFloat()


def bad_parameter_line(exc: click.BadParameter) -> str:
    """One line naming the option (or argument) of a click parameter error, without click's usage block."""
    param = exc.param
    if isinstance(param, click.Option):
        hint = max(param.opts, key=len)
    elif param is not None:
        hint = (param.human_readable_name or param.name or "").upper()
    else:
        hint = exc.param_hint if isinstance(exc.param_hint, str) else "/".join(exc.param_hint or ())
    message = exc.format_message() if not hint else exc.message
    if isinstance(exc, click.MissingParameter):
        return f"missing {'option' if isinstance(param, click.Option) else 'argument'} {hint}"
    folder = re.fullmatch(r"(?:File|Path|Directory) '(.+)' is a directory\.", message)
    if folder:
        return f"{folder.group(1)}: is a folder; {hint} needs a file"
    return f"{hint} {message}" if message.startswith("must ") else f"{hint}: {message}" if hint else message
