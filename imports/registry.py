"""The importers by kind. Domain apps register theirs from `<app>/importers.py`:

    @register
    class FlowImporter(Importer):
        kind = "flows"
        ...

The registry imports every installed app's `importers` module the first time it is asked (like the
admin finds `admin.py`), not at start-up: importers need pandas, and a process that never imports (a
Celery worker, most web requests) should not carry it."""

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


_discovered = False


def _discover() -> None:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("importers")
        _discovered = True


def importer_for(kind: str) -> type[Importer]:
    """The importer class of a kind; KeyError for a kind nobody registered."""
    _discover()
    return _importers[kind]


def kinds() -> list[str]:
    _discover()
    return [cls.kind for cls in sorted(_importers.values(), key=lambda c: (c.order, c.kind))]


def kind_choices(user=None) -> list[tuple[str, str]]:
    """(kind, label) in the order the upload page lists them; with a user, only the kinds offered to
    them (exchange rates are head office's)."""
    return [(kind, _importers[kind].label) for kind in kinds()
            if user is None or _importers[kind].offered_to(user)]
