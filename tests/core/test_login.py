"""Login, logout, and throttling of failed logins (django-axes)."""

from django.urls import reverse

from tests.conftest import PASSWORD


def test_anonymous_user_is_sent_to_the_login_page(client, bank):
    response = client.get(reverse("clients:group_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_with_the_right_password_lands_on_the_workbench(client, bank):
    response = client.post(reverse("login"), {"username": "rm_gy1", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "rm_gy1"


def test_wrong_password_is_refused_with_a_message(client, bank):
    response = client.post(reverse("login"), {"username": "rm_gy1", "password": "wrong"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert response.context["form"].non_field_errors()


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, bank, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "rm_gy1", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "rm_gy1", "password": PASSWORD})
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    # Another user from the same address is not locked out by rm_gy1's failures.
    other = client.post(reverse("login"), {"username": "rm_gy2", "password": PASSWORD})
    assert other.status_code == 302


def test_logout_is_a_post_and_ends_the_session(client, bank):
    client.force_login(bank.rm_gy1)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("clients:group_list")).status_code == 302
