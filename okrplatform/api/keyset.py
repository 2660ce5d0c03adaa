"""Keyset cursor pages: a page resumes after its boundary row's values of the ordering fields,
``id`` last, so every row is walked once in both directions, whatever the ties.

DRF's ``CursorPagination`` keeps only the first ordering field as its position, plus an offset
into the run of rows that share it. Inside long runs of ties (``?ordering=health``: four values
for all KPIs) its ``previous`` links could shift, and past its offset cutoff (1,000) the walk
broke. Here the position is the whole sort key, ``id`` included (``OrderingFilter`` appends it),
and the next page is "the rows after this key": exact, and as cheap deep in the list as on its
first page.

NULLs sort as the largest value (last ascending, first descending): PostgreSQL's default, made
explicit so SQLite sorts them the same way. The position is written as SQL (hand-written fast
paths) or as a ``Q`` (the ORM), from the same rules.

A cursor is base64 of a small JSON document naming its ordering. A cursor of DRF's earlier
format, a damaged one, or one sent with another ``?ordering=`` answers a 400 problem that says
to start from the first page: never a server error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from .pagination import CursorPage

CURSOR_VERSION = 1
STALE_CURSOR = (
    "This cursor is not valid (damaged, from an earlier version of the API, or made for "
    "another ordering); start again from the first page, without a cursor."
)


@dataclass(frozen=True)
class SortKey:
    field: str
    column: str
    descending: bool
    nullable: bool
    kind: type  # what the position holds: int, str or datetime

    def flipped(self) -> SortKey:
        return SortKey(self.field, self.column, not self.descending, self.nullable, self.kind)

    @property
    def term(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def sort_keys(model: type[models.Model], ordering: Sequence[str]) -> tuple[SortKey, ...]:
    """The ordering (``["-health", "id"]``, already validated by ``OrderingFilter``) as sort keys
    of ``model``'s own columns."""
    keys = []
    for term in ordering:
        name = term.lstrip("-")
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        if not isinstance(field, models.Field) or field.is_relation or field.column is None:
            raise ImproperlyConfigured(f"Keyset pages sort on own columns only, not {name!r}.")
        if isinstance(field, models.DateTimeField):
            kind: type = datetime
        elif isinstance(field, models.IntegerField | models.AutoField):
            kind = int
        else:
            kind = str
        keys.append(SortKey(field.name, field.column, term.startswith("-"), field.null, kind))
    return tuple(keys)


@dataclass(frozen=True)
class Cursor:
    position: tuple[Any, ...]  # the boundary row's values of the sort keys
    reverse: bool  # the page before the position (a ``previous`` link), not after it


def _encodable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def cursor_encode(keys: Sequence[SortKey], cursor: Cursor) -> str:
    document = {
        "v": CURSOR_VERSION,
        "o": ",".join(key.term for key in keys),
        "p": [_encodable(value) for value in cursor.position],
        "r": int(cursor.reverse),
    }
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _position_value(key: SortKey, value: Any) -> Any:
    if value is None and key.nullable:
        return None
    if key.kind is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed
    if key.kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if key.kind is str and isinstance(value, str):
        return value
    raise ValueError("not a value of this key")


def _is_cursor_of(document: Any, keys: Sequence[SortKey]) -> bool:
    return (
        isinstance(document, dict)
        and document.get("v") == CURSOR_VERSION
        and document.get("o") == ",".join(key.term for key in keys)
        and document.get("r") in (0, 1)
        and isinstance(document.get("p"), list)
        and len(document["p"]) == len(keys)
    )


def cursor_decode(keys: Sequence[SortKey], encoded: str) -> Cursor:
    """The cursor of a ``?cursor=``, checked against the request's ordering; 400 if it is not
    one of ours for this ordering."""
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if _is_cursor_of(document, keys):
            position = tuple(
                _position_value(key, value) for key, value in zip(keys, document["p"], strict=True)
            )
            return Cursor(position=position, reverse=bool(document["r"]))
    except (ValueError, UnicodeError, binascii.Error):  # JSONDecodeError is a ValueError
        pass
    raise ParseError(STALE_CURSOR)


# --- The position as a filter -------------------------------------------------------------------


def _after_q(key: SortKey, value: Any) -> Q | None:
    """Rows after ``value`` in this key's direction (NULLs largest); None when none can be."""
    if key.descending:
        if value is None:
            return Q(**{f"{key.field}__isnull": False})
        return Q(**{f"{key.field}__lt": value})
    if value is None:
        return None
    after = Q(**{f"{key.field}__gt": value})
    return after | Q(**{f"{key.field}__isnull": True}) if key.nullable else after


def _equal_q(key: SortKey, value: Any) -> Q:
    if value is None:
        return Q(**{f"{key.field}__isnull": True})
    return Q(**{key.field: value})


def position_q(keys: Sequence[SortKey], position: Sequence[Any]) -> Q:
    """The rows that sort after ``position`` under ``keys``."""
    alternatives = Q(pk__in=[])
    for index, key in enumerate(keys):
        after = _after_q(key, position[index])
        if after is None:
            continue
        for earlier, value in zip(keys[:index], position[:index], strict=True):
            after &= _equal_q(earlier, value)
        alternatives |= after
    return alternatives


def _after_sql(key: SortKey, column: str, params: list[Any], value: Any) -> str | None:
    if key.descending:
        if value is None:
            return f"{column} IS NOT NULL"
        params.append(value)
        return f"{column} < %s"
    if value is None:
        return None
    params.append(value)
    return f"({column} > %s OR {column} IS NULL)" if key.nullable else f"{column} > %s"


def position_sql(
    keys: Sequence[SortKey], position: Sequence[Any], table: str
) -> tuple[str, list[Any]]:
    """``position_q`` as SQL over ``table``'s columns (our own names; values as parameters)."""
    params: list[Any] = []
    alternatives = []
    for index, key in enumerate(keys):
        after_params: list[Any] = []
        after = _after_sql(key, f"{table}.{key.column}", after_params, position[index])
        if after is None:
            continue
        terms = []
        for earlier, value in zip(keys[:index], position[:index], strict=True):
            column = f"{table}.{earlier.column}"
            if value is None:
                terms.append(f"{column} IS NULL")
            else:
                terms.append(f"{column} = %s")
                params.append(value)
        params += after_params
        alternatives.append(" AND ".join([*terms, after]))
    return "(" + (" OR ".join(alternatives) or "FALSE") + ")", params


def order_by_expressions(keys: Sequence[SortKey]) -> list[OrderBy]:
    return [
        F(key.field).desc(nulls_first=True) if key.descending else F(key.field).asc(nulls_last=True)
        for key in keys
    ]


def order_by_sql(keys: Sequence[SortKey], table: str) -> str:
    return ", ".join(
        f"{table}.{key.column} " + ("DESC NULLS FIRST" if key.descending else "ASC NULLS LAST")
        for key in keys
    )


# --- The paginator ------------------------------------------------------------------------------


class KeysetPage(CursorPage):
    """``CursorPage``'s parameters, page sizes and response shape (so the schema is unchanged),
    with a keyset position. The view reads the page itself (``page_query`` for the ORM, or its
    own SQL from ``walk_keys``, ``at`` and ``fetch_size``) and hands the rows back to
    ``paginate_rows``."""

    keys: tuple[SortKey, ...]
    at: Cursor | None  # where the request's cursor stands; None on the first page
    size: int
    page_url: str
    next_at: tuple[Any, ...] | None
    previous_at: tuple[Any, ...] | None

    def start(self, request: Request, model: type[models.Model], ordering: Sequence[str]) -> None:
        self.request = request
        self.size = self.get_page_size(request) or CursorPage.page_size
        self.page_url = request.build_absolute_uri()
        self.keys = sort_keys(model, ordering)
        encoded = request.query_params.get(self.cursor_query_param)
        self.at = None if encoded is None else cursor_decode(self.keys, encoded)

    @property
    def fetch_size(self) -> int:
        """One more row than the page: whether it comes says whether there is a next page."""
        return self.size + 1

    @property
    def walk_keys(self) -> tuple[SortKey, ...]:
        """The keys in the order rows are read: flipped for a ``previous`` page."""
        if self.at is not None and self.at.reverse:
            return tuple(key.flipped() for key in self.keys)
        return self.keys

    def page_query(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The ORM's rows from the position on, in ``walk_keys`` order: the caller reads the
        first ``fetch_size``."""
        keys = self.walk_keys
        if self.at is not None:
            queryset = queryset.filter(position_q(keys, self.at.position))
        return queryset.order_by(*order_by_expressions(keys))

    def paginate_rows(self, rows: list[Any], positions: list[tuple[Any, ...]]) -> list[Any]:
        """The page's rows in list order, given the rows read (``fetch_size`` at most, in
        ``walk_keys`` order) and each row's position; sets the links."""
        more = len(rows) > self.size
        rows, positions = rows[: self.size], positions[: self.size]
        reverse = self.at is not None and self.at.reverse
        if reverse:
            rows.reverse()
            positions.reverse()
        here = None if self.at is None else self.at.position
        first = positions[0] if positions else here
        last = positions[-1] if positions else here
        if reverse:
            self.previous_at = first if more else None
            self.next_at = last
        else:
            self.previous_at = None if self.at is None else first
            self.next_at = last if more else None
        return rows

    def _link(self, position: tuple[Any, ...] | None, *, reverse: bool) -> str | None:
        if position is None:
            return None
        encoded = cursor_encode(self.keys, Cursor(position=position, reverse=reverse))
        return replace_query_param(self.page_url, self.cursor_query_param, encoded)

    def get_next_link(self) -> str | None:
        return self._link(self.next_at, reverse=False)

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_at, reverse=True)
