"""Service errors, said where the user typed: one mapping for forms and for the API.

Services raise Django's ValidationError keyed by *model* field names (`enterprise`, `core_enterprise`);
forms and serializers have *input* names (`enterprise_uscc`, `core_enterprise_uscc`). The mapping from
one to the other comes from the input itself: a form's `field_map` or a serializer field's `source`,
so a new input never needs a new mapping function."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

API_NON_FIELD = "non_field_errors"


def form_field_for(form, name: str) -> str | None:
    """The form field a model-level error belongs on (None: on top of the form)."""
    target = getattr(form, "field_map", {}).get(name, name)
    return target if target in form.fields else None


def apply_to_form(form, error: DjangoValidationError) -> None:
    """Put a service's ValidationError on the form: by field where the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(None if name == NON_FIELD_ERRORS else form_field_for(form, name), errors)


def api_names(serializer) -> dict[str, str]:
    """model field name (a serializer field's source) -> input name, for the writable fields."""
    names = {}
    fields = getattr(serializer, "fields", {}) if serializer is not None else {}
    for name, field in fields.items():
        if not field.read_only:
            names[field.source if field.source != "*" else name] = name
    return names


def to_api_detail(error: DjangoValidationError, names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The API's error shape, keyed by input names: {"field": ["message", ...]}."""
    names = names or {}
    if not hasattr(error, "error_dict"):
        return {API_NON_FIELD: list(error.messages)}
    detail: dict[str, list[str]] = {}
    for field, errors in error.error_dict.items():
        key = API_NON_FIELD if field == NON_FIELD_ERRORS else names.get(field, field)
        detail.setdefault(key, []).extend(m for e in errors for m in e.messages)
    return detail


def call_service(service, *, serializer=None, names: dict[str, str] | None = None, **kwargs):
    """Run a service for the API; its ValidationError comes back as a DRF ValidationError named by
    the serializer's input fields (or `names`)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        mapping = {**api_names(serializer), **(names or {})}
        raise serializers.ValidationError(to_api_detail(exc, mapping)) from exc
