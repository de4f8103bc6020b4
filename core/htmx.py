"""htmx: one view answers the full page and its fragment (NetBox's utilities/htmx.py idea).

A fragment is asked for by an htmx request that is not boosted: a boosted request (hx-boost) wants a
whole page. Every answer varies on HX-Request (`VaryOnHtmxMiddleware`), so a browser's Back never
shows a bare fragment from its cache."""

from __future__ import annotations

from django.utils.cache import patch_vary_headers


def is_fragment(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def template_for(request, page: str, fragment: str | None) -> str:
    return fragment if fragment and is_fragment(request) else page


class HtmxTemplateMixin:
    """A generic view that renders its `partial_template_name` for an htmx fragment request."""

    def get_template_names(self):
        partial = getattr(self, "partial_template_name", None)
        if partial and is_fragment(self.request):
            return [partial]
        return super().get_template_names()


class VaryOnHtmxMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
