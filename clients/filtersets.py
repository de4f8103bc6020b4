"""One FilterSet per model: the page's filter form, the API's query parameters and the selectors."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    EnterpriseSize,
    FinancialStatement,
    GroupClient,
    Interaction,
    Tier,
)
from clients.reference import INDUSTRY_SECTION_CHOICES, REGION_CHOICES


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet that knows the acting user (from the request, or handed over by a selector), so a
    filter naming a group accepts only a group the user covers."""

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self.user = user if user is not None else getattr(request, "user", None)

    def only_covered_group(self, queryset, group_id):
        """Filtering by a group the user does not cover would tell which of their own rows belong to
        it, so such a filter matches nothing."""
        if self.user is None or not GroupClient.objects.for_user(self.user).filter(pk=group_id).exists():
            return queryset.none()
        return queryset


class EnterpriseSearchFilter(django_filters.CharFilter):
    """`q`: part of an enterprise's name, or its exact credit code (spaces, dashes and case ignored).
    `prefix` reaches the enterprise from the filtered model ("" for Enterprise, "enterprise__", ...)."""

    def __init__(self, *, prefix: str = "", **kwargs):
        self.prefix = prefix
        kwargs.setdefault("label", _("Search"))
        super().__init__(**kwargs)

    def filter(self, qs, value):
        from clients.validators import normalize_uscc

        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(**{f"{self.prefix}name__icontains": value}) | Q(**{f"{self.prefix}uscc": normalize_uscc(value)}))


class EnterpriseCodeFilter(django_filters.CharFilter):
    """An exact credit code (normalised), on the enterprise reached by `field_name`."""

    def filter(self, qs, value):
        from clients.validators import normalize_uscc

        value = normalize_uscc(value or "")
        return qs.filter(**{self.field_name: value}) if value else qs


class GroupClientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"))
    industry = django_filters.ChoiceFilter(
        choices=INDUSTRY_SECTION_CHOICES, field_name="core_enterprise__industry", lookup_expr="startswith",
        label=_("Industry"),
    )
    region = django_filters.ChoiceFilter(
        choices=REGION_CHOICES, field_name="core_enterprise__region", label=_("Region")
    )
    branch = django_filters.NumberFilter(field_name="branch_id", label=_("Branch"))
    lead_rm = django_filters.NumberFilter(field_name="lead_rm_id", label=_("Lead RM"))

    class Meta:
        model = GroupClient
        fields = ["q", "tier", "industry", "region", "branch", "lead_rm"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(core_enterprise__name__icontains=value)
            | Q(core_enterprise__uscc=value.upper())
        )


class EnterpriseFilterSet(ScopedFilterSet):
    q = EnterpriseSearchFilter()
    uscc = EnterpriseCodeFilter(field_name="uscc", label=_("Unified social credit code"))
    is_client = django_filters.BooleanFilter(label=_("Client of the bank"))
    industry = django_filters.CharFilter(lookup_expr="startswith", label=_("Industry"))
    region = django_filters.ChoiceFilter(choices=REGION_CHOICES, label=_("Region"))
    size = django_filters.ChoiceFilter(choices=EnterpriseSize.choices, label=_("Size"))
    group = django_filters.NumberFilter(method="by_group", label=_("Group client"))

    class Meta:
        model = Enterprise
        fields = ["q", "uscc", "is_client", "industry", "region", "size", "group"]

    def by_group(self, queryset, name, value):
        return self.only_covered_group(queryset, value).filter(memberships__group=value)


class ControlLinkFilterSet(ScopedFilterSet):
    child = django_filters.CharFilter(field_name="child__uscc", label=_("Child credit code"))
    parent = django_filters.CharFilter(field_name="parent_enterprise__uscc", label=_("Parent credit code"))
    group = django_filters.NumberFilter(method="by_group", label=_("Group client"))

    class Meta:
        model = ControlLink
        fields = ["child", "parent", "control_type", "group"]

    def by_group(self, queryset, name, value):
        return self.only_covered_group(queryset, value).filter(child__memberships__group=value)


class FinancialStatementFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("Credit code"))
    period_end_after = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    period_end_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")

    class Meta:
        model = FinancialStatement
        fields = ["enterprise", "period_type", "period_end_after", "period_end_before"]


class BankAccountFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("Credit code"))

    class Meta:
        model = BankAccount
        fields = ["enterprise", "kind", "currency"]


class AccountBalanceFilterSet(django_filters.FilterSet):
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = AccountBalance
        fields = ["date_after", "date_before"]


class InteractionFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("Credit code"))

    class Meta:
        model = Interaction
        fields = ["enterprise", "kind"]
