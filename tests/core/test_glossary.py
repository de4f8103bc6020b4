"""The Chinese catalogue keeps the glossary (docs/GLOSSARY.md): the rules marked "checked" there, on
every entry, so a new page that drifts fails here rather than in front of a banker."""

import re
from pathlib import Path

import polib
import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = "\u4e00-\u9fff"


def _entries():
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete:
            continue
        texts = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in texts:
            yield entry, text


ENTRIES = list(_entries())


def _offending(pattern: str, *, allowed: str | None = None):
    found = []
    for entry, text in ENTRIES:
        checked = re.sub(allowed, "", text) if allowed else text
        if re.search(pattern, checked):
            found.append(f"{entry.msgid!r} => {text!r}")
    return found


@pytest.mark.parametrize(
    ("rule", "pattern", "allowed"),
    [
        ("层级 is ambiguous: 客户分层 (group tier), 链上位置 (chain tier), 控制层级 (depth), 机构级别 (branch level)",
         "层级", "控制层级"),
        ("上级 / 下级: 股东（及实际控制人） / 对外投资、被投资企业 (上级机构 for the branch tree)",
         "上级|下级", "上级机构|下级机构"),
        ("客户互动: 走访记录", "客户互动", None),
        ("360: 客户全景", "360", None),
        ("环比趋势: 较上期变动; 开票至付款天数: 平均账期（天）", "环比趋势|开票至付款天数", None),
        ("half-width parenthesis or colon next to Chinese: （） and ：",
         rf"[{CJK}][(:]|\)[{CJK}]|[{CJK}]\s+\(|\(\s*[{CJK}]", None),
        ("人民币元 in a label: the unit comes from the money library (万元 / 亿元)", r"（人民币元）", None),
    ],
)
def test_the_catalogue_keeps_the_glossary(rule, pattern, allowed):
    assert _offending(pattern, allowed=allowed) == [], rule


@pytest.mark.parametrize(
    ("msgid", "msgstr"),
    [("Circle", "生态圈"), ("Circles", "生态圈"), ("Chain", "产业链"), ("Chains", "产业链"), ("Tier", "客户分层")],
)
def test_the_navigation_words_are_the_glossary_words(msgid, msgstr):
    entries = {entry.msgid: entry.msgstr for entry, _text in ENTRIES if not entry.msgctxt}
    if msgid in entries:
        assert entries[msgid] == msgstr
