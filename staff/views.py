from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from core.errors import apply_to_form
from staff import tokens
from staff.forms import TokenCreateForm, TokenKeyForm
from staff.scope import scope_for

ALL_TOKENS_PAGE_SIZE = 50


def home(request):
    """The landing page: the panels of the user's role (clients.landing holds the figures)."""
    from clients.filtersets import Mine
    from clients.landing import panels_for

    groups = reverse("clients:group_list")
    urls = {
        "groups": groups,
        "my_groups": f"{groups}?mine={Mine.COVERED}&sort=-limit_use",
        "by_use": f"{groups}?sort=-limit_use",
        "clients": reverse("clients:enterprise_list") + "?is_client=true",
        "requests": reverse("clients:request_list"),
    }
    return render(request, "home/home.html", {"panels": panels_for(request.user, urls)})


class TokenListView(View):
    """GET/POST /account/tokens/: your API tokens (created, expiry, last use), a form to create one (its
    secret is shown on the answer page once) and revoke/rotate buttons. Head office also sees every
    user's tokens (`?user=` narrows) and may revoke them."""

    template_name = "account/tokens.html"

    def get(self, request):
        return self.render(request, TokenCreateForm())

    def post(self, request):
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                token, secret = tokens.token_create(user=request.user, name=form.cleaned_data["name"],
                                                    days=form.cleaned_data["expires_in_days"], request=request)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                return self.render(request, TokenCreateForm(), new_token=token, secret=secret)
        return self.render(request, form, status=400)

    def render(self, request, form, *, new_token=None, secret=None, status=200):
        own = [t for t in tokens.tokens_visible_to(request.user).filter(user=request.user)]
        ctx = {"form": form, "tokens": own, "new_token": new_token, "secret": secret,
               "is_head_office": scope_for(request.user).sees_all}
        if ctx["is_head_office"]:
            everyone = tokens.tokens_visible_to(request.user).exclude(user=request.user)
            username = request.GET.get("user", "").strip()
            if username:
                everyone = everyone.filter(user__username=username)
            ctx["user_filter"] = username
            ctx["all_page"] = Paginator(everyone, ALL_TOKENS_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, self.template_name, ctx, status=status)


def _key(request) -> str:
    form = TokenKeyForm(request.POST)
    if not form.is_valid():
        raise Http404
    return form.cleaned_data["key"]


@require_POST
def token_revoke(request):
    """POST /account/tokens/revoke/ key=...: your token, or anyone's for head office (others: 404)."""
    try:
        token = tokens.token_revoke(user=request.user, key=_key(request), request=request)
    except ObjectDoesNotExist:
        raise Http404 from None
    messages.success(request, _("Token %(key)s (%(name)s) is revoked: it no longer works.")
                     % {"key": token.token_key, "name": token.name})
    return redirect(reverse("account_tokens"))


@require_POST
def token_rotate(request):
    """POST /account/tokens/rotate/ key=...: a new secret for one of your tokens, shown once."""
    try:
        token, secret = tokens.token_rotate(user=request.user, key=_key(request), request=request)
    except ObjectDoesNotExist:
        raise Http404 from None
    view = TokenListView()
    return view.render(request, TokenCreateForm(), new_token=token, secret=secret)
