"""The group page's risk refresh (issue 10 part 6): the button "Refresh risk" (刷新风险) queues the
group's early-warning refresh (risk.tasks.queue_group_refresh) and the page shows the group's last run
(core.jobs.last_refreshed). Any role with the group in reach may queue it: no client data is written,
the rules only read. A group out of reach answers 404, like one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from clients.access import groups_in_reach
from clients.models import GroupClient
from core.htmx import is_fragment
from core.jobs import last_refreshed


def group_refresh_section(group) -> dict:
    """What the group page shows of the risk refresh: the group's latest run (one query) and the
    button's address. Callers have the group in reach already (the page is theirs)."""
    from risk.tasks import RISK_JOB

    return {"last_refresh": last_refreshed(RISK_JOB, group),
            "refresh_url": reverse("risk:group_refresh_risk", args=[group.pk]), "group": group}


class GroupRefreshRiskView(View):
    """Queue the group's risk refresh; an htmx request gets the run's status (202), a form post goes
    back to the group page with a message."""

    def post(self, request, pk):
        from risk.tasks import queue_group_refresh

        group = get_object_or_404(groups_in_reach(request.user, GroupClient.objects.all()), pk=pk)
        run = queue_group_refresh(group, user=request.user)
        if is_fragment(request):
            return render(request, "risk/refresh_risk_status.html", {"run": run, "group": group}, status=202)
        messages.info(request, _("The risk refresh of this group: %(status)s.") % {"status": run.get_status_display()})
        return redirect("clients:group_detail", pk=group.pk)
