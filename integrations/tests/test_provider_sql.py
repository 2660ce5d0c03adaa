"""The SQL provider against the machine's real PostgreSQL and MariaDB."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pymysql
import pytest

from integrations.providers import FetchError, sql

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# Unique per run: test runs of other checkouts may share these database servers.
DATABASE = f"okr_g_sql_source_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def postgres_source() -> Iterator[dict]:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DATABASE}", autocommit=True) as db:
        db.execute("CREATE TABLE sales (day date, amount numeric)")
        db.execute(
            "INSERT INTO sales SELECT d::date, extract(day from d) * 10 "
            "FROM generate_series('2026-03-01'::date, '2026-03-05'::date, '1 day') d"
        )
    yield {
        "engine": "postgresql",
        "host": "127.0.0.1",
        "port": 5432,
        "database": DATABASE,
        "user": "postgres",
        "tls": "disable",
    }
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


@pytest.fixture(scope="module")
def mariadb_source() -> Iterator[dict]:
    connection = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
        cursor.execute(f"CREATE TABLE {DATABASE}.sales (day date, amount decimal(10,2))")
        cursor.execute(
            f"INSERT INTO {DATABASE}.sales VALUES ('2026-03-01', 10), ('2026-03-02', 20.5)"  # noqa: S608
        )
    yield {
        "engine": "mysql",
        "host": "127.0.0.1",
        "port": 3306,
        "database": DATABASE,
        "user": "root",
        "tls": "disable",
    }
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    connection.close()


def _fetch(settings: dict, query: str, password: str = "") -> list:
    return sql.fetch(
        settings=settings, credentials={"password": password}, extraction={"query": query}, now=NOW
    )


@pytest.fixture(params=["postgres_source", "mariadb_source"])
def source(request: pytest.FixtureRequest) -> dict:
    return request.getfixturevalue(request.param)


def test_one_number(source: dict) -> None:
    assert _fetch(source, "SELECT sum(amount) FROM sales")[0].value > 0


def test_series_of_rows(source: dict) -> None:
    points = _fetch(source, "SELECT day, amount FROM sales ORDER BY day")
    assert points[0].timestamp == datetime(2026, 3, 1, tzinfo=UTC)
    assert points[1].value in (Decimal(20), Decimal("20.5"))


def test_writes_are_refused_by_the_read_only_transaction(source: dict) -> None:
    # The form refuses this; the transaction refuses it even if the form were bypassed.
    with pytest.raises(FetchError):
        _fetch(source, "DELETE FROM sales")
    assert len(_fetch(source, "SELECT day, amount FROM sales")) >= 2


def test_a_syntax_error_is_readable(source: dict) -> None:
    with pytest.raises(FetchError) as caught:
        _fetch(source, "SELECT FROM WHERE")
    assert not caught.value.transient


def test_postgres_statement_timeout(postgres_source: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "STATEMENT_TIMEOUT_SECONDS", 1)
    with pytest.raises(FetchError, match="longer than 1 s"):
        _fetch(postgres_source, "SELECT pg_sleep(3)")


def test_mariadb_statement_timeout(mariadb_source: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "STATEMENT_TIMEOUT_SECONDS", 1)
    with pytest.raises(FetchError, match="longer than 1 s"):
        _fetch(mariadb_source, "SELECT SLEEP(3) FROM sales")


def test_row_cap(postgres_source: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "ROW_CAP", 3)
    with pytest.raises(FetchError, match="more than 3 rows"):
        _fetch(postgres_source, "SELECT day, amount FROM sales")


def test_wrong_password_on_mariadb_is_not_transient(mariadb_source: dict) -> None:
    with pytest.raises(FetchError, match="user name or password") as caught:
        _fetch({**mariadb_source, "user": "nobody_here"}, "SELECT 1", password="wrong")
    assert not caught.value.transient


def test_wrong_user_on_postgres(postgres_source: dict) -> None:
    with pytest.raises(FetchError) as caught:
        _fetch({**postgres_source, "user": "nobody_here"}, "SELECT 1", password="wrong")
    assert not caught.value.transient
    assert "127.0.0.1" not in caught.value.message


def test_sql_hosts_go_through_the_address_check(settings, postgres_source: dict) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(FetchError, match="private"):
        _fetch(postgres_source, "SELECT 1")
    with pytest.raises(FetchError, match="private"):
        _fetch({**postgres_source, "host": "localhost"}, "SELECT 1")


def test_form_refuses_urls_and_writes() -> None:
    form = sql.SettingsForm(
        data={
            "engine": "postgresql",
            "host": "postgres://u:p@h/db",
            "database": "d",
            "user": "u",
            "tls": "verify",
        }
    )
    assert "host" in form.errors
    for query in ("DELETE FROM t", "SELECT 1; DROP TABLE t"):
        assert "query" in sql.ExtractionForm(data={"query": query}).errors
    ok = sql.SettingsForm(
        data={
            "engine": "mysql",
            "host": "db.example.com",
            "database": "d",
            "user": "u",
            "tls": "verify",
        }
    )
    assert ok.is_valid()
    assert ok.cleaned_data["port"] == 3306


@pytest.mark.parametrize("tls", ["verify", "require"])
def test_required_tls_never_falls_back_to_plaintext(source: dict, tls: str) -> None:
    """The local servers speak no TLS: asking for it must fail, not connect in the clear."""
    with pytest.raises(FetchError, match="TLS") as caught:
        _fetch({**source, "tls": tls}, "SELECT 1")
    assert not caught.value.transient


def test_postgres_never_uses_the_workers_own_password(
    postgres_source: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no password given, libpq would fall back to PGPASSWORD; we pass our own."""
    import psycopg as real_psycopg

    seen: dict = {}
    real_connect = real_psycopg.connect

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_connect(*args, **kwargs)

    monkeypatch.setenv("PGPASSWORD", "workers-own-secret")
    monkeypatch.setattr(real_psycopg, "connect", spy)
    _fetch(postgres_source, "SELECT 1")
    assert seen["password"] == "-"
    assert seen["passfile"] == os.devnull
