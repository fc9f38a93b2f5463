"""Progress bars that never get in the way: on stderr, only when stderr is a terminal, shown only for
work that lasts (``delay``), and erased when done, so no fragment (``embedding cores: 0%|``) lands in a
result table, a piped output or before an error line."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

#: seconds of work before a bar appears: quick steps and early errors show none.
DELAY_S = 0.5


def progress_bar(iterable=None, *, disable: bool = False, **kwargs) -> tqdm:
    """A tqdm bar on stderr, disabled off a terminal or when ``disable``; erased when closed (``leave=False``)."""
    kwargs.setdefault("leave", False)
    kwargs.setdefault("delay", DELAY_S)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, disable=disable or not sys.stderr.isatty(), file=sys.stderr, **kwargs)
