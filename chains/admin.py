"""Admin for chain links and detection runs. Status changes go through the services (admin actions)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from chains import services
from chains.models import ChainLink, LinkDetectionRun


@admin.register(ChainLink)
class ChainLinkAdmin(SimpleHistoryAdmin):
    list_display = ["group", "supplier", "buyer", "tier", "goods", "status", "created_at"]
    list_filter = ["status", "tier"]
    search_fields = ["group__name", "supplier__name", "supplier__uscc", "buyer__name", "buyer__uscc"]
    raw_id_fields = ["group", "supplier", "buyer"]
    list_select_related = ["group", "supplier", "buyer"]
    actions = ["confirm_links", "dismiss_links"]

    def _run(self, request, queryset, service):
        done = 0
        for link in queryset:
            try:
                service(user=request.user, link=link)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{link}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                                  messages.WARNING)
        self.message_user(request, _("%(n)d links updated.") % {"n": done})

    @admin.action(description=_("Confirm selected detected links"))
    def confirm_links(self, request, queryset):
        self._run(request, queryset, services.chain_link_confirm)

    @admin.action(description=_("Dismiss selected detected links"))
    def dismiss_links(self, request, queryset):
        self._run(request, queryset, services.chain_link_dismiss)


@admin.register(LinkDetectionRun)
class LinkDetectionRunAdmin(admin.ModelAdmin):
    list_display = ["group", "period_start", "period_end", "started_at", "finished_at", "proposed"]
    list_select_related = ["group"]
    raw_id_fields = ["group"]
