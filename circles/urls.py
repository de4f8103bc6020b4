from django.urls import path

from circles import views

app_name = "circles"

urlpatterns = [
    path("groups/<int:group_pk>/", views.GroupCircleView.as_view(), name="group_circle"),
    path("groups/<int:group_pk>/members/add/", views.CircleMemberAddView.as_view(), name="member_add"),
    path("groups/<int:group_pk>/members/<int:pk>/remove/", views.CircleMemberRemoveView.as_view(),
         name="member_remove"),
    path("members/add/", views.CircleMemberAddView.as_view(), name="member_add_from_card"),
    path("groups/<int:group_pk>/guarantees/add/", views.GuaranteeAddView.as_view(), name="guarantee_add"),
]
