"""One validation for the command line and the Python API: each option's rule and message live here once.

Every check returns the cleaned value or raises :class:`OptionError` (a :class:`ColimError`) naming the
option as the caller spells it: ``top_k`` from the API, ``--top-k`` from the CLI, with the same words
after the name ("must be a whole number ≥ 1, got 0"). The CLI's click types call the ``*_problem``
functions and hand the words to click, so both paths refuse the same values with the same message.
Values are checked by type too: the API never turns ``2.7`` into 2, ``'no'`` into True or ``None`` into
a default, and never lets a wrong type reach the engine as a deep ``TypeError``.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any, Iterable

from colim.errors import ColimError

#: the largest --memory-mb colim takes: 16 TiB (beyond that a number is a typo, and sizes overflow).
MAX_MEMORY_MB = float(1 << 24)
#: seconds colim waits for a Dask scheduler to answer before it gives up (``--scheduler``).
SCHEDULER_TIMEOUT_S = 10
#: address schemes of a Dask scheduler colim connects to.
SCHEDULER_SCHEMES = ("tcp", "tls")
DEVICES = ("auto", "cpu", "cuda")


class OptionError(ColimError):
    """An option value of the wrong type or out of range (the same rule from the CLI and the API)."""


def show(value: Any) -> str:
    """How a refused value is quoted in a message: text in quotes, numbers as written, other objects by type."""
    if isinstance(value, (str, bool)) or value is None:
        return repr(value)
    if isinstance(value, numbers.Number):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return f"a {type(value).__name__}"


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def whole_number_problem(value: Any, minimum: int = 1) -> str | None:
    """None when ``value`` is an integer ≥ ``minimum`` (not a bool, not 2.7, not '2'), else the words of the refusal."""
    if _is_whole(value) and value >= minimum:
        return None
    return f"must be a whole number ≥ {minimum}, got {show(value)}"


def positive_number_problem(value: Any, maximum: float | None = None) -> str | None:
    """None when ``value`` is a finite number > 0 (and ≤ ``maximum``), else the words of the refusal."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        if maximum is None or value <= maximum:
            return None
        return f"must be at most {maximum:,.0f}, got {show(value)}"
    return f"must be a finite number > 0, got {show(value)}"


def _refuse(name: str, problem: str | None) -> None:
    """Raise the :class:`OptionError` for ``problem`` (a ``*_problem`` function's words) naming the option, if any."""
    if problem:
        raise OptionError(f"{name} {problem}")


def whole_number(value: Any, name: str, minimum: int = 1, optional: bool = False) -> int | None:
    """``value`` as an int ≥ ``minimum`` (None passes when ``optional``); :class:`OptionError` otherwise."""
    if value is None and optional:
        return None
    _refuse(name, whole_number_problem(value, minimum))
    return int(value)


def positive_number(value: Any, name: str, maximum: float | None = None, optional: bool = False) -> float | None:
    """``value`` as a finite float > 0 (≤ ``maximum``; None passes when ``optional``)."""
    if value is None and optional:
        return None
    _refuse(name, positive_number_problem(value, maximum))
    return float(value)


def flag(value: Any, name: str) -> bool:
    """A yes/no option: True or False only (``'no'`` is not True)."""
    if isinstance(value, bool) or (type(value).__name__ == "bool_" and type(value).__module__ == "numpy"):
        return bool(value)
    raise OptionError(f"{name} must be True or False, got {show(value)}")


def choice(value: Any, name: str, choices: Iterable[str], optional: bool = False) -> str | None:
    """One of ``choices`` (a string), listing them when refused."""
    options = tuple(choices)
    if value is None and optional:
        return None
    if isinstance(value, str) and value in options:
        return value
    raise OptionError(f"{name} must be one of {', '.join(options)}, got {show(value)}")


def machine_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def workers_problem(value: Any) -> str | None:
    """The refusal of a local Dask cluster size: a whole number from 1 to the machine's cores."""
    problem = whole_number_problem(value)
    if problem:
        return problem
    cores = machine_cores()
    if value > cores:
        return f"must be at most this machine's {cores} CPU cores (one worker process per core), got {value}"
    return None


def workers(value: Any, name: str = "workers") -> int | None:
    """``workers`` (None: no local cluster)."""
    if value is None:
        return None
    _refuse(name, workers_problem(value))
    return int(value)


def scheduler_problem(value: Any) -> str | None:
    """The refusal of a Dask scheduler address, or None for ``tcp://HOST:PORT``, ``tls://HOST:PORT`` or ``HOST:PORT``."""
    example = "such as tcp://HOST:8786"
    if not isinstance(value, str):
        return f"must be a Dask scheduler address {example}, got {show(value)}"
    text = value.strip()
    if not text:
        return f"must be a Dask scheduler address {example}, got ''"
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in SCHEDULER_SCHEMES:
        return f"must be a Dask scheduler address {example}: scheme '{scheme}://' is not supported (use {' or '.join(s + '://' for s in SCHEDULER_SCHEMES)}), got '{value}'"
    host, colon, port = rest.rpartition(":")
    if host.startswith("["):
        bracketed = host.endswith("]") and len(host) > 2
        host = host[1:-1] if bracketed else ""
    if not colon or not host or "/" in host or "[" in host or "]" in host or not port.isdigit() or not 0 < int(port) < 65536:
        return f"must be a Dask scheduler address {example} (host and port 1-65535; IPv6 hosts in brackets, [::1]:8786), got '{value}'"
    return None


def scheduler(value: Any, name: str = "scheduler") -> str | None:
    """A Dask scheduler address (None: no existing cluster), stripped."""
    if value is None:
        return None
    _refuse(name, scheduler_problem(value))
    return value.strip()


def path_like(value: Any, name: str, optional: bool = False) -> str | os.PathLike | None:
    """A file path (``str`` or ``os.PathLike``); None passes when ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, (str, os.PathLike)) and str(value):
        return value
    raise OptionError(f"{name} must be a file path, got {show(value)}")


__all__ = [
    "DEVICES", "MAX_MEMORY_MB", "OptionError", "SCHEDULER_TIMEOUT_S", "choice", "flag", "machine_cores", "path_like", "positive_number",
    "positive_number_problem", "scheduler", "scheduler_problem", "show", "whole_number", "whole_number_problem", "workers", "workers_problem",
]


def device_name(value: Any, name: str = "device", optional: bool = True) -> str | None:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (None: auto)."""
    if value is None and optional:
        return None
    if isinstance(value, str) and (value in DEVICES or (value.startswith("cuda:") and value[5:].isdigit())):
        return value
    raise OptionError(f"{name} must be one of {', '.join(DEVICES)}, got {show(value)}")


def check_screen_options(options: Any) -> None:
    """Refuse a :class:`colim.screening.screen.ScreenOptions` with a wrong type or value, naming the field (``top_k`` ...)."""
    whole_number(options.top_k, "top_k")
    for name in ("depth", "block_pairs", "core_block", "set_block"):
        whole_number(getattr(options, name), name, optional=True)
    positive_number(options.memory_mb, "memory_mb", MAX_MEMORY_MB, optional=True)
    device_name(options.device)
    flag(options.restart, "restart")
    flag(options.overwrite, "overwrite")
    workers(options.workers)
    scheduler(options.scheduler)
    if options.workers is not None and options.scheduler is not None:
        raise OptionError("give workers (a local cluster) or scheduler (an existing one), not both")


def model_paths(value: Any, name: str = "model") -> list[str | os.PathLike]:
    """The checkpoint paths of a ``model`` argument: one path or a non-empty list/tuple of paths."""
    items = [value] if isinstance(value, (str, os.PathLike)) else list(value) if isinstance(value, (list, tuple)) else None
    if not items or not all(isinstance(v, (str, os.PathLike)) and str(v) for v in items):
        raise OptionError(f"{name} must be a checkpoint (.pt), an ensemble directory or manifest, a list of those, the members "
                          f"load_model returns, or None for the shipped model; got {show(value)}")
    return items


def text_arg(value: Any, name: str, example: str) -> str:
    """A string argument (a ligand set, an operator list ...), refused with an example otherwise."""
    if isinstance(value, str):
        return value
    raise OptionError(f"{name} must be text such as {example}, got {show(value)}")
