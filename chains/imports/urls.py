# Upload pages for imports (owned by the import work). Included by chains/urls.py.
urlpatterns: list = []
