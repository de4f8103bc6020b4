"""Chain pages: the group's chain (Sankey, link metrics, concentration, detected links) and the small
workflow views that declare, confirm and dismiss links. Reads go through selectors, writes through
services; an htmx request gets the page body fragment back, a plain form post a redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from chains import selectors, services
from chains.filtersets import TIER_CHOICES
from chains.forms import ChainLinkConfirmForm, ChainLinkDeclareForm, PeriodForm
from chains.models import ChainLink
from chains.tasks import detect_chain_links
from clients.models import GroupClient
from core.errors import apply_to_form
from core.htmx import is_fragment
from core.permissions import ensure_can_edit_clients
from staff.scope import scope_for


def _group_or_404(user, pk: int) -> GroupClient:
    try:
        return selectors.group_for_chain(user=user, pk=pk)
    except GroupClient.DoesNotExist:
        raise Http404 from None


def _chain_url(group_pk: int, period: selectors.Period) -> str:
    query = urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})
    return f"{reverse('chains:group_chain', args=[group_pk])}?{query}"


def render_chain(request, group: GroupClient, period: selectors.Period, *, period_form=None,
                 declare_form=None, feedback: str = "", error: str = ""):
    """The chain page, or only its body for htmx: same context, same fixed number of queries."""
    context = {
        "group": group,
        "overview": selectors.chain_overview(group=group, period=period),
        "period": period,
        "period_form": period_form or PeriodForm(initial={"start": period.start, "end": period.end}),
        "declare_form": declare_form or ChainLinkDeclareForm(),
        "tier_choices": TIER_CHOICES,
        "can_edit": scope_for(request.user).can_edit_clients,
        "feedback": feedback,
        "error": error,
    }
    template = "chains/partials/chain_body.html" if is_fragment(request) else "chains/group_chain.html"
    return render(request, template, context)


class GroupChainView(View):
    """GET /chains/groups/<pk>/?start=&end=: the chain of a group over a period (default 12 months)."""

    def get(self, request, group_pk: int):
        group = _group_or_404(request.user, group_pk)
        period_form = PeriodForm(request.GET or None)
        period = period_form.period()
        if not period_form.is_bound:
            period_form = None
        return render_chain(request, group, period, period_form=period_form)


class ChainLinkDeclareView(View):
    """POST: declare a link by credit codes."""

    def post(self, request, group_pk: int):
        group = _group_or_404(request.user, group_pk)
        ensure_can_edit_clients(request.user)
        period = PeriodForm(request.POST).period()
        form = ChainLinkDeclareForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.chain_link_declare(
                    user=request.user, group=group, supplier=form.cleaned_data["supplier_uscc"],
                    buyer=form.cleaned_data["buyer_uscc"], tier=form.cleaned_data["tier"],
                    goods=form.cleaned_data["goods"],
                )
            except ValidationError as exc:
                apply_to_form(form, exc)
        if form.errors:
            return render_chain(request, group, period, declare_form=form,
                                error=_("The link was not declared: see the errors in the form."))
        done = _("Link declared.")
        if is_fragment(request):
            return render_chain(request, group, period, feedback=done)
        messages.success(request, done)
        return redirect(_chain_url(group.pk, period))


class _LinkActionView(View):
    """POST on one link: find it in the user's scope (404), check the role (403), call the service."""

    done_message = ""

    def act(self, request, link: ChainLink) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        link = get_object_or_404(ChainLink.objects.for_user(request.user), pk=pk)
        ensure_can_edit_clients(request.user)
        group = _group_or_404(request.user, link.group_id)
        period = PeriodForm(request.POST).period()
        error = ""
        try:
            self.act(request, link)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        if is_fragment(request):
            return render_chain(request, group, period, feedback="" if error else str(self.done_message),
                                error=error)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, self.done_message)
        return redirect(_chain_url(group.pk, period))


class ChainLinkConfirmView(_LinkActionView):
    done_message = _("Link confirmed.")

    def act(self, request, link):
        form = ChainLinkConfirmForm(request.POST)
        if not form.is_valid():
            raise ValidationError([f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()])
        services.chain_link_confirm(user=request.user, link=link, tier=form.cleaned_data["tier"],
                                    goods=form.cleaned_data["goods"] or None)


class ChainLinkDismissView(_LinkActionView):
    done_message = _("Link dismissed: it will not be proposed again.")

    def act(self, request, link):
        services.chain_link_dismiss(user=request.user, link=link)


class ChainDetectView(View):
    """POST: queue link detection for the group now (it also runs on schedule)."""

    def post(self, request, group_pk: int):
        group = _group_or_404(request.user, group_pk)
        ensure_can_edit_clients(request.user)
        transaction.on_commit(lambda: detect_chain_links.delay(group.pk))
        period = PeriodForm(request.POST).period()
        messages.info(request, _("Link detection queued; proposals appear when it has run."))
        return redirect(_chain_url(group.pk, period))
