"""Admin of the catalogue and of the needs engine's parameters, for head office (core.admin_tools).

Products, partners, playbooks, rule thresholds and the allocation and contribution parameters are
head office's configuration: edited here directly (with history where the model keeps it). Holdings
are client data: added and changed through services.catalogue (the same checks as imports and the
API); what a holding *is* (enterprise, product, start, currency, partner, reference) is fixed once it
exists. Needs are the engine's and the RMs' (services.needs): read-only here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin
from services import allocation, catalogue, contribution
from services.models import (
    AllocationSettings,
    ContributionSettings,
    Holding,
    Need,
    NeedRuleSetting,
    Partner,
    PlaybookItem,
    Product,
)


@admin.register(Product)
class ProductAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """A product leaves the catalogue by being made inactive (holdings and needs keep it): no delete.
    The code is the stable key of the API, imports and rules: fixed once the product exists."""

    list_display = ["code", "name_zh", "name_en", "family", "annual_margin_pct", "active"]
    list_filter = ["family", "active"]
    search_fields = ["=code", "name_zh", "name_en"]
    readonly_on_change = ("code",)
    create_service = catalogue.product_create
    update_service = catalogue.product_update
    service_object = "product"


@admin.register(Partner)
class PartnerAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["=code", "name"]
    filter_horizontal = ["products"]
    readonly_on_change = ("code",)
    create_service = catalogue.partner_create
    update_service = catalogue.partner_update
    service_object = "partner"


@admin.register(Holding)
class HoldingAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["enterprise", "product", "since", "until", "amount", "balance", "currency", "partner",
                    "source_system", "external_ref"]
    list_filter = ["product", "currency", "source_system"]
    search_fields = ["=enterprise__uscc", "enterprise__name", "=external_ref"]
    list_select_related = ["enterprise", "product", "partner"]
    raw_id_fields = ["enterprise"]
    readonly_on_change = ("enterprise", "product", "since", "currency", "partner", "source_system", "external_ref")
    create_service = catalogue.holding_create

    def service_update(self, request, form, obj):
        changed = set(form.changed_data)
        data = form.cleaned_data
        return catalogue.holding_update(
            request.user, obj,
            balance=data.get("balance") if "balance" in changed else None,
            amount=data.get("amount") if "amount" in changed else None,
            until=data.get("until") if "until" in changed else None,
            clear_amount="amount" in changed and data.get("amount") is None,
            clear_until="until" in changed and data.get("until") is None,
        )


@admin.register(Need)
class NeedAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Needs are raised by the engine and moved by RMs (services.needs): no service here, so read-only."""

    list_display = ["enterprise", "product", "rule", "score", "value", "status", "is_current", "refreshed_at"]
    list_filter = ["status", "rule", "is_current", "product"]
    search_fields = ["=enterprise__uscc", "enterprise__name"]
    list_select_related = ["enterprise", "product"]


@admin.register(NeedRuleSetting)
class NeedRuleSettingAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Thresholds are checked against each rule's ranges (services.needs.rule_settings_update)."""

    list_display = ["rule", "enabled", "params", "updated_at"]
    list_filter = ["enabled"]
    readonly_on_change = ("rule",)

    def service_create(self, request, form):
        from services.needs import rule_settings_update

        data = form.cleaned_data
        return rule_settings_update(request.user, data["rule"], enabled=data.get("enabled", True),
                                    params=data.get("params") or {})

    def service_update(self, request, form, obj):
        from services.needs import rule_settings_update

        data = form.cleaned_data
        return rule_settings_update(request.user, obj.rule, enabled=data.get("enabled", obj.enabled),
                                    params=data.get("params", obj.params) or {})


@admin.register(PlaybookItem)
class PlaybookItemAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["industry_section", "role", "product", "note_zh", "note_en"]
    list_filter = ["industry_section", "role"]
    list_select_related = ["product"]
    create_service = catalogue.playbook_item_create
    update_service = catalogue.playbook_item_update
    delete_service = catalogue.playbook_item_delete
    service_object = "item"


class SingletonAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """One row of parameters, set through its service (`settings_service`, head office, checked, with
    history): added once (then changed), never deleted (the defaults apply until then)."""

    settings_service = None

    def has_add_permission(self, request, *args):
        return not self.model.objects.exists() and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return False

    def service_create(self, request, form):
        return type(self).settings_service(request.user, **form.cleaned_data)

    def service_update(self, request, form, obj):
        return type(self).settings_service(request.user, **{name: form.cleaned_data[name]
                                                             for name in form.changed_data})


@admin.register(AllocationSettings)
class AllocationSettingsAdmin(SingletonAdmin):
    fields = allocation.EDITABLE
    settings_service = allocation.settings_update


@admin.register(ContributionSettings)
class ContributionSettingsAdmin(SingletonAdmin):
    fields = contribution.EDITABLE
    settings_service = contribution.settings_update
