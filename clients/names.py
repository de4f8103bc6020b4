"""Short names for chart labels: the legal form (有限公司, Co., Ltd. ...) carries no information in a
chart where every node is a company, and cutting it leaves room for the part that tells companies
apart. Charts show the short name on the label and the full name in the tooltip and the text
alternative."""

from __future__ import annotations

import re

_LEGAL_FORMS = re.compile(
    r"(?:(?:股份)?有限(?:责任)?公司|股份公司|(?<=集团)公司|"
    r",?\s*(?:co\.?,?\s*)?(?:ltd\.?|limited|inc\.?|incorporated|llc|l\.l\.c\.|corp\.?|corporation|plc|gmbh|s\.a\.))$",
    re.IGNORECASE,
)


def short_name(name: str) -> str:
    """`贵州诚宇食品有限公司` -> `贵州诚宇食品`; `Acme Widgets Co., Ltd.` -> `Acme Widgets`. A name that
    is only a legal form (or would become empty) stays whole."""
    text = (name or "").strip()
    short = _LEGAL_FORMS.sub("", text).rstrip(" ,")
    return short or text
