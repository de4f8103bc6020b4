from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from core.api_docs import ApiDocsView
from core.health import health

# JSON errors on /api/ paths (the documented `{"detail": ...}` shape), the pages templates/400.html,
# 403.html, 404.html and 500.html elsewhere (core.error_pages says which need a request).
handler400 = "core.api.handlers.bad_request"
handler403 = "core.api.handlers.permission_denied"
handler404 = "core.api.handlers.page_not_found"
handler500 = "core.api.handlers.server_error"

urlpatterns = [
    path("", include("staff.urls")),
    path("clients/", include("clients.urls")),
    path("circles/", include("circles.urls")),
    path("chains/", include("chains.urls")),
    path("imports/", include("imports.urls")),
    path("cohorts/", include("groups.urls")),
    path("services/", include("services.urls")),
    path("risk/", include("risk.urls")),
    path("ops/", include("core.urls")),
    path("audit/", include("audit.urls")),
    path("search/", include("clients.search_urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # API tokens are the account's, not client data: their own router, outside the scoped API walk.
    path("api/v1/", include("staff.api.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script under the CSP.
    path(
        "api/docs/",
        ApiDocsView.as_view(url_name="api-schema", template_name="core/swagger_ui.html"),
        name="api-docs",
    ),
]

