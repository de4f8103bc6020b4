"""One router for /api/v1/: each app's api/urls.py declares a `router`; their registries are joined
here so the API has a single root listing every endpoint (and the walker in tests sees them all)."""

from importlib import import_module

from rest_framework.routers import DefaultRouter

API_APPS = ["clients", "circles", "chains", "groups", "services", "risk"]

router = DefaultRouter()
for app in API_APPS:
    router.registry.extend(import_module(f"{app}.api.urls").router.registry)

urlpatterns = router.urls
