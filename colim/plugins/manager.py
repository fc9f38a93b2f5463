"""Loading plugins: the built-ins in ``DEFAULT_PLUGINS`` and third-party ones from the ``colim``
entry-point group, once, lazily, into one registry per plugin kind.

Set ``COLIM_LOAD_PLUGINS`` to a comma-separated list of entry-point or distribution names to load
only those third-party plugins (an empty value loads none); built-ins always load.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Sequence

import pluggy

from colim.errors import PluginError
from colim.plugins import hookspecs
from colim.plugins.registry import PluginSource, RegisteredPlugin, Registrar, Registry
from colim.version import __version__

if TYPE_CHECKING:
    from colim.editing import EditOperator
    from colim.encoders import CoreEncoder, LigandEncoder

ENTRY_POINT_GROUP = "colim"

#: built-in plugins, loaded exactly like third-party ones (module paths).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "colim.plugins.builtin.fingerprint",
    "colim.plugins.builtin.ligand_chemistry",
    "colim.plugins.builtin.edit_operators",
    "colim.plugins.builtin.cgcnn",
    "colim.plugins.builtin.schnet",
    "colim.plugins.builtin.gin",
    "colim.plugins.builtin.molgnn",
    "colim.plugins.builtin.unimol",
)


@dataclass(frozen=True)
class PluginKind:
    """A kind of plugin: its CLI name, the hook that registers it and the base class (dotted name, resolved on load)."""

    name: str
    hook: str
    base: str


#: the plugin kinds, as the hookspecs mark them (:func:`colim.plugins.hookspecs.registers`), in their order.
KINDS: tuple[PluginKind, ...] = tuple(
    PluginKind(spec.colim_kind, name, spec.colim_base) for name, spec in vars(hookspecs).items() if hasattr(spec, "colim_kind")
)


class _State:
    pm: pluggy.PluginManager | None = None
    registries: dict[str, Registry] = {}
    sources: dict[str, PluginSource] = {}


def _colim_source() -> PluginSource:
    return PluginSource("colim", __version__)


def _allowed_plugins() -> set[str] | None:
    raw = os.environ.get("COLIM_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _register_module(pm: pluggy.PluginManager, module: ModuleType, name: str, source: PluginSource) -> None:
    if pm.get_plugin(name) is not None:
        return
    pm.register(module, name=name)
    _State.sources[name] = source


def load_plugins() -> pluggy.PluginManager:
    """Load built-in and entry-point plugins and fill the registries; later calls return at once."""
    if _State.pm is not None:
        return _State.pm
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    _State.sources = {}
    builtin = _colim_source()
    for path in DEFAULT_PLUGINS:
        _register_module(pm, importlib.import_module(path), path, builtin)
    allowed = _allowed_plugins()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        dist_name = dist.name if dist is not None else ep.module
        if allowed is not None and ep.name not in allowed and dist_name not in allowed:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken third-party plugin is a user-facing error
            raise PluginError(f"plugin '{ep.name}' from {dist_name} failed to load: {exc}") from exc
        version = dist.version if dist is not None else "unknown"
        _register_module(pm, plugin, ep.name, PluginSource(dist_name, version))
    pm.check_pending()
    _State.registries = {kind.name: Registry(kind.name, pkgutil.resolve_name(kind.base)) for kind in KINDS}
    _State.pm = pm
    try:
        for kind in KINDS:
            _call_registration_hook(pm, kind)
    except BaseException:
        _State.pm = None
        raise
    return pm


def _call_registration_hook(pm: pluggy.PluginManager, kind: PluginKind) -> None:
    """Call ``kind.hook`` on each plugin with a registrar bound to that plugin's source."""
    registry = _State.registries[kind.name]
    caller = getattr(pm.hook, kind.hook)
    for impl in reversed(caller.get_hookimpls()):  # registration order
        source = _State.sources.get(impl.plugin_name, PluginSource(impl.plugin_name, "unknown"))
        impl.function(register=Registrar(registry, source))


def reset_plugins() -> None:
    """Forget loaded plugins so the next lookup loads them again (tests, environment changes)."""
    _State.pm = None
    _State.registries = {}
    _State.sources = {}


def registry(kind: str) -> Registry:
    """The registry of one plugin kind (``"core encoder"``, ``"ligand encoder"``, ``"edit operator"``)."""
    load_plugins()
    try:
        return _State.registries[kind]
    except KeyError:
        raise PluginError(f"unknown plugin kind '{kind}'; choose from: {', '.join(k.name for k in KINDS)}") from None


def core_encoders() -> Registry["CoreEncoder"]:
    return registry("core encoder")


def ligand_encoders() -> Registry["LigandEncoder"]:
    return registry("ligand encoder")


def edit_operators() -> Registry["EditOperator"]:
    return registry("edit operator")


def all_plugins() -> list[RegisteredPlugin[Any]]:
    """Every registered class of every kind, by kind then name."""
    load_plugins()
    return [entry for kind in KINDS for entry in _State.registries[kind.name]]


def create_core_encoder(name: str, **kwargs: Any) -> CoreEncoder:
    """Build the core encoder registered as ``name``."""
    return core_encoders().get(name)(**kwargs)


def create_ligand_encoder(name: str, **kwargs: Any) -> LigandEncoder:
    """Build the ligand encoder registered as ``name``."""
    return ligand_encoders().get(name)(**kwargs)


def create_edit_operator(name: str, arguments: Sequence[str] = ()) -> EditOperator:
    """Build the edit operator registered as ``name`` with its arguments (``substitute`` with ``("Ag", "Cu")``)."""
    return edit_operators().get(name)(arguments=tuple(arguments))
