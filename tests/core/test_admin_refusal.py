"""/admin/ is head office's (core.admin_site): any other logged-in user gets a clear 403 page inside
the layout on every admin address, the admin's login page included (no second login form);
anonymous visitors go to the main login page."""

import pytest
from django.urls import reverse

from tests.admin.helpers import staff_with_all_permissions

REFUSAL = "The administration site is for head office administrators."
ADMIN_URLS = ("/admin/", "/admin/login/", "/admin/clients/enterprise/", "/admin/clients/enterprise/add/",
              "/admin/auth/user/", "/admin/no-such-thing/")


def _non_admin(bank, persona):
    if persona == "head_gy_staff":  # is_staff with every Django permission: still not head office
        return staff_with_all_permissions(bank.head_gy)
    return getattr(bank, persona)


@pytest.mark.parametrize("persona", ["rm_gy1", "head_gy", "risk_gy", "rm_zy1", "outsider", "hq", "head_gy_staff"])
def test_non_admin_staff_are_refused_with_the_403_page(bank, client_as, persona):
    """`hq` here has the head-office role but no is_staff: the admin is for staff accounts."""
    client = client_as(_non_admin(bank, persona))
    for url in ADMIN_URLS:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 403, (persona, url, response.status_code)
        assert REFUSAL in html and 'data-status="403"' in html, (persona, url)
        assert '<nav class="mainnav"' in html and "id_password" not in html, (persona, url)  # no login form
        assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # A POST to the admin (a form or a login) is refused the same way.
    assert client.post("/admin/login/", {"username": "hq", "password": "x"}).status_code == 403


def test_the_refusal_speaks_chinese_too(bank, client_as):
    response = client_as(bank.rm_gy1).get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 403 and '<html lang="zh-hans">' in html and "集团客户" in html


def test_anonymous_visitors_go_to_the_main_login_page(db, client):
    response = client.get("/admin/clients/enterprise/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/clients/enterprise/"


def test_head_office_admins_keep_the_admin(bank, client_as):
    client = client_as(staff_with_all_permissions(bank.hq))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/clients/enterprise/").status_code == 200
    assert client.get("/admin/login/").status_code == 302  # already in: to the admin's index


def test_a_superuser_keeps_the_admin(bank, client_as):
    bank.outsider.is_staff = bank.outsider.is_superuser = True
    bank.outsider.save()
    assert client_as(bank.outsider).get("/admin/").status_code == 200
