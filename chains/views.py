"""Chain pages: the group's chain (Sankey, link metrics, concentration, detected links) and the small
workflow views that declare, confirm and dismiss links. Reads go through selectors, writes through
services; an htmx request gets the page body fragment back, a plain form post a redirect.

Objects are looked up in the user's reach first (404 for every role), then the role is checked
(403), as on every page (clients.mixins)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from chains import selectors, services
from chains.filtersets import TIER_CHOICES
from chains.forms import (
    ChainLinkConfirmForm,
    ChainLinkDeclareForm,
    DetectionSettingsForm,
    PeriodForm,
    QueuePageForm,
)
from chains.models import ChainLink, DetectionSettings
from clients.mixins import GroupObjectMixin, ObjectFirstMixin
from core.errors import apply_to_form
from core.htmx import is_fragment
from core.ops_views import HeadOfficeRequiredMixin
from core.permissions import ClientEditorRequiredMixin
from staff.scope import scope_for


class ChainPageMixin(GroupObjectMixin):
    """Renders the chain page, or only its body for htmx: same context, same fixed number of queries."""

    group_url_kwarg = "group_pk"

    def render_chain(self, period: selectors.Period, *, period_form=None, declare_form=None, feedback: str = "",
                     error: str = "", queue_page=1, queue_only: bool = False):
        """The page, or for htmx its body (or, with `queue_only`, the review queue's card alone, which
        reads only the queue and the thresholds)."""
        group = self.get_group()
        fragment = is_fragment(self.request)
        queue_card = queue_only and fragment
        overview = (selectors.review_queue if queue_card else selectors.chain_overview)(
            group=group, period=period, queue_page=queue_page)
        context = {
            "group": group,
            "overview": overview,
            "period": period,
            "period_form": period_form or PeriodForm(initial={"start": period.start, "end": period.end}),
            "declare_form": declare_form or ChainLinkDeclareForm(),
            "tier_choices": TIER_CHOICES,
            "can_edit": scope_for(self.request.user).can_edit_clients,
            "is_head_office": scope_for(self.request.user).sees_all,
            "feedback": feedback,
            "error": error,
        }
        if queue_card:
            template = "chains/partials/detected_queue.html"
        else:
            template = "chains/partials/chain_body.html" if fragment else "chains/group_chain.html"
        return render(self.request, template, context)

    def done(self, period: selectors.Period, message: str, *, error: str = "", queue_page=1):
        """After a workflow POST: the refreshed body for htmx, else a redirect with the message."""
        if is_fragment(self.request):
            return self.render_chain(period, feedback="" if error else message, error=error, queue_page=queue_page)
        if error:
            messages.error(self.request, error)
        else:
            messages.success(self.request, message)
        query = urlencode({"start": period.start.isoformat(), "end": period.end.isoformat(),
                           **({"page": queue_page} if queue_page != 1 else {})})
        return redirect(f"{reverse('chains:group_chain', args=[self.get_group().pk])}?{query}")


class GroupChainView(ObjectFirstMixin, ChainPageMixin, TemplateView):
    """GET /chains/groups/<pk>/?start=&end=&page=: the chain of a group over a period (default 12
    months), with one page of the review queue."""

    def get(self, request, *args, **kwargs):
        period_form = PeriodForm(request.GET or None)
        period = period_form.period()
        return self.render_chain(period, period_form=period_form if period_form.is_bound else None,
                                 queue_page=QueuePageForm(request.GET).page_number())


class DetectedQueueView(ObjectFirstMixin, ChainPageMixin, TemplateView):
    """GET /chains/groups/<pk>/detected/?page=: one page of the review queue, the queue's card alone
    for htmx (its pagination), the whole chain page otherwise."""

    def get(self, request, *args, **kwargs):
        period = PeriodForm(request.GET).period()
        return self.render_chain(period, queue_page=QueuePageForm(request.GET).page_number(), queue_only=True)


class DetectedBulkView(ObjectFirstMixin, ChainPageMixin, ClientEditorRequiredMixin, TemplateView):
    """POST /chains/groups/<pk>/detected/bulk/ (`action` confirm or dismiss, `link` ids): the ticked
    links of the review queue, all or none (chains.services, which checks reach, group and status
    of every link)."""

    http_method_names = ["post", "options"]
    actions = {
        "confirm": (services.chain_links_confirm_many,
                    lambda n: ngettext("%(n)d link confirmed.", "%(n)d links confirmed.", n) % {"n": n}),
        "dismiss": (services.chain_links_dismiss_many,
                    lambda n: ngettext("%(n)d link dismissed: it will not be proposed again.",
                                       "%(n)d links dismissed: they will not be proposed again.", n) % {"n": n}),
    }

    def post(self, request, *args, **kwargs):
        period = PeriodForm(request.POST).period()
        page = QueuePageForm(request.POST).page_number()
        action = self.actions.get(request.POST.get("action", ""))
        if action is None:
            return self.done(period, "", error=_("Choose confirm or dismiss."), queue_page=page)
        service, message = action
        try:
            links = service(user=request.user, ids=request.POST.getlist("link"), group=self.get_group())
        except ValidationError as exc:
            return self.done(period, "", error=" ".join(exc.messages), queue_page=page)
        return self.done(period, message(len(links)), queue_page=page)


class DetectionSettingsView(HeadOfficeRequiredMixin, TemplateView):
    """GET/POST /chains/detection-settings/: head office's detection thresholds and their history
    (other roles: 403)."""

    template_name = "chains/detection_settings.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        current = DetectionSettings.current()
        ctx.setdefault("form", DetectionSettingsForm(initial={
            "min_volume": current.min_volume, "min_payments": current.min_payments,
            "min_months": current.min_months}))
        ctx["current"] = current
        ctx["history"] = selectors.detection_settings_history()
        return ctx

    def post(self, request, *args, **kwargs):
        form = DetectionSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.detection_settings_update(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_to_form(form, exc)
        if form.errors:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Detection thresholds saved; the next detection run applies them."))
        return redirect(reverse("chains:detection_settings"))


class ChainLinkDeclareView(ObjectFirstMixin, ChainPageMixin, ClientEditorRequiredMixin, TemplateView):
    """POST: declare a link by credit codes."""

    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        period = PeriodForm(request.POST).period()
        form = ChainLinkDeclareForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.chain_link_declare(
                    user=request.user, group=self.get_group(), supplier=form.cleaned_data["supplier_uscc"],
                    buyer=form.cleaned_data["buyer_uscc"], tier=form.cleaned_data["tier"],
                    goods=form.cleaned_data["goods"],
                )
            except ValidationError as exc:
                apply_to_form(form, exc)
        if form.errors:
            return self.render_chain(period, declare_form=form,
                                     error=_("The link was not declared: see the errors in the form."))
        return self.done(period, _("Link declared."))


class LinkActionView(ObjectFirstMixin, ChainPageMixin, ClientEditorRequiredMixin, TemplateView):
    """POST on one link: found in the user's reach (404), role checked (403), then the service."""

    http_method_names = ["post", "options"]
    done_message = ""
    object_getters = ("get_link",)

    def get_link(self) -> ChainLink:
        if not hasattr(self, "_link"):
            self._link = get_object_or_404(ChainLink.objects.for_user(self.request.user), pk=self.kwargs["pk"])
        return self._link

    def group_pk(self):
        return self.get_link().group_id

    def act(self, link: ChainLink) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        period = PeriodForm(request.POST).period()
        page = QueuePageForm(request.POST).page_number()
        try:
            self.act(self.get_link())
        except ValidationError as exc:
            return self.done(period, "", error=" ".join(exc.messages), queue_page=page)
        return self.done(period, str(self.done_message), queue_page=page)


class ChainLinkConfirmView(LinkActionView):
    done_message = _("Link confirmed.")

    def act(self, link):
        form = ChainLinkConfirmForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError([f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()])
        services.chain_link_confirm(user=self.request.user, link=link, tier=form.cleaned_data["tier"],
                                    goods=form.cleaned_data["goods"] or None)


class ChainLinkDismissView(LinkActionView):
    done_message = _("Link dismissed: it will not be proposed again.")

    def act(self, link):
        services.chain_link_dismiss(user=self.request.user, link=link)


class ChainDetectView(ObjectFirstMixin, ChainPageMixin, ClientEditorRequiredMixin, TemplateView):
    """POST: queue link detection for the group now (it also runs on schedule)."""

    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        services.chain_detection_request(user=request.user, group=self.get_group())
        messages.info(request, _("Link detection queued; proposals appear when it has run."))
        period = PeriodForm(request.POST).period()
        query = urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})
        return redirect(f"{reverse('chains:group_chain', args=[self.get_group().pk])}?{query}")
