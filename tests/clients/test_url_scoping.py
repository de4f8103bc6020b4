"""Every page of the clients app: anonymous users are sent to log in, an RM of another branch gets
404 (or 403 where the role check comes first), never the data."""

import pytest
from django.urls import reverse

from clients.models import ControlLink
from clients.urls import urlpatterns


def _urls(bank):
    group = bank.group_gy
    core = group.core_enterprise
    link = ControlLink.objects.filter(parent_enterprise=core).first()
    args = {"pk": None, "link_pk": link.pk}
    out = []
    for pattern in urlpatterns:
        params = pattern.pattern.converters
        if not params:
            out.append((pattern.name, reverse(f"clients:{pattern.name}")))
            continue
        pk = group.pk if pattern.name.startswith("group") else (link.child_id if "link_pk" in params else core.pk)
        kwargs = {name: (pk if name == "pk" else args[name]) for name in params}
        out.append((pattern.name, reverse(f"clients:{pattern.name}", kwargs=kwargs)))
    return out


def test_every_clients_page_sends_anonymous_users_to_login(client, bank):
    for name, url in _urls(bank):
        for method in (client.get, client.post):
            r = method(url)
            assert r.status_code == 302 and r["Location"].startswith(reverse("login")), (name, method)


@pytest.mark.parametrize("persona", ["rm_zy1", "rm_gy2", "outsider"])
def test_every_object_page_is_closed_to_staff_who_do_not_cover_it(bank, client_as, persona):
    c = client_as(getattr(bank, persona))
    secret = bank.group_gy.core_enterprise.uscc
    for name, url in _urls(bank):
        if name in ("group_list", "enterprise_list"):
            r = c.get(url)
            assert r.status_code == 200 and secret not in r.content.decode(), name
            continue
        if name in ("group_create", "enterprise_create"):
            continue
        for method in (c.get, c.post):
            r = method(url)
            # 405: a read-only page refuses POST before looking anything up.
            assert r.status_code in (403, 404, 405), (persona, name, r.status_code)
            assert secret not in r.content.decode()
