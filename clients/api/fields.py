"""Natural keys of client data in the API, used by every app's serializers: an enterprise by its
credit code (through the one "may name" resolver, clients.access.resolve_enterprise), a group client
by id among the groups in the user's reach, and the brief representation of an enterprise."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from clients.access import Reach, resolve_enterprise
from clients.models import Enterprise, GroupClient
from clients.validators import normalize_uscc
from core.api.serializers import ModelSerializer

# GB 32100-2015 in the schema. Answers carry the canonical code; requests may use lower case and a space
# or dash between characters (normalize_uscc reads more: any spaces and dashes; the schema states the
# forms people type, at most 39 characters). The check character (and, for a reference, that the
# enterprise is on file) is checked by the server: a 400 naming the field.
_CODE_CHAR = "0-9A-HJ-NPQRTUWXY"
USCC_PATTERN = f"^[{_CODE_CHAR}]{{2}}[0-9]{{6}}[{_CODE_CHAR}]{{10}}$"
_LOOSE_CHAR = f"[ -]?[{_CODE_CHAR}a-hj-npqrtuwxy]"
USCC_INPUT_PATTERN = rf"^\s?(?:{_LOOSE_CHAR}){{2}}(?:[ -]?[0-9]){{6}}(?:{_LOOSE_CHAR}){{10}}\s?$"
USCC_SCHEMA = {
    "type": "string",
    "pattern": USCC_PATTERN,
    "minLength": 18,
    "maxLength": 18,
    "example": "91520100MA6DNQ5X1E",
    "description": "Unified social credit code (GB 32100-2015): 18 characters, the last a check character.",
}
USCC_INPUT_SCHEMA = {  # the pattern bounds the length (18 code characters and separators)
    "type": "string",
    "pattern": USCC_INPUT_PATTERN,
    "example": "91520100MA6DNQ5X1E",
    "description": "Unified social credit code (GB 32100-2015; spaces, dashes and lower case are ignored). "
                   "A wrong check character answers 400 naming the field.",
}
RESIDENT_ID_INPUT_SCHEMA = {
    "type": "string",
    "pattern": r"^\s*[0-9]{17}[0-9Xx]\s*$",
    "example": "11010519491231002X",
    "description": "Resident identity card number (GB 11643-1999): 17 digits and a check digit or X. A "
                   "wrong check digit or birth date answers 400 naming the field.",
}


def _user(field):
    request = field.context.get("request")
    return getattr(request, "user", None)


class UsccSchemaExtension(OpenApiSerializerFieldExtension):
    """Credit-code fields: the canonical pattern in answers, the lenient one in requests."""

    target_class = "clients.api.fields.UsccField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = USCC_INPUT_SCHEMA if direction == "request" else USCC_SCHEMA
        help_text = getattr(self.target, "help_text", None)
        return {**schema, "description": f"{help_text} {schema['description']}"} if help_text else dict(schema)


class EnterpriseCodeSchemaExtension(UsccSchemaExtension):
    target_class = "clients.api.fields.EnterpriseCodeField"


class ResidentIdSchemaExtension(OpenApiSerializerFieldExtension):
    target_class = "clients.api.fields.ResidentIdField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return dict(RESIDENT_ID_INPUT_SCHEMA)
        return {"type": "string", "description": "The identity number, masked (first 4 and last 4 characters) "
                                                 "for everyone but head office."}


class ResidentIdField(serializers.CharField):
    """A resident identity card number as typed (trimmed, upper case); validated by the serializer."""


class UsccField(serializers.CharField):
    """A credit code as typed by people: spaces, dashes and lower case are normalised away."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return normalize_uscc(super().to_internal_value(data))


class EnterpriseCodeField(serializers.RelatedField):
    """An enterprise on file, named by its credit code; answered with its credit code."""

    default_error_messages = {"invalid": _("Give a credit code as text.")}

    def __init__(self, *, reach: Reach = Reach.REGISTRY, **kwargs):
        """reach: Reach.REGISTRY names any enterprise on file; Reach.FULL only the user's full record
        (anything else answers like an unknown code)."""
        self.reach = reach
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Enterprise.objects.none())  # resolution is resolve_enterprise's
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return resolve_enterprise(_user(self), data, reach=self.reach)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return value.uscc


class GroupInReachField(serializers.PrimaryKeyRelatedField):
    """A group client by id, among the groups in the user's reach (others answer as unknown)."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", GroupClient.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        return GroupClient.objects.for_user(_user(self))


class EnterpriseBriefSerializer(ModelSerializer):
    """An enterprise as other records show it: its registry card fields, nothing of its record."""

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name", "is_client"]
        read_only_fields = fields
