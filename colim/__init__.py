"""colim: rank protective ligands for designed coinage-metal nanocluster cores (the CoLiM method)."""

__version__ = "0.1.0"

from colim.hookspecs import hookimpl  # noqa: E402
from colim.registry import Registrar  # noqa: E402

__all__ = ["Registrar", "__version__", "hookimpl"]
