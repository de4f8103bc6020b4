from rest_framework.routers import SimpleRouter

from staff.api.tokens import ApiTokenViewSet

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")

urlpatterns = router.urls
