"""Simplified Chinese formats as Chinese banks print amounts: Django's zh_Hans formats, except that
amounts are grouped by thousands with a comma (34,644,246.80), as in statements and credit reports."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
