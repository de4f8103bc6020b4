"""The chain (链): supply-chain links of a group client and the fund and information flows on them."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clients.models import Enterprise, GroupClient
from core.dates import validate_business_date


class LinkStatus(models.TextChoices):
    DECLARED = "declared", _("Declared")
    DETECTED = "detected", _("Detected, awaiting review")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class ChainLinkQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(group__in=GroupClient.objects.for_user(user))


class ChainLink(models.Model):
    """Supplier -> buyer along a group's chain; tier is relative to the core (-2 .. +2, core 0)."""

    group = models.ForeignKey(
        GroupClient, verbose_name=_("group client"), on_delete=models.CASCADE, related_name="chain_links"
    )
    supplier = models.ForeignKey(
        Enterprise, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="chain_links_as_supplier"
    )
    buyer = models.ForeignKey(
        Enterprise, verbose_name=_("buyer"), on_delete=models.CASCADE, related_name="chain_links_as_buyer"
    )
    tier = models.SmallIntegerField(
        pgettext_lazy("chain", "tier"), validators=[MinValueValidator(-2), MaxValueValidator(2)],
        help_text=_("-2, -1 upstream; 0 core; +1, +2 downstream."),
    )
    goods = models.CharField(_("goods"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.DECLARED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # What detection saw of the pair in its period (payments buyer -> supplier), written by
    # chains.services.chain_links_detect when it proposes or refreshes a detected link; the review
    # queue ranks by volume. Zero on links nobody detected.
    # Defaults in the database too: bulk writers (the demo's COPY, imports) name only the columns they set.
    volume = models.DecimalField(_("detected volume"), max_digits=20, decimal_places=2, default=0,
                                 db_default=Decimal(0))
    payment_count = models.PositiveIntegerField(_("detected payments"), default=0, db_default=0)
    months_active = models.PositiveSmallIntegerField(_("months active"), default=0, db_default=0)
    history = HistoricalRecords()

    objects = ChainLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("chain link")
        verbose_name_plural = _("chain links")
        ordering = ["group", "tier"]
        indexes = [
            # The review queue: a group's detected links by volume, largest first.
            models.Index(fields=["group", "status", "-volume", "id"], name="chainlink_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "supplier", "buyer"], name="chainlink_unique",
                violation_error_message=_("This supplier -> buyer link already exists in this chain."),
            ),
            models.CheckConstraint(condition=models.Q(tier__gte=-2, tier__lte=2), name="chainlink_tier_range",
                                   violation_error_message=_("The tier must be between -2 and +2.")),
            models.CheckConstraint(condition=~models.Q(supplier=models.F("buyer")), name="chainlink_not_self",
                                   violation_error_message=_("Supplier and buyer must differ.")),
        ]

    def __str__(self):
        return f"{self.supplier} -> {self.buyer}"


class FlowKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    INVOICE = "invoice", _("Invoice")
    ORDER = "order", pgettext_lazy("flow kind", "Order")
    SHIPMENT = "shipment", _("Shipment")


class Channel(models.TextChoices):
    THIS_BANK = "this_bank", _("Through this bank")
    OTHER_BANK = "other_bank", _("Through another bank")


class FlowQuerySet(models.QuerySet):
    def for_user(self, user):
        """Flows with at least one party in the user's full record: a counterparty's flows with
        anyone else stay unseen."""
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "payer", "payee")


class Flow(models.Model):
    """One fund flow (payment) or information flow (invoice, order, shipment) between enterprises.

    The big table: written by bulk import only, never row by row; (source_system, external_ref) makes
    every import idempotent."""

    id = models.BigAutoField(primary_key=True)
    payer = models.ForeignKey(Enterprise, verbose_name=_("payer"), on_delete=models.PROTECT,
                              related_name="flows_out", db_index=False)
    payee = models.ForeignKey(Enterprise, verbose_name=_("payee"), on_delete=models.PROTECT,
                              related_name="flows_in", db_index=False)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    value_date = models.DateField(_("value date"), validators=[validate_business_date])
    kind = models.CharField(_("kind"), max_length=10, choices=FlowKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    source_system = models.CharField(_("source system"), max_length=50)
    external_ref = models.CharField(_("external reference"), max_length=100)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    objects = FlowQuerySet.as_manager()

    class Meta:
        verbose_name = _("flow")
        verbose_name_plural = _("flows")
        constraints = [
            models.UniqueConstraint(fields=["source_system", "external_ref"], name="flow_unique_reference"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="flow_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["payer", "value_date"], name="flow_payer_date"),
            models.Index(fields=["payee", "value_date"], name="flow_payee_date"),
        ]

    def __str__(self):
        return f"{self.kind} {self.payer_id} -> {self.payee_id} {self.amount} {self.currency} {self.value_date}"


class FlowSummary(models.Model):
    """The flows summed per payer, payee, month, kind, channel and currency: what every rule and page
    reads instead of rescanning raw flows (DESIGN.md section 5).

    Kept by database triggers on the flow table (migration chains 00xx: one statement-level trigger
    per INSERT, UPDATE and DELETE on PostgreSQL, with transition tables; row triggers on SQLite), so
    every writer (file import, API push, demo seed, admin) updates it in its own transaction.
    `manage.py flows_summary_rebuild` recomputes it from the flows; both give identical rows.

    `amount_cny` converts each flow at the rate of its value date (core.fx: the latest rate on or
    before it); flows in a currency without such a rate are counted in `unconverted` and left out of
    `amount_cny`. `day_sum` is the sum of the flows' value dates as days since 2000-01-01, so the
    (count-weighted) mean date of a row, or of many, is `day_sum / count`."""

    id = models.BigAutoField(primary_key=True)
    payer = models.ForeignKey(Enterprise, verbose_name=_("payer"), on_delete=models.DO_NOTHING,
                              related_name="+", db_constraint=False, db_index=False)
    payee = models.ForeignKey(Enterprise, verbose_name=_("payee"), on_delete=models.DO_NOTHING,
                              related_name="+", db_constraint=False, db_index=False)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    kind = models.CharField(_("kind"), max_length=10, choices=FlowKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    currency = models.CharField(_("currency"), max_length=3)
    count = models.PositiveIntegerField(_("number of flows"), default=0)
    amount = models.DecimalField(_("amount (original currency)"), max_digits=24, decimal_places=2, default=0)
    amount_cny = models.DecimalField(_("amount (CNY equivalent)"), max_digits=24, decimal_places=2, default=0)
    unconverted = models.PositiveIntegerField(_("flows without a rate"), default=0)
    first_date = models.DateField(_("first value date"))
    last_date = models.DateField(_("last value date"))
    day_sum = models.BigIntegerField(_("sum of value dates (days since 2000-01-01)"), default=0)

    class Meta:
        verbose_name = _("flow summary")
        verbose_name_plural = _("flow summaries")
        constraints = [
            models.UniqueConstraint(fields=["payer", "payee", "month", "kind", "channel", "currency"],
                                    name="flowsummary_key"),
        ]
        indexes = [
            models.Index(fields=["payee", "month"], name="flowsummary_payee_month"),
            models.Index(fields=["month"], name="flowsummary_month"),
        ]

    def __str__(self):
        return f"{self.payer_id} -> {self.payee_id} {self.month:%Y-%m} {self.kind}/{self.channel} {self.currency}"


class DetectionSettings(models.Model):
    """Head office's thresholds for link detection: a pair of enterprises is proposed only when its
    payments in the detection period reach all three. One row (pk 1), read by
    `chains.services.chain_links_detect` and changed through `detection_settings_update` only."""

    SINGLETON_PK = 1

    min_volume = models.DecimalField(
        _("minimum volume"), max_digits=18, decimal_places=2, default=Decimal("100000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Total payments between the pair in the period, in yuan."),
    )
    min_payments = models.PositiveIntegerField(
        _("minimum number of payments"), default=3, validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    min_months = models.PositiveSmallIntegerField(
        _("minimum months active"), default=2, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Distinct calendar months with at least one payment in the period."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("link detection settings")
        verbose_name_plural = _("link detection settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="detectionsettings_singleton"),
        ]

    def __str__(self):
        return str(_("Link detection settings"))

    @classmethod
    def current(cls) -> DetectionSettings:
        """The stored thresholds, or the defaults (unsaved) before head office first sets them."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)


# Link detection runs are recorded in core.JobRun under this job name, one run per group (the subject);
# the chain page shows the group's latest as "last refreshed".
LINK_DETECTION_JOB = "detect_chain_links"
