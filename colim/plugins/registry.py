"""Typed registries of plugin classes, one per plugin kind.

A registry maps a class's ``name`` attribute to the class and remembers which package provided it,
so that a duplicate name can be reported with both sources and an unknown name with every choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Iterator, TypeVar

from colim.errors import DuplicatePluginError, PluginError, UnknownPluginError

T = TypeVar("T")


@dataclass(frozen=True)
class PluginSource:
    """Where a registered class came from: a distribution (package) name and its version."""

    package: str
    version: str

    def __str__(self) -> str:
        return f"{self.package} {self.version}"


@dataclass(frozen=True)
class RegisteredPlugin(Generic[T]):
    """One registered class with its kind, name and source."""

    kind: str
    name: str
    cls: type[T]
    source: PluginSource


class Registry(Generic[T]):
    """All classes of one plugin kind (e.g. ``core encoder``), looked up by name."""

    def __init__(self, kind: str, base: type[T]):
        self.kind = kind
        self.base = base
        self._entries: dict[str, RegisteredPlugin[T]] = {}

    def add(self, cls: type[T], source: PluginSource) -> None:
        """Register ``cls`` under ``cls.name``; a name already taken raises, naming both sources."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise PluginError(f"{source.package} registered {cls!r} as a {self.kind}, but it does not subclass {self.base.__name__}")
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{source.package}: {cls.__name__} has no 'name' attribute")
        if name in self._entries:
            first = self._entries[name]
            raise DuplicatePluginError(
                f"{self.kind} '{name}' is registered twice: by {first.source} ({first.cls.__module__}.{first.cls.__name__}) "
                f"and by {source} ({cls.__module__}.{cls.__name__})"
            )
        self._entries[name] = RegisteredPlugin(self.kind, name, cls, source)

    def remove(self, name: str) -> None:
        """Unregister ``name`` (used by tests that register a class temporarily)."""
        self._entries.pop(name, None)

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``; an unknown name raises with the list of valid names."""
        try:
            return self._entries[name].cls
        except KeyError:
            choices = ", ".join(sorted(self._entries)) or "(none)"
            raise UnknownPluginError(f"unknown {self.kind} '{name}'; choose from: {choices}") from None

    def entry(self, name: str) -> RegisteredPlugin[T]:
        """The full registration record of ``name``."""
        self.get(name)
        return self._entries[name]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[RegisteredPlugin[T]]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)


class Registrar(Generic[T]):
    """What a hook receives: a registry bound to the plugin that is registering."""

    def __init__(self, registry: Registry[T], source: PluginSource):
        self._registry = registry
        self.source = source

    @property
    def kind(self) -> str:
        return self._registry.kind

    def add(self, cls: type[T]) -> None:
        """Register a class; its name is ``cls.name``."""
        self._registry.add(cls, self.source)
