"""Tags for the error pages (templates/errors/): nothing here touches the database or the user."""

from django import template

register = template.Library()


@register.simple_tag
def request_reference() -> str:
    """The request id (django-guid, also sent as X-Request-ID and on every log line of the request),
    so a user can quote it and support can find the logged error."""
    try:
        from django_guid import get_guid

        return get_guid() or ""
    except Exception:  # noqa: BLE001 - an error page never fails on its reference
        return ""


@register.simple_tag
def error_static(path: str) -> str:
    """`{% static %}` that cannot fail: a storage without the file in its manifest (static files not
    collected) gives the plain static URL instead of an error inside the error page."""
    from django.conf import settings
    from django.templatetags.static import static

    try:
        return static(path)
    except Exception:  # noqa: BLE001 - the 500 page must render whatever the storage says
        return f"{settings.STATIC_URL}{path}"
