"""Serializers of the circles API.

Enterprises travel by their unified social credit code (`*_uscc`), resolved by the one "may name"
resolver (clients.access): any enterprise on file may be named; the services decide what the record
may touch. Serializers only parse and represent; the viewsets hand `validated_data` to circles.services,
which check permissions and rules, write atomically and record history.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from circles.models import CircleMember, Guarantee
from clients.api.fields import EnterpriseBriefSerializer, EnterpriseCodeField, GroupInReachField
from core.api.serializers import ModelSerializer


class CircleMemberSerializer(ModelSerializer):
    group = GroupInReachField()
    enterprise_uscc = EnterpriseCodeField(source="enterprise")
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


class GuaranteeSerializer(ModelSerializer):
    guarantor_uscc = EnterpriseCodeField(source="guarantor")
    borrower_uscc = EnterpriseCodeField(source="borrower")
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
