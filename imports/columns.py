"""The columns of an import, declared once per importer column: its key (the API field and the English
header), its Chinese header, the other headers people write for it, what kind of value it holds and,
for a choice, the values people write for each choice.

Headers are a file format, not UI text: both header languages are literal here (not taken from the
translation catalogue), so a file that imports today still imports after a translator rewords a label.
A header matches whatever its spelling: full-width or ASCII brackets, case, spaces, underscores and
hyphens are ignored (`金额（元）` = `金额(元)`, `Value date` = `value_date`).

Choices are one place per choice set: the model's TextChoices (its values and its labels in English
and in Chinese, read from the catalogue with the language switched) plus the few words people use that
are not a label (`本行`, `他行`, `收款`), declared next to the column that takes them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

from core.money import chinese

TEXT, CODE, AMOUNT, DATE, CHOICE, INTEGER = "text", "code", "amount", "date", "choice", "integer"
LANGUAGES = ("en", "zh-hans")

_IGNORED = re.compile(r"[\s_\-*]+")


def normalise(text) -> str:
    """What a header or a written choice is compared on: NFKC (full-width forms as ASCII), lower case,
    without spaces, underscores, hyphens, asterisks or a byte-order mark."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").lower())


@dataclass(frozen=True, eq=False)
class Column:
    key: str  # the API field, the English header, what the importer's code calls the column
    zh: str  # the Chinese header of the templates
    aliases: tuple[str, ...] = ()  # other headers accepted (either language)
    type: str = TEXT
    help: str | Promise = ""  # what goes in it (the templates' notes; translatable)
    choices: Any = None  # a TextChoices class, for type CHOICE
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # choice value -> other words
    example_en: str = ""  # example cell of the English template ("" for none)
    example_zh: str | None = None  # example cell of the Chinese template (None: the English one)

    def header(self, language: str | None = None) -> str:
        """The header of the templates in a language (the active one by default)."""
        return self.zh if chinese(language) else self.key

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.key, self.zh, *self.aliases)

    def choice_map(self) -> dict[str, str]:
        """{normalised written form: stored value}: each value, its label in every language, its synonyms."""
        return _choice_map(self.choices, tuple(sorted((k, tuple(v)) for k, v in self.synonyms.items())))

    def choice_labels(self, language: str | None = None) -> list[str]:
        """The allowed values as the message names them: labels in Chinese, the stored values in English."""
        if self.choices is None:
            return []
        if chinese(language):
            return [str(label) for label in self.choices.labels]
        return list(self.choices.values)

    def example(self, language: str | None = None) -> str:
        if chinese(language) and self.example_zh is not None:
            return self.example_zh
        return self.example_en


_choice_cache: dict[tuple, dict[str, str]] = {}


def _choice_map(choices, synonyms: tuple) -> dict[str, str]:
    key = (choices, synonyms)
    cached = _choice_cache.get(key)
    if cached is not None:
        return cached
    found: dict[str, str] = {}
    for value in choices.values:
        found[normalise(value)] = value
    for language in LANGUAGES:
        with translation.override(language):
            for value, label in zip(choices.values, choices.labels, strict=True):
                found.setdefault(normalise(label), value)
    for value, words in synonyms:
        for word in words:
            found.setdefault(normalise(word), value)
    _choice_cache[key] = found
    return found


def choice_values(column: Column, language: str) -> dict[str, str]:
    """{stored value: label in `language`}, for the templates' notes and examples."""
    assert column.choices is not None, column.key
    with translation.override(language):
        return {v: str(label) for v, label in zip(column.choices.values, column.choices.labels, strict=True)}
