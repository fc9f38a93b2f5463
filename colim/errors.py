"""User-facing errors: every problem a user can cause raises a ``ColimError`` subclass.

The CLI turns these into one ``Error: ...`` line and a non-zero exit; anything else is a bug and
keeps its traceback.
"""


class ColimError(Exception):
    """Base class of every error caused by user input or configuration."""


class ApiError(ColimError):
    """An argument of a :mod:`colim.api` function that cannot be used."""


class StructureError(ColimError):
    """A structure file or core could not be read or is chemically invalid."""


class LigandError(ColimError):
    """A ligand SMILES or ligand set is invalid."""


class PluginError(ColimError):
    """A plugin is unknown, duplicated or broken."""


class UnknownPluginError(PluginError):
    """A plugin name that no loaded plugin provides."""


class DuplicatePluginError(PluginError):
    """Two plugins register the same name for the same kind."""


class EditError(ColimError):
    """An edit operator was given bad arguments or an edit does not fit the core."""


class LibraryError(ColimError):
    """An HDF5 library or dataset file is missing, corrupt or incompatible."""


class CheckpointError(ColimError):
    """A model checkpoint is missing, corrupt or does not match the requested encoders."""


class OutputExistsError(ColimError):
    """An output file exists and ``--overwrite`` was not given."""


class WeightsError(ColimError):
    """External encoder weights are missing or fail verification."""


class OutputWriteError(ColimError):
    """An output cannot be written: read-only folder, no permission, full disk, or it is an input."""
