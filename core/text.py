"""Text the app accepts: valid Unicode without NUL. One rule for every door: page forms and query
strings (core.middleware), the API's JSON bodies (core.api.parsers calls `check_text` on every key
and string), and import files and API records (imports.reader).

What is refused, and why:

- NUL (U+0000): PostgreSQL's text types cannot hold it. psycopg2 raises before sending a query that
  contains one, and COPY stops the whole import on it; either way the user saw a 500.
- Lone surrogates (U+D800..U+DFFF): halves of UTF-16 pairs, not characters. JSON's `"\\ud800"`
  escape decodes to one in Python, and no UTF-8 text (the database's, the driver's) can carry it.
- Bytes that are not UTF-8 (form posts, query strings): Django decodes them with `errors="replace"`,
  so a form would store U+FFFD where the bytes were. `decode_utf8` refuses them instead.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The characters refused in any text (a regular expression for `re` and for pandas' str.contains).
BAD_TEXT_PATTERN = "[\x00\ud800-\udfff]"
_BAD_TEXT = re.compile(BAD_TEXT_PATTERN)

NUL_MESSAGE = _("Text may not contain the NUL character (U+0000).")
SURROGATE_MESSAGE = _("Text may not contain U+%(code)04X: a lone surrogate is not a character.")
NOT_UTF8_MESSAGE = _("This is not valid UTF-8 text (byte %(byte)s at position %(position)d); "
                     "send text encoded as UTF-8.")


def has_bad_text(value: str) -> bool:
    return _BAD_TEXT.search(value) is not None


def text_problem(value: str) -> str | None:
    """Why `value` is refused (the first bad character), or None when it is fine."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return str(NUL_MESSAGE)
    return str(SURROGATE_MESSAGE % {"code": ord(char)})


def check_text(value) -> None:
    """Raise ValidationError (code `bad_text`) when a string holds NUL or a lone surrogate; anything
    that is not a string passes (its own field decides what it accepts)."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            raise ValidationError(problem, code="bad_text")


def clean_text(value, field: str, *, max_length: int, required: bool = True) -> str:
    """A free-text field of a service (a comment, a reason, a reference): a string, without NUL or lone
    surrogates, stripped, present when `required`, at most `max_length` characters. Raises
    ValidationError naming `field`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")}, code="invalid")
    problem = text_problem(value)
    if problem:
        raise ValidationError({field: problem}, code="invalid")
    value = value.strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    if len(value) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}}, code="max_length")
    return value


def decode_utf8(raw: bytes) -> str:
    """`raw` as UTF-8 text with the rule above; ValidationError (code `not_utf8` or `bad_text`)."""
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            NOT_UTF8_MESSAGE % {"byte": f"0x{raw[exc.start]:02X}", "position": exc.start}, code="not_utf8"
        ) from None
    check_text(value)
    return value


def printable(value: str) -> str:
    """`value` with every refused character replaced by U+FFFD: safe to show, store in a staging
    table or put in a message (the row is refused anyway)."""
    return _BAD_TEXT.sub("\ufffd", value)
