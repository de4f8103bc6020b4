"""The UI is complete in Simplified Chinese and English.

English msgids are the source; the Simplified Chinese catalogue must translate every one of them.
The test extracts the messages from the current code (makemessages in a scratch copy of the tree)
so a new untranslated string fails it, not only a stale catalogue.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    if not shutil.which("xgettext"):
        pytest.fail("gettext is not installed: apt-get install -y gettext (scripts/test does it)")
    scratch = tmp_path_factory.mktemp("i18n") / "tree"
    shutil.copytree(ROOT, scratch, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "staticfiles", "test-results", "__pycache__", "tests", "bench"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=scratch, check=True, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    return polib.pofile(str(scratch / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_every_message_in_the_code_has_a_chinese_translation(extracted):
    missing = [e.msgid for e in extracted.untranslated_entries()]
    fuzzy = [e.msgid for e in extracted.fuzzy_entries()]
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:15]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:15]}"


def test_the_compiled_catalogue_is_up_to_date():
    mo = CATALOGUE.with_suffix(".mo")
    assert mo.exists()
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo))}
    source = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(CATALOGUE))
              if e.translated() and not e.msgid_plural}
    stale = [k for k, v in source.items() if compiled.get(k) != v]
    assert stale == [], f"run compilemessages: {stale[:10]}"


def test_pages_speak_the_chosen_language(client, bank):
    client.force_login(bank.rm_gy1)
    zh = client.get(reverse("clients:group_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "集团客户" in zh and "Group clients" not in zh
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    en = client.get(reverse("clients:group_list")).content.decode()
    assert "Group clients" in en and "集团客户" not in en.replace(bank.group_gy.name, "")


def test_chinese_pages_group_amounts_by_thousands_and_keep_iso_dates_in_date_inputs(client, bank):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("zh-hans"):
        assert Template('{{ v|floatformat:"2g" }}').render(Context({"v": 34644246.8})) == "34,644,246.80"
    client.force_login(bank.rm_gy1)
    html = client.get(reverse("chains:group_chain", kwargs={"group_pk": bank.group_gy.pk}),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    import re

    values = re.findall(r'type="date"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*type="date"', html)
    assert values, "the period form shows its dates"
    for pair in values:
        value = pair[0] or pair[1]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), value
