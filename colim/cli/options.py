"""Option parsers shared by the commands: each raises ``click.BadParameter`` so the message names the option.

Messages start with "must ...": the CLI prints them as ``Error: --OPTION must ..., got VALUE`` on one
line with exit status 1 (see :func:`bad_parameter_line`).
The parsers of list-like values are click callbacks (``callback=options.seeds``): the command
receives the parsed value.
"""

from __future__ import annotations

import json
import re

import click

from colim.api import validation


class PositiveInt(click.ParamType):
    """A whole number ≥ 1 (``--top-k``, ``--core-block``, ``--block-size``, ...): 0 and negatives are refused, not clamped.

    The rule and its words are :func:`colim.validation.whole_number_problem`, which the API applies too."""

    name = "integer"

    def convert(self, value, param, ctx) -> int:
        number = _parse_number(value, int)
        problem = self.problem(number)
        if problem:
            self.fail(problem, param, ctx)
        return number

    def problem(self, number) -> str | None:
        return validation.whole_number_problem(number)


class Workers(PositiveInt):
    """``--workers``: a whole number from 1 to the machine's cores (:func:`colim.validation.workers_problem`)."""

    def problem(self, number) -> str | None:
        return validation.workers_problem(number)


class PositiveFloat(click.ParamType):
    """A finite number > 0 (``--tol``, ``--memory-mb``): NaN and infinity are refused; ``maximum`` caps it."""

    name = "number"

    def __init__(self, maximum: float | None = None):
        self.maximum = maximum

    def convert(self, value, param, ctx) -> float:
        number = _parse_number(value, float)
        problem = validation.positive_number_problem(number, self.maximum)
        if problem:
            self.fail(problem, param, ctx)
        return float(number)


def _parse_number(value, kind):
    """A command-line word as ``kind`` (int: whole numbers only; '2.7' → 2.7 so the message shows the number), else the text."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    for parse in (int, float) if kind is int else (float,):
        try:
            return parse(text)
        except (ValueError, OverflowError):
            continue
    return value


def scheduler_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--scheduler``: a Dask scheduler address (:func:`colim.validation.scheduler_problem`); '' is refused, not local."""
    if value is None:
        return None
    problem = validation.scheduler_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value.strip()


POSITIVE_INT = PositiveInt()
POSITIVE_FLOAT = PositiveFloat()
MEMORY_MB = PositiveFloat(validation.MAX_MEMORY_MB)
WORKERS = Workers()


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


def seeds(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    """``"0,1,2"`` → ``[0, 1, 2]``: distinct integers."""
    try:
        parsed = [int(s) for s in value.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"must be comma-separated integers, got '{value}'") from None
    if not parsed or len(set(parsed)) != len(parsed):
        raise click.BadParameter(f"must list distinct integers, got '{value}'")
    return parsed


def positive_ints(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """``"256,128"`` → ``(256, 128)``: one or more positive integers (layer widths)."""
    try:
        parsed = tuple(int(d) for d in value.split(",") if d.strip())
    except ValueError:
        raise click.BadParameter(f"must be comma-separated integers, got '{value}'") from None
    if not parsed or min(parsed) < 1:
        raise click.BadParameter(f"must be positive integers, got '{value}'")
    return parsed


def json_object(ctx: click.Context, param: click.Parameter, value: str | None) -> dict:
    """A JSON object given on the command line (encoder init args); none → ``{}``."""
    if not value:
        return {}
    example = "e.g. '{\"embedding_dim\": 64}'"
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"must be a JSON object, {example} ({exc})") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter(f"must be a JSON object, {example}")
    return parsed


def split_fractions(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float, float]:
    """``"0.8,0.1,0.1"`` → three train, validation, test fractions."""
    try:
        parts = tuple(float(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter(f"must be three fractions like 0.8,0.1,0.1, got '{value}'") from None
    if len(parts) != 3:
        raise click.BadParameter(f"must be three fractions like 0.8,0.1,0.1, got '{value}'")
    return parts  # type: ignore[return-value]


def encoder_options(f):
    """Options shared by ``train`` and ``core-lift``: the two encoders, their init args and a pretrained core."""
    for option in reversed([
        click.option("--core-encoder", default="cgcnn", show_default=True, help="Core encoder plugin name (see 'colim plugins')."),
        click.option("--ligand-encoder", default="fingerprint", show_default=True, help="Ligand encoder plugin name."),
        click.option("--core-args", default=None, callback=json_object,
                     help="JSON object of core encoder init args, e.g. '{\"embedding_dim\": 64}'."),
        click.option("--ligand-args", default=None, callback=json_object, help="JSON object of ligand encoder init args."),
        click.option("--pretrained-core", type=click.Path(dir_okay=False), default=None,
                     help="Core encoder checkpoint from 'colim pretrain' (must match --core-encoder)."),
    ]):
        f = option(f)
    return f


def training_options(f):
    """Options shared by ``train`` and ``compare`` (the :class:`colim.training.trainer.TrainConfig` knobs and seeds)."""
    for option in reversed([
        click.option("--epochs", default=60, show_default=True, help="Maximum epochs."),
        click.option("--batch-size", default=32, show_default=True, help="Pairs per batch."),
        click.option("--lr", default=1e-3, show_default=True, help="Adam learning rate."),
        click.option("--patience", default=10, show_default=True, help="Stop after this many epochs without a better validation AUC."),
        click.option("--hidden-dims", default="256,128", show_default=True, callback=positive_ints, help="Head MLP widths."),
        click.option("--dropout", default=0.2, show_default=True, help="Dropout after the BatchNorm."),
        click.option("--seeds", default="0", show_default=True, callback=seeds, help="Comma-separated seeds; one model per seed."),
    ]):
        f = option(f)
    return f
