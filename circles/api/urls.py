from rest_framework.routers import DefaultRouter

from circles.api.views import CircleMemberViewSet, GuaranteeViewSet

router = DefaultRouter()
router.register("circle-members", CircleMemberViewSet, basename="circle-member")
router.register("guarantees", GuaranteeViewSet, basename="guarantee")
urlpatterns = router.urls
