from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from staff import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", views.TokenListView.as_view(), name="account_tokens"),
    path("account/tokens/revoke/", views.token_revoke, name="account_token_revoke"),
    path("account/tokens/rotate/", views.token_rotate, name="account_token_rotate"),
]
