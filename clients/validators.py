"""Validators for the identifiers a bank receives: credit codes, ID numbers, industry codes."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

# GB 32100-2015: the code alphabet is the digits and the upper-case letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Position 1 is the registering authority: 1-9 and A-G, N, Y as the standard lists them.
USCC_AUTHORITIES = "123456789ABCDEFGNY"


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "").replace("-", "")


def validate_uscc(value: str) -> None:
    """Refuse a unified social credit code that breaks GB 32100-2015, saying which rule it breaks."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="uscc_length",
            params={"n": len(code)},
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("The code contains characters not allowed in a credit code: %(chars)s (I, O, Z, S, V and "
              "punctuation are never used)."),
            code="uscc_alphabet",
            params={"chars": " ".join(bad)},
        )
    if code[0] not in USCC_AUTHORITIES:
        raise ValidationError(
            _("The first character (registering authority) %(c)s is not a valid authority code."),
            code="uscc_authority",
            params={"c": code[0]},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 must be the digits of an administrative region code."),
            code="uscc_region",
        )
    expected = stdnum_uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character is wrong (GB 32100-2015): the code ends in %(got)s but its first 17 "
              "characters require %(expected)s."),
            code="uscc_checksum",
            params={"got": code[17], "expected": expected},
        )


def make_uscc(first17: str) -> str:
    """Complete 17 characters into a valid code (used by demo data and tests)."""
    return first17 + stdnum_uscc.calc_check_digit(first17)


def validate_resident_id(value: str) -> None:
    """A PRC resident identity card number (GB 11643-1999), 18 characters with check digit."""
    try:
        stdnum_ric.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("Not a valid resident identity card number: %(reason)s"),
            code="ric_invalid",
            params={"reason": exc.message},
        ) from exc
    except LookupError as exc:
        # python-stdnum's region table has codes without a county entry (e.g. 110019): it answers
        # KeyError instead of its own error. Found by the long fuzzing run.
        raise ValidationError(
            _("Not a valid resident identity card number: %(reason)s"),
            code="ric_invalid",
            params={"reason": _("the first six digits are not a county of the administrative division code")},
        ) from exc


def mask_identity(value: str) -> str:
    """Keep the first 4 and last 4 characters of an identity number, mask the rest."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_INDUSTRY_RE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")


def validate_industry_code(value: str) -> None:
    """GB/T 4754-2017: a section letter A-T, optionally followed by a 2-4 digit division/group/class."""
    if value and not _INDUSTRY_RE.match(value):
        raise ValidationError(
            _("Industry must be a GB/T 4754 code: a section letter A-T, optionally followed by 2 to 4 "
              "digits (e.g. C36 for automobile manufacturing)."),
            code="industry_code",
        )
