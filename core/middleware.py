"""Request guards that apply to every page, the admin and the API alike.

`TextGuardMiddleware` refuses, with a 400 that names the field, query strings and form bodies whose
text breaks the project's text rule (core.text): bytes that are not UTF-8, NUL, lone surrogates.
Django decodes form data with `errors="replace"`, so without this guard a form stored U+FFFD where
the bytes were, and a NUL reached the database driver (a 500). A middleware, not a form mixin: it
covers every page form, the admin's forms, login, and form-encoded API bodies, with one check.

- query strings and `application/x-www-form-urlencoded` bodies: the raw bytes of each name and value
  are decoded strictly, so the guard knows exactly which field held the bad bytes;
- `multipart/form-data` (the upload page): Django has already decoded the fields, leaving U+FFFD for
  bytes that were not UTF-8; a U+FFFD in a multipart field is refused as well (it is never typed on
  purpose; it is what broken text leaves behind). Uploaded files' contents are the
  import reader's to judge (imports.reader), not this guard's.

Pages get the 400 page (templates/400.html); API paths get the API's shapes: `{"detail": ...}` for a body (as the JSON
parser answers refused text) and `{"<parameter>": [...]}` for a query parameter (as filters answer).
"""

from __future__ import annotations

import codecs
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent, ValidationError
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.text import check_text, decode_utf8, printable

API_PREFIX = "/api/"
FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
REPLACEMENT = "\ufffd"


class _Refused(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def _decode(raw: bytes, encoding: str) -> str:
    if encoding == "utf-8":
        return decode_utf8(raw)
    value = raw.decode(encoding)  # UnicodeDecodeError is handled by the caller
    check_text(value)
    return value


def _check_encoded(raw: bytes, encoding: str) -> None:
    """Each name and value of a query string or urlencoded body, decoded strictly."""
    max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    try:
        # latin-1 maps each byte to one character and back: percent-decoding without decoding the text.
        pairs = parse_qsl(raw.decode("iso-8859-1"), keep_blank_values=True, max_num_fields=max_fields,
                          encoding="iso-8859-1")
    except ValueError:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        ) from None
    for name, value in pairs:
        raw_name, raw_value = name.encode("iso-8859-1"), value.encode("iso-8859-1")
        label = printable(raw_name.decode(encoding, errors="replace"))
        for part in (raw_name, raw_value):
            try:
                _decode(part, encoding)
            except ValidationError as exc:
                raise _Refused(label, " ".join(exc.messages)) from None
            except UnicodeDecodeError:
                raise _Refused(label, _("This is not valid %(encoding)s text.") % {"encoding": encoding}) from None


def _check_multipart(request) -> None:
    # File names need no check: Django drops a file part whose name is not UTF-8 and strips NUL.
    for name, values in request.POST.lists():
        for value in (name, *values):
            _check_decoded(name, value)


def _check_decoded(name: str, value: str) -> None:
    try:
        check_text(value)
    except ValidationError as exc:
        raise _Refused(printable(name), " ".join(exc.messages)) from None
    if REPLACEMENT in value:
        raise _Refused(printable(name), _("This is not valid UTF-8 text (it holds U+FFFD, what bytes that are "
                                          "not UTF-8 become); send text encoded as UTF-8."))


def _encoding(request) -> str:
    name = request.encoding or settings.DEFAULT_CHARSET
    try:
        name = codecs.lookup(name).name
    except LookupError:
        raise _Refused("charset", _("Unknown character set %(name)s.") % {"name": name}) from None
    return "utf-8" if name == "utf-8" else name


def _raw_query(request) -> bytes:
    # WSGI hands the query string over as latin-1 "bytes as text" (PEP 3333).
    query = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("iso-8859-1")
    except UnicodeEncodeError:
        return query.encode("utf-8", errors="surrogatepass")


def _page_refusal(message: str) -> HttpResponseBadRequest:
    """The 400 page (templates/400.html: no request, no database) naming the refused field."""
    return HttpResponseBadRequest(render_to_string("400.html", {"exception": message}),
                                  content_type="text/html; charset=utf-8")


class TextGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request):
        api = request.path_info.startswith(API_PREFIX)
        try:
            query = _raw_query(request)
            if query:
                _check_encoded(query, "utf-8")
        except _Refused as refused:
            if api:
                return JsonResponse({refused.name: [refused.message]}, status=400)
            return _page_refusal(_("The query parameter %(name)s was refused: %(message)s")
                                 % {"name": refused.name, "message": refused.message})
        try:
            if request.content_type == FORM_URLENCODED:
                _check_encoded(request.body, _encoding(request))
            elif request.content_type == MULTIPART and request.method == "POST":
                _check_multipart(request)
        except _Refused as refused:
            message = _("The form field %(name)s was refused: %(message)s") % {
                "name": refused.name, "message": refused.message}
            if api:
                return JsonResponse({"detail": message}, status=400)
            return _page_refusal(message)
        return None


class VanishedObjectMiddleware:
    """A page whose object went between the view's lookup and the service's locked re-read (a concurrent
    delete) answers 404, like an object that does not exist, not 500. (The API does the same in its
    exception handler, core.api.base.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import ObjectDoesNotExist
        from django.http import Http404
        from django.views.defaults import page_not_found

        if isinstance(exception, ObjectDoesNotExist) and not request.path_info.startswith(API_PREFIX):
            return page_not_found(request, Http404())
        return None
