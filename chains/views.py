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
from django.views.generic import TemplateView

from chains import selectors, services
from chains.filtersets import TIER_CHOICES
from chains.forms import ChainLinkConfirmForm, ChainLinkDeclareForm, PeriodForm
from chains.models import ChainLink
from clients.mixins import GroupObjectMixin, ObjectFirstMixin
from core.errors import apply_to_form
from core.htmx import is_fragment
from core.permissions import ClientEditorRequiredMixin
from staff.scope import scope_for


class ChainPageMixin(GroupObjectMixin):
    """Renders the chain page, or only its body for htmx: same context, same fixed number of queries."""

    group_url_kwarg = "group_pk"

    def render_chain(self, period: selectors.Period, *, period_form=None, declare_form=None, feedback: str = "",
                     error: str = ""):
        group = self.get_group()
        context = {
            "group": group,
            "overview": selectors.chain_overview(group=group, period=period),
            "period": period,
            "period_form": period_form or PeriodForm(initial={"start": period.start, "end": period.end}),
            "declare_form": declare_form or ChainLinkDeclareForm(),
            "tier_choices": TIER_CHOICES,
            "can_edit": scope_for(self.request.user).can_edit_clients,
            "feedback": feedback,
            "error": error,
        }
        template = "chains/partials/chain_body.html" if is_fragment(self.request) else "chains/group_chain.html"
        return render(self.request, template, context)

    def done(self, period: selectors.Period, message: str, *, error: str = ""):
        """After a workflow POST: the refreshed body for htmx, else a redirect with the message."""
        if is_fragment(self.request):
            return self.render_chain(period, feedback="" if error else message, error=error)
        if error:
            messages.error(self.request, error)
        else:
            messages.success(self.request, message)
        query = urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})
        return redirect(f"{reverse('chains:group_chain', args=[self.get_group().pk])}?{query}")


class GroupChainView(ObjectFirstMixin, ChainPageMixin, TemplateView):
    """GET /chains/groups/<pk>/?start=&end=: the chain of a group over a period (default 12 months)."""

    def get(self, request, *args, **kwargs):
        period_form = PeriodForm(request.GET or None)
        period = period_form.period()
        return self.render_chain(period, period_form=period_form if period_form.is_bound else None)


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
        try:
            self.act(self.get_link())
        except ValidationError as exc:
            return self.done(period, "", error=" ".join(exc.messages))
        return self.done(period, str(self.done_message))


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
