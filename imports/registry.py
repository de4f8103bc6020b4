"""The importers by kind. Domain apps register theirs from `<app>/importers.py`:

    @register
    class FlowImporter(Importer):
        kind = "flows"
        ...

`ImportsConfig.ready()` imports every installed app's `importers` module, so the registry is full
once Django is set up."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imports.engine import Importer

_importers: dict[str, type[Importer]] = {}


def register(cls: type[Importer]) -> type[Importer]:
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no kind")
    existing = _importers.get(cls.kind)
    if existing is not None and existing is not cls:
        raise ValueError(f"Two importers for {cls.kind!r}: {existing.__name__} and {cls.__name__}")
    _importers[cls.kind] = cls
    return cls


def importer_for(kind: str) -> type[Importer]:
    """The importer class of a kind; KeyError for a kind nobody registered."""
    return _importers[kind]


def kinds() -> list[str]:
    return [cls.kind for cls in sorted(_importers.values(), key=lambda c: (c.order, c.kind))]


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) in the order the upload page lists them."""
    return [(kind, _importers[kind].label) for kind in kinds()]
