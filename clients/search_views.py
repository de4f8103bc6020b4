"""The header search box: its results page (/search/?q=) and the top hits it shows as you type
(/search/suggest/?q=, an htmx fragment). The search itself is clients.search."""

from django.views.generic import TemplateView

from clients import search

RESULTS_LIMIT = 20
SUGGEST_LIMIT = 5


class SearchResultsView(TemplateView):
    """Groups and enterprises in the user's reach that match `q`, with how many match in all; links to
    the group and enterprise lists filtered by the same words."""

    template_name = "search/results.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["results"] = search.find(self.request.user, self.request.GET.get("q"), limit=RESULTS_LIMIT, totals=True)
        return ctx


class SearchSuggestView(TemplateView):
    """The header box's dropdown: the first hits of each kind (a fragment, also when opened directly)."""

    template_name = "search/partials/suggestions.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["results"] = search.find(self.request.user, self.request.GET.get("q"), limit=SUGGEST_LIMIT, totals=False)
        return ctx
