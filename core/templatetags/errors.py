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
