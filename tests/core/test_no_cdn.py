"""Nothing the app serves loads from the internet: no external script, style or font addresses."""

import re
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["'](https?:)?//""", re.I)


def test_no_template_references_an_external_asset():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "templates").rglob("*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EXTERNAL.search(line)
    ]
    assert offenders == []


def test_api_docs_page_loads_swagger_from_our_own_static_files(client, bank):
    client.force_login(bank.hq)  # the API documentation is head office's (core.api_docs)
    html = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the docs page must not use a CDN"
