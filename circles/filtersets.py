"""One FilterSet per model: the circle page's filter form, the API's query parameters and the selectors."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circles.models import CircleMember, CircleRole, CircleSource, Guarantee
from clients.filtersets import EnterpriseCodeFilter, EnterpriseSearchFilter, ScopedFilterSet
from clients.models import GroupMembership


class ClientOrProspectWidget(django_filters.widgets.BooleanWidget):
    """true/false like BooleanWidget, with labels that say what they mean."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("All")), ("true", _("Clients of the bank")), ("false", _("Prospects"))]


class CircleMemberFilterSet(django_filters.FilterSet):
    q = EnterpriseSearchFilter(prefix="enterprise__")
    group = django_filters.NumberFilter(field_name="group_id", label=_("Group client"))
    role = django_filters.ChoiceFilter(choices=CircleRole.choices, label=_("Role"))
    source = django_filters.ChoiceFilter(choices=CircleSource.choices, label=_("Source"))
    is_client = django_filters.BooleanFilter(
        field_name="enterprise__is_client", label=_("Client or prospect"),
        widget=ClientOrProspectWidget(),
    )
    tier = django_filters.NumberFilter(label=_("Degree"))
    enterprise_uscc = EnterpriseCodeFilter(field_name="enterprise__uscc", label=_("Credit code"))

    class Meta:
        model = CircleMember
        fields = ["q", "group", "role", "source", "is_client", "tier", "enterprise_uscc"]


class GuaranteeFilterSet(ScopedFilterSet):
    guarantor_uscc = django_filters.CharFilter(field_name="guarantor__uscc", label=_("Guarantor credit code"))
    borrower_uscc = django_filters.CharFilter(field_name="borrower__uscc", label=_("Borrower credit code"))
    group = django_filters.NumberFilter(method="by_group", label=_("Group client (either party a member)"))
    currency = django_filters.CharFilter(label=_("Currency"))

    class Meta:
        model = Guarantee
        fields = ["guarantor_uscc", "borrower_uscc", "group", "currency"]

    def by_group(self, queryset, name, value):
        queryset = self.only_covered_group(queryset, value)
        members = GroupMembership.objects.filter(group_id=value).values("enterprise_id")
        return queryset.filter(Q(guarantor_id__in=members) | Q(borrower_id__in=members))
