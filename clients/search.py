"""Search for groups and enterprises by name, pinyin and credit code: the one module every search asks
(the header box and its results page, the `q` filters of the group and enterprise lists, the API's `?q=`).

What a query matches. The text is split on spaces; every word must match, each in one of three ways:

- **name**: the word appears in the name (case ignored), e.g. `茅台`, `建材`, `TCL`;
- **pinyin**: a word of Latin letters appears in the name's pinyin initials or full pinyin
  (`gzmt`, `maotai`, `guizhou`); a word of one or two letters matches the start of the initials (`gz`);
- **credit code**: a word of 4 to 18 code characters with at least one digit appears in the unified
  social credit code (`91520000`, `2000MA`).

A group also matches through its core enterprise. Search never widens reach: it filters
`GroupClient.objects.for_user` and `Enterprise.objects.for_user` (clients.access: the groups in reach
and the full record) and nothing else. Counterparties stay on the circle and chain pages that list them;
registry cards are found only by an exact code on the look-up page, never here.

At scale (PostgreSQL). pg_trgm cannot index a two-character word (no trigram), and two characters is
the usual Chinese query. So enterprise names are also indexed by their characters and character pairs:
`crm_search_grams(name)` (migration 0005) is an immutable SQL function, and a GIN index on that
expression serves `crm_search_grams(name) @> crm_query_grams(word)`, which for a word of one or two
characters is exactly `name ILIKE %word%`; longer words use pg_trgm's index on UPPER(name) (migration
0002). Being an expression index, it is right after every write path (forms, services, bulk writes,
COPY, raw SQL, even with triggers switched off) with nothing to maintain. The function costs about
50 us a call, so nothing evaluates it row by row: groups (few) are tested per row with plain LIKEs.

Pinyin needs a dictionary and phrase rules (重庆 is chongqing, 银行 yinhang), so Python computes it
(pypinyin) into `search_pinyin`: "initials full-pinyin fingerprint", e.g. `gzmt guizhoumaotai 1234567`.
The app keeps it on every path it writes names by: `save()` (a pre_save receiver below), the
enterprise importer and the demo writer (`pinyin_key`). A trigger keeps it honest on every other path:
the fingerprint is a hash of the name the key was computed from, and on INSERT or UPDATE a key whose
fingerprint does not match the name (a rename by raw SQL, a COPY from another tool) is set to NULL;
`fill_pinyin()` (`manage.py search_reindex`) fills the NULLs. Pinyin words use a trigram index (three
letters or more) or a prefix index (one or two), credit codes a trigram index.

Elsewhere (SQLite, the no-server demo) the same words match with plain `LIKE`s.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext_lazy as _

from core.text import text_problem

MAX_QUERY_LENGTH = 100
MAX_WORDS = 6

TOO_LONG = _("Search for at most %(limit)d characters.")
TOO_MANY_WORDS = _("Search for at most %(limit)d words.")

_LETTERS = re.compile(r"[a-z]+")
_CODE = re.compile(r"[0-9A-Z]{4,18}")
_KEY_CHARS = re.compile(r"[^a-z0-9]+")
_RAW = "\x01"  # marks text pypinyin passes through unconverted (Latin letters, digits, punctuation)


# --- the pinyin key ------------------------------------------------------------------------------------


def name_fingerprint(name: str) -> str:
    """A short hash of the name a key was computed from; the trigger computes the same in SQL
    (`('x' || substr(md5(name), 1, 7))::bit(28)::int`)."""
    return str(int(hashlib.md5(name.encode("utf-8")).hexdigest()[:7], 16))


def _plain(text: str) -> str:
    return _KEY_CHARS.sub("", unicodedata.normalize("NFKC", text).lower())


def pinyin_key(name: str) -> str:
    """`search_pinyin` for a name: initials, full pinyin, fingerprint. Latin letters and digits in the
    name count as their own initials (`TCL科技` -> `tclkj tclkeji ...`)."""
    from pypinyin import lazy_pinyin

    initials, full = [], []
    for item in lazy_pinyin(name or "", errors=lambda chars: _RAW + chars):
        if item.startswith(_RAW):
            plain = _plain(item)
            initials.append(plain)
            full.append(plain)
        else:
            plain = _plain(item)
            initials.append(plain[:1])
            full.append(plain)
    return f"{''.join(initials)} {''.join(full)} {name_fingerprint(name or '')}"


def _fill_on_save(sender, instance, update_fields=None, **kwargs):
    """Every save() of a named model computes its key (a fresh one on rename)."""
    if update_fields is None or "name" in update_fields:
        instance.search_pinyin = pinyin_key(instance.name)


def _store_after_partial_save(sender, instance, update_fields=None, **kwargs):
    """save(update_fields=[... "name" ...]) without the key: store the key too (the trigger would
    otherwise set it to NULL, the name having changed)."""
    if update_fields is not None and "name" in update_fields and "search_pinyin" not in update_fields:
        sender.objects.filter(pk=instance.pk).update(search_pinyin=instance.search_pinyin)


def connect_signals() -> None:
    """Called from ClientsConfig.ready()."""
    from clients.models import Enterprise, GroupClient

    for model in (Enterprise, GroupClient):
        pre_save.connect(_fill_on_save, sender=model, dispatch_uid=f"search_pinyin_{model.__name__}")
        post_save.connect(_store_after_partial_save, sender=model, dispatch_uid=f"search_pinyin_{model.__name__}")


def fill_pinyin(model, *, batch: int = 5000, only_missing: bool = True) -> int:
    """Compute `search_pinyin` for the rows that lack it (or all rows): the backfill after the migration,
    and after writes by tools outside the app. Keyset batches, one UPDATE each; returns the count."""
    done, last = 0, 0
    while True:
        rows = model.objects.filter(pk__gt=last).order_by("pk")
        if only_missing:
            rows = rows.filter(search_pinyin__isnull=True)
        chunk = list(rows.values_list("pk", "name")[:batch])
        if not chunk:
            return done
        keys = [(pk, pinyin_key(name)) for pk, name in chunk]
        _write_keys(model, keys)
        done += len(keys)
        last = chunk[-1][0]


def _write_keys(model, keys: list[tuple[int, str]]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS t SET search_pinyin = v.key FROM unnest(%s::bigint[], %s::text[]) AS v(id, key) "
                "WHERE t.id = v.id",
                [[pk for pk, _k in keys], [k for _pk, k in keys]],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET search_pinyin = %s WHERE id = %s", [(k, pk) for pk, k in keys])


# --- the query -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str  # as typed (NFKC): the name test
    letters: str  # lower-case Latin letters only, else "": the pinyin test
    code: str  # upper-case code characters with a digit, 4 to 18 of them, else "": the credit-code test


def parse(q) -> list[Word]:
    """The words of a query; [] for an empty one. ValidationError for text no search takes (too long,
    too many words, NUL or a lone surrogate), with a message to show."""
    from clients.validators import normalize_uscc

    q = "" if q is None else str(q)
    problem = text_problem(q)
    if problem:
        raise ValidationError(problem, code="bad_text")
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationError(TOO_LONG, code="too_long", params={"limit": MAX_QUERY_LENGTH})
    words = unicodedata.normalize("NFKC", q).split()
    if len(words) > MAX_WORDS:
        raise ValidationError(TOO_MANY_WORDS, code="too_many_words", params={"limit": MAX_WORDS})
    out = []
    for text in dict.fromkeys(words):
        letters = text.lower() if _LETTERS.fullmatch(text.lower()) else ""
        code = normalize_uscc(text)
        code = code if _CODE.fullmatch(code) and any(c.isdigit() for c in code) else ""
        out.append(Word(text, letters, code))
    return out


class _NameHasGrams(Func):
    """`crm_search_grams(name) @> crm_query_grams(word)`: the expression the GIN index of migration 0005
    serves (PostgreSQL only)."""

    template = "(crm_search_grams(%(expressions)s))"
    arg_joiner = ") @> crm_query_grams("
    output_field = BooleanField()

    def __init__(self, field: str, word: str):
        super().__init__(F(field), Value(word))


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _name_q(word: Word, prefix: str = "") -> Q:
    """The name test. On PostgreSQL a word of one or two characters is one of the name's indexed
    characters or pairs (exactly the same test as `name ILIKE %word%`, served by the grams index);
    a longer word is `ILIKE`, which pg_trgm's index on UPPER(name) serves (migration 0002)."""
    if _postgres() and len(word.text) <= 2:
        return Q(_NameHasGrams(f"{prefix}name", word.text))
    return Q(**{f"{prefix}name__icontains": word.text})


def _pinyin_q(word: Word, field: str = "search_pinyin") -> Q:
    """The pinyin test of a word of letters (callers check `word.letters`)."""
    if len(word.letters) <= 2:
        return Q(**{f"{field}__startswith": word.letters})
    return Q(**{f"{field}__contains": word.letters})


def _enterprise_q(word: Word) -> Q:
    """The condition on Enterprise rows for one word: an OR of indexed tests, cheapest first (a row a
    trigram index only suggests is rechecked against the whole OR, which stops at the first true)."""
    condition = Q()
    if word.code:
        condition |= Q(uscc__contains=word.code)
    if word.letters:
        condition |= _pinyin_q(word)
    return condition | _name_q(word)


def filter_enterprises(queryset: QuerySet, q, *, prefix: str = "") -> QuerySet:
    """Rows of `queryset` whose enterprise (reached by `prefix`, "" for Enterprise itself, "enterprise__"
    ...) matches every word of `q`. A query search refuses matches nothing; an empty one filters nothing."""
    try:
        words = parse(q)
    except ValidationError:
        return queryset.none()
    from clients.models import Enterprise

    for word in words:
        if prefix:
            queryset = queryset.filter(**{f"{prefix}pk__in": Enterprise.objects.order_by().filter(
                _enterprise_q(word)).values("pk")})
        else:
            queryset = queryset.filter(_enterprise_q(word))
    return queryset


def filter_groups(queryset: QuerySet, q) -> QuerySet:
    """Groups of `queryset` that match every word of `q`: by their own name or pinyin (a LIKE per group
    row: groups are few), or by their core enterprise's name, pinyin or credit code."""
    from clients.models import Enterprise

    try:
        words = parse(q)
    except ValidationError:
        return queryset.none()
    core = Enterprise.objects.filter(pk=OuterRef("core_enterprise_id")).order_by()
    for i, word in enumerate(words):
        own = Q(name__icontains=word.text)
        if word.letters:
            own = _pinyin_q(word) | own
        if word.letters or word.code:
            # Pinyin and code words are selective and indexed: the matching cores come from the
            # enterprise indexes once (PostgreSQL hashes the EXISTS), whatever the number of groups.
            queryset = queryset.filter(own | Q(Exists(core.filter(_enterprise_q(word)))))
        else:
            # A word of the name: every group in reach reads its core's name by key and tests it with a
            # LIKE (a join, or an index read of the 13,000 enterprises `汽车` matches, costs more).
            name = f"_core_name_{i}"
            queryset = queryset.alias(**{name: Subquery(core.values("name")[:1])})
            queryset = queryset.filter(own | Q(**{f"{name}__icontains": word.text}))
    return queryset


def best_first(queryset: QuerySet, q) -> QuerySet:
    """Hits in a useful order: names that start with the first word, then shorter names, then by name."""
    words = parse(q)
    if not words:
        return queryset.order_by("name", "pk")
    starts = Case(When(name__istartswith=words[0].text, then=Value(0)), default=Value(1),
                  output_field=IntegerField())
    return queryset.alias(_starts=starts, _length=Length("name")).order_by("_starts", "_length", "name", "pk")


def validate_query(value) -> None:
    """The `q` filters' validator: a query search refuses is a 400 on the API, a form error on pages."""
    parse(value)


# --- the header box and its results page --------------------------------------------------------------


@dataclass
class Results:
    query: str
    error: str = ""
    groups: list = field(default_factory=list)
    enterprises: list = field(default_factory=list)
    group_total: int | None = None
    enterprise_total: int | None = None

    @property
    def searched(self) -> bool:
        return bool(self.query.strip()) and not self.error

    @property
    def empty(self) -> bool:
        return not (self.groups or self.enterprises)


def find(user, q, *, limit: int, totals: bool) -> Results:
    """What the header box and /search/ show: the groups in the user's reach and the enterprises of
    their full record that match `q`, best first; `totals` adds how many of each match. Reach is
    clients.access's alone (`for_user`); counterparties stay on the circle and chain pages that show
    them (listing them by name is the per-row work `counterparty_enterprises` is not meant for), and
    registry cards are found by exact code on the lookup page only. A fixed number of queries."""
    from clients.models import Enterprise, GroupClient

    q = "" if q is None else str(q)
    try:
        words = parse(q)
    except ValidationError as exc:
        return Results(query=q, error=" ".join(exc.messages))
    results = Results(query=q)
    if not words:
        return results
    groups = filter_groups(GroupClient.objects.for_user(user), q)
    enterprises = filter_enterprises(Enterprise.objects.for_user(user), q)
    results.groups = list(best_first(groups, q).select_related("core_enterprise", "branch")[:limit])
    results.enterprises = list(best_first(enterprises, q).select_related("branch")[:limit])
    if totals:
        results.group_total = groups.count()
        results.enterprise_total = enterprises.count()
    return results
