"""Natural keys of client data in the API, used by every app's serializers: an enterprise by its
credit code (through the one "may name" resolver, clients.access.resolve_enterprise), a group client
by id among the groups in the user's reach, and the brief representation of an enterprise."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.access import Reach, resolve_enterprise
from clients.models import Enterprise, GroupClient
from clients.validators import normalize_uscc

USCC_SCHEMA = {
    "type": "string",
    "minLength": 18,
    "maxLength": 40,
    "example": "91520100MA6DNQ5X1E",
    "description": "Unified social credit code (18 characters, GB 32100-2015; spaces and dashes are ignored).",
}


def _user(field):
    request = field.context.get("request")
    return getattr(request, "user", None)


class UsccField(serializers.CharField):
    """A credit code as typed by people: spaces, dashes and lower case are normalised away."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return normalize_uscc(super().to_internal_value(data))


@extend_schema_field(USCC_SCHEMA)
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


class EnterpriseBriefSerializer(serializers.ModelSerializer):
    """An enterprise as other records show it: its registry card fields, nothing of its record."""

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name", "is_client"]
        read_only_fields = fields
