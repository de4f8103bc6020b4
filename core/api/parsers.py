"""The API's JSON parser: bounded in size and depth, strict about what it accepts.

DRF's own JSONParser reads `request.body`, so its only limit is Django's DATA_UPLOAD_MAX_MEMORY_SIZE,
which answers an HTML 400; and Python's decoder recurses once per nesting level, so a body of ten
thousand `[` answers 500 (RecursionError). This parser:

- reads at most `body_limit(view)` bytes from the stream (the view's `max_body_bytes`, else
  settings.API_MAX_BODY_BYTES) and answers 413 (`RequestTooLarge`) past it, before decoding;
- measures the nesting depth before decoding, in C-speed regular expressions (strings removed, then
  innermost bracket pairs peeled once per level, at most API_JSON_MAX_DEPTH passes), and answers 400
  naming the limit when the document is deeper;
- refuses NaN and Infinity (not JSON) and bodies that are not UTF-8;
- hands every decoded string (keys and values) to the text check (`check_payload_text`), which
  answers 400 naming the path of the first string it refuses.

Errors are the API's `detail` shape, raised as DRF exceptions (see core.api.base.exception_handler).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, renderers, status

from core.text import check_text

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST = re.compile(rb"\[\]|\{\}")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def body_limit(view) -> int | None:
    """The largest body (bytes) the view accepts: its `max_body_bytes`, else API_MAX_BODY_BYTES."""
    limit = getattr(view, "max_body_bytes", None)
    if limit is None:
        limit = getattr(settings, "API_MAX_BODY_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return limit


def too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})


def depth_exceeds(raw: bytes, limit: int) -> bool:
    """True when the JSON text nests arrays/objects more than `limit` levels deep.

    Strings are removed first (their brackets are text), then everything but brackets; each pass
    removes the innermost `[]`/`{}` pairs, i.e. one level. Brackets that do not pair up make the
    text invalid JSON: if they could hide more than `limit` levels, that counts as too deep (the
    decoder would recurse into them before finding the mismatch); otherwise the decoder reports it."""
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw))
    for level in range(limit):  # `level` passes done so far
        if not brackets:
            return False
        brackets, removed = _INNERMOST.subn(b"", brackets)
        if not removed:
            return level + len(brackets) > limit
    return bool(brackets)


def iter_strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every key and string value of decoded JSON, iteratively (no recursion).
    Paths read like `[3].payer` or `team[0]`."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, item in value.items():
                here = f"{where}.{key}" if where else str(key)
                yield here, key
                stack.append((here, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


def check_payload_text(data: Any) -> None:
    """Refuse the payload (400 naming the path) if any of its strings breaks the project's text rule
    (core.text: no NUL, no lone surrogate; the decoder turns `"\\ud800"` into one)."""
    for where, value in iter_strings(data):
        try:
            check_text(value)
        except DjangoValidationError as exc:
            name = where or _("the body")
            raise exceptions.ParseError(
                _("Invalid text at %(path)s: %(message)s") % {"path": name, "message": " ".join(exc.messages)}
            ) from None


class SafeJSONParser(parsers.BaseParser):
    """application/json, bounded (see the module docstring). Deliberately not a subclass of DRF's
    JSONParser: DRF reads `request.body` for those (Django's limit, an HTML 400); this one reads the
    stream itself, up to the view's limit."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = body_limit(parser_context.get("view"))
        request = parser_context.get("request")
        if limit is not None and request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                raise too_large(limit)
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise too_large(limit)
        encoding = parsers.get_encoding(parser_context)
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise exceptions.ParseError(_("JSON bodies must be UTF-8."))
        max_depth = getattr(settings, "API_JSON_MAX_DEPTH", 32)
        if depth_exceeds(raw, max_depth):
            raise exceptions.ParseError(
                _("JSON parse error - nested more than %(depth)s levels deep.") % {"depth": max_depth}
            )
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("JSON parse error - the body is not valid UTF-8.")) from None
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        check_payload_text(data)
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON value")
