from chains.imports import urls as import_urls

app_name = "chains"

# Chain pages (chains/views.py) go here; the import pages live in chains/imports/urls.py.
urlpatterns: list = [
    *import_urls.urlpatterns,
]
