"""Cursor pagination on every list: stable under concurrent inserts, and O(page) deep in a
long history (no OFFSET scans)."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # Views override this with a unique (or unique-ending) ordering of their own.
    ordering = "-pk"
