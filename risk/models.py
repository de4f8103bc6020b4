"""The risk side (DESIGN.md section 2 `risk`, issue 10): credit facilities and their pledges, member
sub-limits of the unified group limit, financing from other banks, the bank's concentration limits,
the early-warning rules' settings, the alerts they raise, and the group-membership proposals of the
regulator's four tests.

Business rules live in the modules beside this one: `risk.alerts` (an alert's life and the engine's
writes), `risk.rules` (the early-warning rules), `risk.engine` (runs them), `risk.facilities`,
`risk.exposure`, `risk.pledges`, `risk.identification`. Who sees what: `RiskAlertQuerySet.for_user`
and the querysets below, all through clients.access."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from circles.validators import validate_currency
from clients.models import MONEY, Enterprise, GroupClient
from core.dates import validate_business_date

PCT = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0")),
                                                            MaxValueValidator(Decimal("100"))]}


# --- concentration limits ----------------------------------------------------------------------------------


class RiskSettings(models.Model):
    """The bank's capital and concentration limits, one row (pk 1), set by head office. Defaults are
    the regulators' classic figures (DESIGN.md section 2 `risk`): one client at most 10 % of net
    capital (Commercial Bank Law), one group client 15 % of net capital (group-client guideline), a
    group of connected clients 20 % of tier-1 capital (large-exposure measures, 2018), a large
    exposure from 10 % of tier-1; related parties: one 10 %, one related group 15 %, all related
    parties 50 % of net capital; use above `warning_pct` of any limit raises a warning."""

    net_capital = models.DecimalField(_("net capital (CNY)"), **MONEY, default=Decimal("0"),
                                      validators=[MinValueValidator(Decimal("0"))])
    tier1_capital = models.DecimalField(_("tier-1 capital (CNY)"), **MONEY, default=Decimal("0"),
                                        validators=[MinValueValidator(Decimal("0"))])
    client_pct = models.DecimalField(_("one client: percent of net capital"), **PCT, default=Decimal("10"))
    group_pct = models.DecimalField(_("one group client: percent of net capital"), **PCT, default=Decimal("15"))
    connected_group_pct = models.DecimalField(_("connected clients: percent of tier-1 capital"), **PCT,
                                              default=Decimal("20"))
    large_exposure_pct = models.DecimalField(_("large exposure from: percent of tier-1 capital"), **PCT,
                                             default=Decimal("10"))
    related_client_pct = models.DecimalField(_("one related party: percent of net capital"), **PCT,
                                             default=Decimal("10"))
    related_group_pct = models.DecimalField(_("one related group: percent of net capital"), **PCT,
                                            default=Decimal("15"))
    related_total_pct = models.DecimalField(_("all related parties: percent of net capital"), **PCT,
                                            default=Decimal("50"))
    warning_pct = models.DecimalField(_("warning level: percent of a limit"), **PCT, default=Decimal("90"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("concentration limits")
        verbose_name_plural = _("concentration limits")

    def __str__(self):
        return str(_("concentration limits"))

    @classmethod
    def current(cls) -> RiskSettings:
        """The one row (created with the defaults the first time)."""
        return cls.objects.get_or_create(pk=1)[0]


class RelatedParty(models.Model):
    """An enterprise that is a related party of the bank (关联方): its exposure counts against the
    related-party limits."""

    enterprise = models.OneToOneField(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                      related_name="related_party")
    since = models.DateField(_("since"), validators=[validate_business_date])
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("related party")
        verbose_name_plural = _("related parties")
        ordering = ["enterprise"]

    def __str__(self):
        return str(self.enterprise)


# --- facilities, sub-limits, other banks ------------------------------------------------------------------


class SubLimitQuerySet(models.QuerySet):
    def for_user(self, user):
        from clients.access import groups_in_reach

        return self.filter(group__in=groups_in_reach(user))


class SubLimit(models.Model):
    """A member's share of its group's unified credit limit (统一授信额度), in CNY; the member's
    facilities draw on it. Set by risk officers and head office."""

    group = models.ForeignKey(GroupClient, verbose_name=_("group client"), on_delete=models.CASCADE,
                              related_name="sub_limits")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("member"), on_delete=models.CASCADE,
                                   related_name="sub_limits")
    amount = models.DecimalField(_("sub-limit (CNY)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    objects = SubLimitQuerySet.as_manager()

    class Meta:
        verbose_name = _("member sub-limit")
        verbose_name_plural = _("member sub-limits")
        ordering = ["group", "enterprise"]
        constraints = [
            models.UniqueConstraint(fields=["group", "enterprise"], name="sublimit_one_per_member",
                                    violation_error_message=_("This member already has a sub-limit.")),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sublimit_amount_positive",
                                   violation_error_message=_("The amount must be positive.")),
        ]

    def __str__(self):
        return f"{self.group} / {self.enterprise}: {self.amount}"


class FacilityQuerySet(models.QuerySet):
    def for_user(self, user):
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "enterprise")


class FacilityStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Facility(models.Model):
    """A credit facility (授信业务) of the bank to an enterprise: product, limit, drawn amount,
    currency, dates, guarantees and collateral, and what is past due. `reference` is the facility's
    number in the core credit system (unique). Exposure is the drawn amount in CNY equivalent."""

    reference = models.CharField(_("reference"), max_length=60, unique=True)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="facilities")
    product = models.ForeignKey("services.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="facilities")
    limit_amount = models.DecimalField(_("limit"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    drawn = models.DecimalField(_("drawn"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[validate_currency])
    start_date = models.DateField(_("start date"), validators=[validate_business_date])
    end_date = models.DateField(_("end date"), validators=[validate_business_date])
    status = models.CharField(_("status"), max_length=10, choices=FacilityStatus.choices,
                              default=FacilityStatus.ACTIVE)
    guarantees = models.ManyToManyField("circles.Guarantee", verbose_name=_("guarantees"), blank=True,
                                        related_name="facilities")
    collateral = models.CharField(_("collateral"), max_length=300, blank=True)
    past_due_amount = models.DecimalField(_("past due"), **MONEY, default=Decimal("0"),
                                          validators=[MinValueValidator(Decimal("0"))])
    past_due_since = models.DateField(_("past due since"), null=True, blank=True,
                                      validators=[validate_business_date])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[guarantees])

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit facility")
        verbose_name_plural = _("credit facilities")
        ordering = ["enterprise", "reference"]
        constraints = [
            models.CheckConstraint(condition=models.Q(limit_amount__gt=0), name="facility_limit_positive",
                                   violation_error_message=_("The limit must be positive.")),
            models.CheckConstraint(condition=models.Q(drawn__gte=0), name="facility_drawn_not_negative",
                                   violation_error_message=_("The drawn amount cannot be negative.")),
            models.CheckConstraint(condition=models.Q(past_due_amount__gte=0), name="facility_past_due_not_negative",
                                   violation_error_message=_("The amount past due cannot be negative.")),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="facility_period_order",
                                   violation_error_message=_("The end date cannot be before the start date.")),
        ]
        indexes = [models.Index(fields=["enterprise", "status"], name="facility_enterprise_status")]

    def __str__(self):
        return f"{self.reference} ({self.enterprise})"


class PledgeKind(models.TextChoices):
    RECEIVABLE = "receivable", _("Receivable")
    INVENTORY = "inventory", _("Inventory lot")


class PledgeQuerySet(models.QuerySet):
    def for_user(self, user):
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "facility__enterprise")


class Pledge(models.Model):
    """A receivable (invoice number and debtor) or an inventory lot (lot reference) pledged to a
    facility, with the core enterprise's confirmation (确权). While active (`released_at` empty) the
    same invoice of the same debtor, or the same lot, cannot be pledged again (risk.pledges refuses it
    naming the earlier financing; the partial unique constraints are the last guard)."""

    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.CASCADE,
                                 related_name="pledges")
    kind = models.CharField(_("kind"), max_length=10, choices=PledgeKind.choices)
    invoice_no = models.CharField(_("invoice number"), max_length=60, blank=True)
    debtor = models.ForeignKey(Enterprise, verbose_name=_("debtor"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="pledged_receivables")
    lot_ref = models.CharField(_("lot reference"), max_length=60, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[validate_currency])
    confirmed_on = models.DateField(_("confirmed by the core on"), null=True, blank=True,
                                    validators=[validate_business_date])
    confirmation_ref = models.CharField(_("confirmation reference"), max_length=60, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "invoice_no"], name="pledge_invoice_once",
                condition=models.Q(kind="receivable", released_at__isnull=True),
                violation_error_message=_("This invoice of this debtor is already financed.")),
            models.UniqueConstraint(
                fields=["lot_ref"], name="pledge_lot_once",
                condition=models.Q(kind="inventory", released_at__isnull=True),
                violation_error_message=_("This lot is already financed.")),
            models.CheckConstraint(
                condition=(models.Q(kind="receivable") & ~models.Q(invoice_no="") & models.Q(debtor__isnull=False))
                | (models.Q(kind="inventory") & ~models.Q(lot_ref="")),
                name="pledge_identified",
                violation_error_message=_("A receivable needs its invoice number and debtor; a lot its reference.")),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pledge_amount_positive",
                                   violation_error_message=_("The amount must be positive.")),
        ]

    def __str__(self):
        if self.kind == PledgeKind.RECEIVABLE:
            return f"{self.invoice_no} / {self.debtor}"
        return self.lot_ref


class OtherBankFinancingQuerySet(models.QuerySet):
    def for_user(self, user):
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "enterprise")


class OtherBankFinancing(models.Model):
    """Financing of an enterprise by another bank (lender, amount, dates), for joint-credit
    (联合授信) monitoring of the group's total borrowing."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="other_bank_financing")
    lender = models.CharField(_("lender"), max_length=100)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[validate_currency])
    as_of = models.DateField(_("as of"), validators=[validate_business_date])
    maturity = models.DateField(_("maturity"), null=True, blank=True, validators=[validate_business_date])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    objects = OtherBankFinancingQuerySet.as_manager()

    class Meta:
        verbose_name = _("financing from another bank")
        verbose_name_plural = _("financing from other banks")
        ordering = ["enterprise", "lender", "-as_of"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="otherbank_amount_positive",
                                   violation_error_message=_("The amount must be positive.")),
        ]

    def __str__(self):
        return f"{self.lender}: {self.enterprise}"


# --- early-warning rules and alerts ------------------------------------------------------------------------


class AlertRule(models.Model):
    """Head office's settings of one early-warning rule (risk.rules declares the codes, thresholds and
    defaults): on or off and its thresholds, validated before saving. Rules without a row run with
    their defaults."""

    code = models.CharField(_("rule"), max_length=40, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("early-warning rule")
        verbose_name_plural = _("early-warning rules")
        ordering = ["code"]

    def __str__(self):
        return self.code


class Severity(models.IntegerChoices):
    # Their own context: "Medium" is also an enterprise size (中型).
    LOW = 1, pgettext_lazy("severity", "Low")
    MEDIUM = 2, pgettext_lazy("severity", "Medium")
    HIGH = 3, pgettext_lazy("severity", "High")
    CRITICAL = 4, pgettext_lazy("severity", "Critical")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    FALSE_POSITIVE = "false_positive", _("False positive")


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
CLOSED_STATUSES = (AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE)
ALERT_TRANSITIONS = {
    AlertStatus.OPEN: {AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE},
    AlertStatus.ACKNOWLEDGED: {AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE},
    AlertStatus.RESOLVED: set(),
    AlertStatus.FALSE_POSITIVE: set(),
}


class RiskAlertQuerySet(models.QuerySet):
    def for_user(self, user):
        """Alerts about the user's full record or the groups they work, and alerts whose path (a
        guarantee cycle, a contagion path) runs through an enterprise of their full record, whoever
        owns the rest of it (README, "Risk alerts across branches")."""
        from clients.access import full_enterprises, groups_in_reach
        from staff.scope import scope_for

        scope = scope_for(user)
        if scope.sees_all:
            return self
        if scope.sees_nothing:
            return self.none()
        full = full_enterprises(user).values("pk")
        return self.filter(
            models.Q(enterprise__in=full)
            | models.Q(group__in=groups_in_reach(user).values("pk"))
            | models.Q(pk__in=AlertParty.objects.filter(enterprise__in=full).values("alert_id"))
        )

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class RiskAlert(models.Model):
    """An alert an early-warning rule raised (`rule`: its code) about a subject: an enterprise, a group,
    or a path of enterprises (a guarantee cycle, a contagion path; `subject_key` names it canonically,
    `AlertParty` lists its enterprises in order). One open (open or acknowledged) alert per rule and
    subject: a rerun updates evidence and severity, never duplicates; an alert whose condition cleared
    resolves itself with a note (risk.alerts). People acknowledge, assign, comment, resolve or mark it a
    false positive (history kept)."""

    rule = models.CharField(_("rule"), max_length=40)
    subject_key = models.CharField(_("subject"), max_length=200)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="risk_alerts")
    group = models.ForeignKey(GroupClient, verbose_name=_("group client"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="risk_alerts")
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    status = models.CharField(_("status"), max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    evidence = models.TextField(_("evidence"))
    evidence_en = models.TextField(_("evidence (English)"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True,
                               help_text=_("The numbers behind the evidence, as the rule computed them."))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="risk_alerts")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    refreshed_at = models.DateTimeField(_("evidence changed"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("status changed by"),
                                          null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution_note = models.CharField(_("resolution note"), max_length=500, blank=True)
    # A person closed it while the condition held: the engine raises no new alert on this rule and
    # subject until the condition has cleared once (it then clears this flag) or the severity rises
    # above `severity` (risk.alerts).
    suppresses = models.BooleanField(_("holds back a new alert"), default=False)
    history = HistoricalRecords(excluded_fields=["refreshed_at"])

    objects = RiskAlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")
        ordering = ["-severity", "-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "subject_key"], name="riskalert_one_open",
                                    condition=models.Q(status__in=["open", "acknowledged"]),
                                    violation_error_message=_("This rule already has an open alert on this subject.")),
            models.CheckConstraint(condition=models.Q(severity__gte=1, severity__lte=4), name="riskalert_severity_range",
                                   violation_error_message=_("The severity is from 1 to 4.")),
        ]
        indexes = [
            models.Index(fields=["status", "-severity", "-opened_at"], name="riskalert_queue"),
            models.Index(fields=["rule", "subject_key"], name="riskalert_rule_subject"),
            models.Index(fields=["enterprise", "status"], name="riskalert_enterprise_status"),
            models.Index(fields=["group", "status"], name="riskalert_group_status"),
        ]

    def __str__(self):
        return f"{self.rule} / {self.subject_key}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def evidence_text(self) -> str:
        """The evidence in the page's language (rules write both)."""
        if self.evidence_en and not (get_language() or "").startswith("zh"):
            return self.evidence_en
        return self.evidence


class AlertParty(models.Model):
    """An enterprise on an alert's path, in order (`position` 0 first): the subject for a single-entity
    alert, every enterprise of a guarantee cycle, the source and each step of a contagion path. Users
    whose full record holds any party see the alert (RiskAlertQuerySet.for_user)."""

    alert = models.ForeignKey(RiskAlert, on_delete=models.CASCADE, related_name="parties")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["alert", "position"]
        constraints = [models.UniqueConstraint(fields=["alert", "position"], name="alertparty_position_once")]
        indexes = [models.Index(fields=["enterprise", "alert"], name="alertparty_enterprise")]

    def __str__(self):
        return f"{self.alert_id}#{self.position}: {self.enterprise_id}"


class AlertComment(models.Model):
    alert = models.ForeignKey(RiskAlert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.alert_id}: {self.text[:40]}"


# --- group identification ---------------------------------------------------------------------------------


class IdentificationTest(models.TextChoices):
    """The regulator's four tests of group-client membership (group-client credit-risk guideline)."""

    CONTROL = "control", _("Controls or is controlled by a member")
    COMMON_CONTROL = "common_control", _("Jointly controlled by the same third party")
    KEY_PERSONS = "key_persons", _("Controlled by the same key persons or their close relatives")
    NON_FAIR = "non_fair", _("Other relations moving assets or profits at non-fair prices")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class GroupProposalQuerySet(models.QuerySet):
    def for_user(self, user):
        """Proposals about the groups the user works, and about candidates of their full record."""
        from clients.access import full_enterprises, groups_in_reach

        return self.filter(models.Q(group__in=groups_in_reach(user).values("pk"))
                           | models.Q(enterprise__in=full_enterprises(user).values("pk")))


class GroupProposal(models.Model):
    """A proposed new member of a group: the enterprise, the test that fired, its evidence, and the
    decision. `evidence_key` identifies the evidence (the links, persons, guarantees or flows it rests
    on): a rejected proposal is not raised again on the same evidence (unique per group, enterprise,
    test and key)."""

    group = models.ForeignKey(GroupClient, verbose_name=_("group client"), on_delete=models.CASCADE,
                              related_name="proposals")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="group_proposals")
    test = models.CharField(_("test"), max_length=20, choices=IdentificationTest.choices)
    evidence = models.TextField(_("evidence"))
    evidence_en = models.TextField(_("evidence (English)"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    evidence_key = models.CharField(_("evidence key"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices,
                              default=ProposalStatus.PENDING)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    # Four eyes (DESIGN.md section 4): a candidate owned by another branch joins only with that branch's
    # consent. `needs_owner_consent` is set when the proposal is raised; each side's confirmation is kept
    # (head office confirms both at once). risk.identification.proposal_confirm.
    needs_owner_consent = models.BooleanField(_("needs the owning branch's consent"), default=False)
    group_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed for the group by"),
                                           null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    group_confirmed_at = models.DateTimeField(_("confirmed for the group"), null=True, blank=True)
    owner_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                           verbose_name=_("confirmed for the owning branch by"),
                                           null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner_confirmed_at = models.DateTimeField(_("confirmed for the owning branch"), null=True, blank=True)
    history = HistoricalRecords()

    objects = GroupProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("group membership proposal")
        verbose_name_plural = _("group membership proposals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "enterprise", "test", "evidence_key"],
                                    name="groupproposal_once_per_evidence",
                                    violation_error_message=_("This proposal was already made on this evidence.")),
        ]
        indexes = [models.Index(fields=["group", "status"], name="groupproposal_group_status")]

    def __str__(self):
        return f"{self.group} + {self.enterprise} ({self.test})"

    @property
    def evidence_text(self) -> str:
        if self.evidence_en and not (get_language() or "").startswith("zh"):
            return self.evidence_en
        return self.evidence
