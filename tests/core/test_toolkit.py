"""The shared toolkit (core/): one htmx rule, one role rule, one mapping of service errors to the
inputs people typed, the same for every app."""

from django.urls import reverse

from circles.models import CircleMember

API = "/api/v1"


def test_every_page_varies_on_hx_request_so_back_never_shows_a_bare_fragment(bank, client_as):
    c = client_as(bank.rm_gy1)
    for url in (reverse("clients:group_list"), reverse("circles:group_circle", args=[bank.group_gy.pk])):
        assert "HX-Request" in c.get(url)["Vary"]
        assert "HX-Request" in c.get(url, HTTP_HX_REQUEST="true")["Vary"]


def test_a_boosted_request_gets_the_whole_page_and_a_plain_htmx_request_the_fragment(bank, client_as):
    c = client_as(bank.rm_gy1)
    for url in (reverse("clients:group_list"), reverse("circles:group_circle", args=[bank.group_gy.pk]),
                reverse("chains:group_chain", args=[bank.group_gy.pk])):
        fragment = c.get(url, HTTP_HX_REQUEST="true").content.decode()
        boosted = c.get(url, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true").content.decode()
        assert "<html" not in fragment and "<html" in boosted, url


def test_service_errors_name_the_field_the_api_caller_sent(bank, api_as):
    """The service says `enterprise`; the circles API's input is `enterprise_uscc` (and so on)."""
    core = bank.group_gy.core_enterprise
    api = api_as(bank.rm_gy1)
    r = api.post(f"{API}/circle-members/", {"group": bank.group_gy.pk, "enterprise_uscc": core.uscc,
                                           "role": "supplier"}, format="json")
    assert r.status_code == 400 and r.json() == {
        "enterprise_uscc": ["The core enterprise is the centre of the circle, not a member of it."]}
    assert not CircleMember.objects.filter(group=bank.group_gy, enterprise=core).exists()
    r = api.post(f"{API}/guarantees/", {"guarantor_uscc": core.uscc, "borrower_uscc": core.uscc, "amount": "1",
                                       "start_date": "2026-01-01", "end_date": "2026-02-01"}, format="json")
    assert r.status_code == 400 and r.json() == {"borrower_uscc": ["An enterprise cannot guarantee itself."]}


def test_a_read_only_role_gets_403_before_its_payload_is_validated_on_every_app(bank, api_as):
    api = api_as(bank.risk_gy)
    for endpoint in ("enterprises", "group-clients", "control-links", "persons", "interactions", "circle-members",
                     "guarantees", "chain-links", "change-requests"):
        r = api.post(f"{API}/{endpoint}/", {"nonsense": True}, format="json")
        assert r.status_code == 403, endpoint
