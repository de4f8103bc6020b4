from django.urls import path

from clients import search_views

app_name = "search"

urlpatterns = [
    path("", search_views.SearchResultsView.as_view(), name="results"),
    path("suggest/", search_views.SearchSuggestView.as_view(), name="suggest"),
]
