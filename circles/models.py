"""The circle (圈): the ecosystem around a group client, and guarantees between enterprises."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from circles.validators import validate_currency
from clients.models import Enterprise, GroupClient
from core.dates import validate_business_date


class CircleRole(models.TextChoices):
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    AFFILIATE = "affiliate", _("Affiliate")
    SUPPLIER = "supplier", _("Supplier")
    DISTRIBUTOR = "distributor", _("Distributor")
    CUSTOMER = "customer", _("Customer")
    PARTNER = "partner", _("Partner institution")
    INVESTEE = "investee", _("Investee")
    GUARANTOR = "guarantor", _("Guarantor")


class CircleSource(models.TextChoices):
    DECLARED = "declared", _("Declared")
    IMPORTED = "imported", _("Imported")
    DETECTED = "detected", _("Detected from flows")
    # Mirrored from the control tree (clients.GroupMembership) by circles.services: never typed in.
    CONTROL = "control", _("Control tree")


class CircleMemberQuerySet(models.QuerySet):
    def for_user(self, user):
        """Members of the circles of the groups in the user's reach (the members themselves may be
        counterparties: a row shows their card and role, not their record)."""
        return self.filter(group__in=GroupClient.objects.for_user(user))


class CircleMember(models.Model):
    """An enterprise in a group client's circle, in one role.

    Rows with source "control" are the group's controlled entities (clients.GroupMembership minus
    the core), kept in step by `circles.services.circle_control_members_sync`; the others are
    declared by an RM, imported or detected from flows."""

    group = models.ForeignKey(
        GroupClient, verbose_name=_("group client"), on_delete=models.CASCADE, related_name="circle_members"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="circle_memberships"
    )
    role = models.CharField(_("role"), max_length=12, choices=CircleRole.choices)
    tier = models.SmallIntegerField(_("degree"), null=True, blank=True,
                                    help_text=_("Distance from the core: 1 for direct partners."))
    source = models.CharField(_("source"), max_length=10, choices=CircleSource.choices,
                              default=CircleSource.DECLARED)
    since = models.DateField(_("since"), null=True, blank=True, validators=[validate_business_date])
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = CircleMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("circle member")
        verbose_name_plural = _("circle members")
        ordering = ["group", "role", "enterprise"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "enterprise", "role"], name="circlemember_unique_role",
                violation_error_message=_("This enterprise already has this role in the circle."),
            )
        ]

    def __str__(self):
        return f"{self.enterprise} ({self.get_role_display()})"


class GuaranteeQuerySet(models.QuerySet):
    def for_user(self, user):
        """Visible where the guarantor or the borrower is."""
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "guarantor", "borrower")


class Guarantee(models.Model):
    """A guarantee: the guarantor answers for the borrower's debt up to an amount over a period."""

    guarantor = models.ForeignKey(
        Enterprise, verbose_name=_("guarantor"), on_delete=models.CASCADE, related_name="guarantees_given"
    )
    borrower = models.ForeignKey(
        Enterprise, verbose_name=_("borrower"), on_delete=models.CASCADE, related_name="guarantees_received"
    )
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[validate_currency],
                                help_text=_("ISO 4217 code, e.g. CNY."))
    start_date = models.DateField(_("start date"), validators=[validate_business_date])
    end_date = models.DateField(_("end date"), validators=[validate_business_date])
    history = HistoricalRecords()

    objects = GuaranteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("guarantee")
        verbose_name_plural = _("guarantees")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="guarantee_amount_positive",
                                   violation_error_message=_("The amount must be positive.")),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="guarantee_period_order",
                                   violation_error_message=_("The end date cannot be before the start date.")),
            models.CheckConstraint(condition=~models.Q(guarantor=models.F("borrower")),
                                   name="guarantee_not_self",
                                   violation_error_message=_("An enterprise cannot guarantee itself.")),
        ]

    def __str__(self):
        return f"{self.guarantor} -> {self.borrower} ({self.amount} {self.currency})"
