"""Serializers of the circles API.

Enterprises travel by their unified social credit code (`*_uscc`), resolved among the enterprises
the user may link (circles.selectors.linkable_enterprises): anything else answers like an unknown
code. Serializers only parse and represent; the viewsets hand `validated_data` to circles.services,
which check permissions and rules, write atomically and record history.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from circles.models import CircleMember, Guarantee
from circles.selectors import linkable_enterprises
from clients.models import Enterprise, GroupClient
from clients.validators import normalize_uscc


@extend_schema_field({"type": "string", "example": "91520100MA6DNQ5X1E",
                      "description": "Unified social credit code (18 characters)."})
class EnterpriseUsccField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("No enterprise with this credit code."),
        "invalid": _("Give a credit code as text."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Enterprise.objects.all())
        super().__init__(slug_field="uscc", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return linkable_enterprises(user=getattr(request, "user", None))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(normalize_uscc(data))


class ScopedGroupField(serializers.PrimaryKeyRelatedField):
    """A group client by id, among those the user sees (others answer as unknown)."""

    def get_queryset(self):
        request = self.context.get("request")
        return GroupClient.objects.for_user(getattr(request, "user", None))


class EnterpriseBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "name", "uscc", "is_client"]
        read_only_fields = fields


class CircleMemberSerializer(serializers.ModelSerializer):
    group = ScopedGroupField(queryset=GroupClient.objects.all())
    enterprise_uscc = EnterpriseUsccField(source="enterprise")
    enterprise = EnterpriseBriefSerializer(read_only=True)

    class Meta:
        model = CircleMember
        fields = ["id", "group", "enterprise_uscc", "enterprise", "role", "tier", "source", "since", "note"]
        # The service checks uniqueness and names the field ("role"); DRF's generated
        # UniqueTogetherValidator would answer a non-field error instead.
        validators: list = []


class CircleMemberUpdateSerializer(CircleMemberSerializer):
    """Group and enterprise identify a member: they are fixed once it exists."""

    group = serializers.PrimaryKeyRelatedField(read_only=True)
    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)

    class Meta(CircleMemberSerializer.Meta):
        pass


class GuaranteeSerializer(serializers.ModelSerializer):
    guarantor_uscc = EnterpriseUsccField(source="guarantor")
    borrower_uscc = EnterpriseUsccField(source="borrower")
    guarantor = EnterpriseBriefSerializer(read_only=True)
    borrower = EnterpriseBriefSerializer(read_only=True)
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField(max_length=3, default="CNY",
                                     help_text=_("ISO 4217 code, e.g. CNY."))

    class Meta:
        model = Guarantee
        fields = ["id", "guarantor_uscc", "borrower_uscc", "guarantor", "borrower", "amount", "currency",
                  "start_date", "end_date"]
        validators: list = []
