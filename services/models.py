"""Services (服务): the product catalogue and partners, what each enterprise holds, the needs the
engine finds (or an RM records), the rules' thresholds, industry playbooks, and the parameters of
asset-allocation advice and of the contribution figures (DESIGN.md section 2).

Business rules live in the modules beside this one: `services.catalogue` (products, partners,
holdings), `services.needs` (a need's life: raise, refresh, contact, convert, dismiss),
`services.rules` (one module per rule), `services.engine` (a refresh over a set of enterprises),
`services.allocation`, `services.profile`, `services.contribution`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import Enterprise, GroupClient
from core.dates import validate_business_date

MONEY = {"max_digits": 20, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}  # percent per year, e.g. 1.3500


# --- catalogue ----------------------------------------------------------------------------------------


class ProductFamily(models.TextChoices):
    CASH_MANAGEMENT = "cash_management", _("Cash management")
    SUPPLY_CHAIN_FINANCE = "supply_chain", _("Supply-chain finance")
    LENDING = "lending", _("Lending")
    INTERNATIONAL = "international", _("International business")
    INVESTMENT = "investment", _("Deposits and investment")
    CUSTODY = "custody", _("Custody")
    VALUE_ADDED = "value_added", _("Value-added services")


# Families whose holdings are credit the bank extends (a "financing product" in the rules).
FINANCING_FAMILIES = (ProductFamily.SUPPLY_CHAIN_FINANCE, ProductFamily.LENDING)


class Product(models.Model):
    """A product or service of the catalogue. `code` is stable (the API, imports and rules name
    products by it); names are kept in both languages; value-added services are non-financial and
    delivered with partners."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    family = models.CharField(_("family"), max_length=20, choices=ProductFamily.choices)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    # What one yuan of balance (or of amount) earns the bank a year, in percent: the needs engine's
    # value estimate and the contribution figures read it. Set by head office.
    annual_margin_pct = models.DecimalField(_("annual margin (%)"), **RATE, default=Decimal("0"),
                                            validators=[MinValueValidator(Decimal("0")),
                                                        MaxValueValidator(Decimal("100"))])
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["family", "code"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def description(self) -> str:
        return self.description_zh if (get_language() or "").startswith("zh") else self.description_en

    @property
    def is_financing(self) -> bool:
        return self.family in FINANCING_FAMILIES

    @property
    def is_value_added(self) -> bool:
        return self.family == ProductFamily.VALUE_ADDED


class PartnerKind(models.TextChoices):
    LAW_FIRM = "law_firm", _("Law firm")
    TAX_ADVISER = "tax_adviser", _("Tax adviser")
    INDUSTRY_ASSOCIATION = "association", _("Industry association")
    TECHNOLOGY_FIRM = "technology", _("Technology firm")
    OTHER = "other", _("Other")


class Partner(models.Model):
    """An outside firm the bank delivers value-added services with."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    products = models.ManyToManyField(Product, verbose_name=_("services delivered"), related_name="partners",
                                      blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self):
        return self.name


class HoldingQuerySet(models.QuerySet):
    def for_user(self, user):
        """Holdings are part of the full record (DESIGN.md section 4)."""
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "enterprise")


class Holding(models.Model):
    """A product an enterprise holds with the bank: since when, the contracted amount (a facility, a
    pool's limit; empty where none) and the latest balance, in the holding's currency. Imported like
    flows: (source_system, external_ref) makes every import idempotent."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="holdings")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="holdings")
    since = models.DateField(_("since"), validators=[validate_business_date])
    until = models.DateField(_("until"), null=True, blank=True, validators=[validate_business_date],
                             help_text=_("Empty while the product is held."))
    amount = models.DecimalField(_("contracted amount"), **MONEY, null=True, blank=True)
    balance = models.DecimalField(_("balance"), **MONEY, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="holdings")
    source_system = models.CharField(_("source system"), max_length=50)
    external_ref = models.CharField(_("external reference"), max_length=100)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    objects = HoldingQuerySet.as_manager()

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        ordering = ["enterprise", "product"]
        constraints = [
            models.UniqueConstraint(fields=["source_system", "external_ref"], name="holding_unique_reference",
                                    violation_error_message=_("This reference is already stored.")),
            models.CheckConstraint(condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                                   name="holding_amount_not_negative",
                                   violation_error_message=_("The contracted amount cannot be negative.")),
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="holding_balance_not_negative",
                                   violation_error_message=_("The balance cannot be negative.")),
            models.CheckConstraint(condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
                                   name="holding_until_after_since",
                                   violation_error_message=_("A holding cannot end before it starts.")),
        ]
        indexes = [models.Index(fields=["product", "enterprise"], name="holding_product_enterprise")]

    def __str__(self):
        return f"{self.enterprise} / {self.product}"

    @property
    def is_open(self) -> bool:
        return self.until is None or self.until >= timezone.localdate()


# --- needs --------------------------------------------------------------------------------------------


class NeedStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    CONVERTED = "converted", _("Converted")
    DISMISSED = "dismissed", _("Dismissed")


OPEN_NEED_STATUSES = (NeedStatus.NEW, NeedStatus.CONTACTED)
# The moves a person may make (services.needs.need_set_status); the engine only raises (new) and
# re-raises a dismissed need whose evidence grew materially.
NEED_TRANSITIONS = {
    NeedStatus.NEW: (NeedStatus.CONTACTED, NeedStatus.CONVERTED, NeedStatus.DISMISSED),
    NeedStatus.CONTACTED: (NeedStatus.CONVERTED, NeedStatus.DISMISSED),
    NeedStatus.CONVERTED: (),
    NeedStatus.DISMISSED: (),
}
MANUAL_RULE = "manual"


class NeedQuerySet(models.QuerySet):
    def for_user(self, user):
        """Needs follow the full-record reach of their enterprise (DESIGN.md section 4)."""
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "enterprise")

    def open(self):
        return self.filter(status__in=OPEN_NEED_STATUSES)


class Need(models.Model):
    """What an enterprise (of a group) likely needs: a product, a score 0-100, the estimated annual
    value to the bank in CNY, and evidence a person can read. Raised by a rule of the engine (`rule`
    names it; one need per enterprise, product and rule, refreshed by every run) or recorded by hand
    from a visit (`rule` = "manual").

    `basis` is the rule's measure of the evidence (the unpaid invoices, the idle balance, ...): a
    dismissed need is raised again only when a later run finds the basis grown by the rule's
    re-raise factor (services.needs). `is_current` is False once the latest run no longer finds the
    evidence (the need stays, for its history, but leaves the workbench while new)."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="needs")
    group = models.ForeignKey(GroupClient, verbose_name=_("group client"), on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="needs")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="needs")
    rule = models.CharField(_("rule"), max_length=40, db_index=True)
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(100)])
    value = models.DecimalField(_("estimated annual value"), **MONEY, default=Decimal("0"),
                                validators=[MinValueValidator(Decimal("0"))])
    evidence = models.TextField(_("evidence"))
    evidence_en = models.TextField(_("evidence (English)"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True,
                               help_text=_("The numbers behind the evidence, as the rule computed them."))
    basis = models.DecimalField(_("basis"), **MONEY, default=Decimal("0"))
    status = models.CharField(_("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.NEW)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("status changed by"),
                                          on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dismissed_basis = models.DecimalField(_("basis when dismissed"), **MONEY, null=True, blank=True)
    is_current = models.BooleanField(_("evidence current"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    refreshed_at = models.DateTimeField(_("refreshed"), default=timezone.now)
    history = HistoricalRecords(excluded_fields=["refreshed_at"])

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-value", "-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "product", "rule"], name="need_one_per_rule",
                                    condition=~models.Q(rule=MANUAL_RULE),
                                    violation_error_message=_("This rule already raised this need.")),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="need_score_range",
                                   violation_error_message=_("The score is between 0 and 100.")),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="need_value_not_negative",
                                   violation_error_message=_("The value cannot be negative.")),
        ]
        indexes = [
            # The workbench: open needs by value.
            models.Index(fields=["status", "-value"], name="need_status_value"),
            models.Index(fields=["group", "status", "-value"], name="need_group_status_value"),  # a group's open needs by value
        ]

    def __str__(self):
        return f"{self.enterprise} / {self.product} ({self.score})"

    @property
    def is_manual(self) -> bool:
        return self.rule == MANUAL_RULE

    @property
    def evidence_text(self) -> str:
        """The evidence in the page's language (rules write both; hand-recorded needs one)."""
        if self.evidence_en and not (get_language() or "").startswith("zh"):
            return self.evidence_en
        return self.evidence


class NeedRuleSetting(models.Model):
    """Head office's settings of one rule of the needs engine: on or off, and its thresholds (a JSON
    object whose keys and defaults the rule declares, validated by services.rules before saving).
    Rules without a row run with their defaults."""

    rule = models.CharField(_("rule"), max_length=40, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("needs rule setting")
        verbose_name_plural = _("needs rule settings")
        ordering = ["rule"]

    def __str__(self):
        return self.rule


class PlaybookItem(models.Model):
    """An industry playbook's line: for groups whose core is in a GB/T 4754 section, what the core
    (`role` "core") or a circle member of a role typically needs. The group page lists the items no
    holding and no open need covers yet."""

    CORE_ROLE = "core"

    industry_section = models.CharField(_("industry section (GB/T 4754)"), max_length=1)
    role = models.CharField(_("role"), max_length=20,
                            help_text=_("\"core\" for the core enterprise, or a circle role."))
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="playbook_items")
    note_zh = models.CharField(_("note (Chinese)"), max_length=300, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("playbook item")
        verbose_name_plural = _("playbook items")
        ordering = ["industry_section", "role", "product"]
        constraints = [
            models.UniqueConstraint(fields=["industry_section", "role", "product"], name="playbook_unique_item",
                                    violation_error_message=_("This playbook already has this item.")),
        ]

    def __str__(self):
        return f"{self.industry_section} {self.role}: {self.product}"

    @property
    def note(self) -> str:
        return self.note_zh if (get_language() or "").startswith("zh") else self.note_en


# --- advice and contribution parameters ---------------------------------------------------------------


class _Singleton(models.Model):
    SINGLETON_PK = 1

    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def current(cls):
        """The stored parameters, or the defaults (unsaved) before head office first sets them."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)


class AllocationSettings(_Singleton):
    """Head office's parameters of asset-allocation advice (资产配置建议, services.allocation): how much
    of a group's balances stays liquid (a percentile of its 30-day net outflows over a look-back
    period, plus a buffer), how the rest is laddered by horizon, and the yields each bucket earns."""

    lookback_days = models.PositiveIntegerField(_("look-back (days)"), default=365,
                                                validators=[MinValueValidator(60), MaxValueValidator(1825)])
    window_days = models.PositiveIntegerField(_("outflow window (days)"), default=30,
                                              validators=[MinValueValidator(1), MaxValueValidator(180)])
    percentile = models.DecimalField(_("outflow percentile"), max_digits=5, decimal_places=2,
                                     default=Decimal("95"),
                                     validators=[MinValueValidator(Decimal("50")), MaxValueValidator(Decimal("100"))])
    buffer_pct = models.DecimalField(_("liquidity buffer (%)"), **RATE, default=Decimal("10"),
                                     validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    # Shares of what is left after the liquid part, by horizon (they add up to 100).
    notice_share_pct = models.DecimalField(_("notice deposits (percent of the rest)"), **RATE, default=Decimal("30"),
                                           validators=[MinValueValidator(Decimal("0")),
                                                       MaxValueValidator(Decimal("100"))])
    time_share_pct = models.DecimalField(_("time deposits (percent of the rest)"), **RATE, default=Decimal("30"),
                                         validators=[MinValueValidator(Decimal("0")),
                                                     MaxValueValidator(Decimal("100"))])
    structured_share_pct = models.DecimalField(_("structured deposits (percent of the rest)"), **RATE,
                                               default=Decimal("25"),
                                               validators=[MinValueValidator(Decimal("0")),
                                                           MaxValueValidator(Decimal("100"))])
    wealth_share_pct = models.DecimalField(_("wealth products (percent of the rest)"), **RATE, default=Decimal("15"),
                                           validators=[MinValueValidator(Decimal("0")),
                                                       MaxValueValidator(Decimal("100"))])
    demand_yield_pct = models.DecimalField(_("demand deposit yield (%)"), **RATE, default=Decimal("0.10"))
    notice_yield_pct = models.DecimalField(_("7-day notice deposit yield (%)"), **RATE, default=Decimal("0.80"))
    time_yield_pct = models.DecimalField(_("1-year time deposit yield (%)"), **RATE, default=Decimal("1.35"))
    structured_yield_pct = models.DecimalField(_("structured deposit yield (%)"), **RATE, default=Decimal("1.90"))
    wealth_yield_pct = models.DecimalField(_("wealth product yield (%)"), **RATE, default=Decimal("2.40"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("asset-allocation settings")
        verbose_name_plural = _("asset-allocation settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="allocationsettings_singleton")]

    def __str__(self):
        return str(_("Asset-allocation settings"))


class ContributionSettings(_Singleton):
    """Head office's method of the comprehensive contribution (综合贡献度, services.contribution):
    deposit income = average deposit balance x deposit spread (the funds-transfer price less what the
    deposit pays), loan income = average loan balance x loan spread, fee income = each fee-earning
    holding's amount x its product's annual margin, all per month (a year / 12)."""

    deposit_spread_pct = models.DecimalField(_("deposit spread (% a year)"), **RATE, default=Decimal("1.20"),
                                             validators=[MinValueValidator(Decimal("0")),
                                                         MaxValueValidator(Decimal("20"))])
    loan_spread_pct = models.DecimalField(_("loan spread (% a year)"), **RATE, default=Decimal("1.50"),
                                          validators=[MinValueValidator(Decimal("0")),
                                                      MaxValueValidator(Decimal("20"))])
    months = models.PositiveSmallIntegerField(_("months shown"), default=12,
                                              validators=[MinValueValidator(1), MaxValueValidator(36)])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contribution settings")
        verbose_name_plural = _("contribution settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="contributionsettings_singleton")]

    def __str__(self):
        return str(_("Contribution settings"))


# --- profiles (refreshed by the jobs) -----------------------------------------------------------------


class ClientProfile(models.Model):
    """An enterprise's profile (客户画像) as the last refresh computed it: tags from the data (chain
    role, products held, open needs, activity, value tier) and the average balances the
    contribution figures start from. Written by services.profile, read by the group 360 and
    enterprise pages."""

    enterprise = models.OneToOneField(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                      related_name="profile", primary_key=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    value_tier = models.CharField(_("value tier"), max_length=10, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed"), default=timezone.now)

    class Meta:
        verbose_name = _("client profile")
        verbose_name_plural = _("client profiles")

    def __str__(self):
        return f"{self.enterprise_id}: {', '.join(map(str, self.tags))}"


class ContributionMonth(models.Model):
    """An enterprise's contribution to the bank in one month, in CNY (services.contribution)."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="contributions")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    deposit_income = models.DecimalField(_("deposit income"), **MONEY, default=Decimal("0"))
    loan_income = models.DecimalField(_("loan income"), **MONEY, default=Decimal("0"))
    fee_income = models.DecimalField(_("fee income"), **MONEY, default=Decimal("0"))
    avg_deposits = models.DecimalField(_("average deposits"), **MONEY, default=Decimal("0"))
    avg_loans = models.DecimalField(_("average loans"), **MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("monthly contribution")
        verbose_name_plural = _("monthly contributions")
        ordering = ["enterprise", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "month"], name="contribution_unique_month"),
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.month:%Y-%m}"

    @property
    def total(self) -> Decimal:
        return self.deposit_income + self.loan_income + self.fee_income
