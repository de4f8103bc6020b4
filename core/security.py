"""Browser-facing response headers that neither django-csp nor Django's SecurityMiddleware set.

What sets what (one place each):
- `Content-Security-Policy`: django-csp (`CONTENT_SECURITY_POLICY` in settings); the API docs page
  serves its script as a file (drf-spectacular's split view), so no page needs an exception.
- `X-Content-Type-Options`, `Referrer-Policy`, `Cross-Origin-Opener-Policy`, HSTS: Django's
  SecurityMiddleware (`SECURE_*` settings); `X-Frame-Options`: the clickjacking middleware.
- here: `Permissions-Policy` (no camera, microphone, geolocation, payment, USB ... for any page),
  `Cross-Origin-Resource-Policy: same-origin`, and `Cache-Control: no-store`.

The cache rule: every answer the app renders gets `no-store`, pages and API, 200 and 4xx alike, the
login page included (it carries a CSRF token bound to one browser's cookie, and a shared cache must
never hand it to another). Static files are served by WhiteNoise above this middleware in MIDDLEWARE,
so they never reach it and keep their long cache lifetimes. A view that chose its own caching keeps it
only for an anonymous request; for a logged-in user (session or API token) `no-store` is always added,
because whatever such an answer carries is client data until proven otherwise.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control

# Features no page of this app uses: denied to the page itself and to anything it could embed.
# Only features Chromium recognises are listed (an unknown name is logged as a console error).
# A `PERMISSIONS_POLICY` setting of the same shape replaces this list.
DEFAULT_PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "fullscreen": ["self"]} -> 'camera=(), fullscreen=(self)'."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


def _is_authenticated(request) -> bool:
    # DRF writes the user it authenticated (token or session) back onto the Django request.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def apply_no_store(request, response) -> None:
    current = response.get("Cache-Control", "")
    if "no-store" in current.lower():
        return
    if current and not _is_authenticated(request):
        return  # an anonymous view that set its own caching
    patch_cache_control(response, no_store=True, private=True)


class SecurityHeadersMiddleware:
    """Adds Permissions-Policy, Cross-Origin-Resource-Policy and Cache-Control: no-store.

    Sits below WhiteNoise in MIDDLEWARE, so static files are not touched."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)
        self.permissions_policy = permissions_policy_header(policy)

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        apply_no_store(request, response)
        return response
