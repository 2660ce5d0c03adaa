"""SQL databases (PostgreSQL, MySQL/MariaDB) from structured fields, never a connection string.

The host goes through the same address check as HTTP and the connection is made to the checked
address (libpq's ``hostaddr``; a socket we open ourselves for PyMySQL), while TLS still verifies
the real host name. The query runs in a read-only transaction with a statement timeout, and at
most ``ROW_CAP`` rows are read. Error messages are our own: driver messages can name internal
hosts and are not passed on.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import certifi
from django import forms

from integrations.outbound import AddressRefusedError, address_check

from .base import FetchError, Point, ProviderSpec, timestamp_parse, value_parse

ROW_CAP = 10_000
STATEMENT_TIMEOUT_SECONDS = 15
CONNECT_TIMEOUT_SECONDS = 10

ENGINES = [("postgresql", "PostgreSQL"), ("mysql", "MySQL / MariaDB")]
TLS_MODES = [
    ("verify", "Required, certificate and host name verified"),
    ("require", "Required, not verified"),
    ("disable", "Off (only on a private network)"),
]
READ_QUERY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class SettingsForm(forms.Form):
    engine = forms.ChoiceField(choices=ENGINES)
    host = forms.CharField(max_length=253)
    port = forms.IntegerField(min_value=1, max_value=65535, required=False)
    database = forms.CharField(max_length=120)
    user = forms.CharField(max_length=120)
    tls = forms.ChoiceField(choices=TLS_MODES, initial="verify", label="TLS")
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False)

    def clean_host(self) -> str:
        host: str = self.cleaned_data["host"].strip()
        if not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]+", host):
            raise forms.ValidationError("A host name or IP address only (no URL, no options).")
        return host.strip("[]")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("port") and data.get("engine"):
            data["port"] = 5432 if data["engine"] == "postgresql" else 3306
        return data


class ExtractionForm(forms.Form):
    query = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        help_text="A SELECT returning one number, or rows of (timestamp, value).",
    )

    def clean_query(self) -> str:
        query: str = self.cleaned_data["query"].strip().rstrip(";").strip()
        if not READ_QUERY.match(query):
            raise forms.ValidationError("Only a SELECT (or WITH … SELECT) query.")
        if ";" in query:
            raise forms.ValidationError("One statement only.")
        return query


def _points_from_rows(rows: Sequence[Sequence[Any]], now: datetime) -> list[Point]:
    if len(rows) > ROW_CAP:
        raise FetchError(f"The query returned more than {ROW_CAP} rows; aggregate or filter it.")
    if not rows:
        raise FetchError("The query returned no rows.")
    width = len(rows[0])
    if len(rows) == 1 and width == 1:
        return [Point(now, value_parse(rows[0][0]))]
    if width != 2:
        raise FetchError("Return one number, or two columns: (timestamp, value).")
    points = []
    for number, (raw_time, raw_value) in enumerate(rows, start=1):
        stamp: Any = raw_time
        if isinstance(raw_time, date) and not isinstance(raw_time, datetime):
            stamp = datetime.combine(raw_time, time.min).isoformat()
        elif isinstance(raw_time, datetime):
            stamp = raw_time.isoformat()
        points.append(
            Point(
                timestamp_parse(stamp, where=f"Row {number}’s timestamp"),
                value_parse(raw_value, where=f"Row {number}’s value"),
            )
        )
    return points


def _fetch_postgresql(
    settings: dict[str, Any], password: str, address: str, query: str
) -> list[Any]:
    import psycopg

    sslmode = {"verify": "verify-full", "require": "require", "disable": "disable"}[settings["tls"]]
    try:
        with psycopg.connect(
            host=settings["host"],
            hostaddr=address,
            port=settings["port"],
            dbname=settings["database"],
            user=settings["user"],
            # Never the worker's own PGPASSWORD or ~/.pgpass: libpq falls back to them when the
            # password is empty, which would lend our credentials to a tenant's connection.
            password=password or "-",
            passfile=os.devnull,
            sslmode=sslmode,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_SECONDS * 1000} "
            "-c default_transaction_read_only=on",
            application_name="okrplatform-integration",
            autocommit=False,
        ) as connection:
            connection.read_only = True
            with connection.cursor() as cursor:
                cursor.execute(query)  # the admin's own query, in a read-only transaction
                rows = cursor.fetchmany(ROW_CAP + 1)
            connection.rollback()
    except psycopg.errors.QueryCanceled:
        raise FetchError(f"The query ran longer than {STATEMENT_TIMEOUT_SECONDS} s.") from None
    except psycopg.errors.InsufficientPrivilege:
        raise FetchError("The database user may not read that.") from None
    except psycopg.errors.ReadOnlySqlTransaction:
        raise FetchError("Only read queries are allowed.") from None
    except psycopg.errors.SyntaxError:
        raise FetchError("The query has a syntax error.") from None
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        raise FetchError("The query names a table or column that does not exist.") from None
    except psycopg.OperationalError as error:
        raise _connection_error(str(error)) from None
    except psycopg.Error:
        raise FetchError("The database refused the query.") from None
    return list(rows)


def _fetch_mysql(settings: dict[str, Any], password: str, address: str, query: str) -> list[Any]:
    import pymysql

    ssl_options: dict[str, Any] | None = None
    if settings["tls"] == "verify":
        # PyMySQL turns host name checking off when no CA is named, so name the bundle.
        ssl_options = {
            "ca": certifi.where(),
            "check_hostname": True,
            "verify_mode": ssl.CERT_REQUIRED,
        }
    elif settings["tls"] == "require":
        ssl_options = {"check_hostname": False, "verify_mode": ssl.CERT_NONE}
    connection = pymysql.connect(
        host=settings["host"],  # the TLS server name; the socket below goes to `address`
        port=settings["port"],
        user=settings["user"],
        password=password,
        database=settings["database"],
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=STATEMENT_TIMEOUT_SECONDS + 5,
        write_timeout=STATEMENT_TIMEOUT_SECONDS + 5,
        ssl=ssl_options,
        local_infile=False,
        autocommit=False,
        defer_connect=True,
    )
    try:
        try:
            sock = socket.create_connection((address, settings["port"]), CONNECT_TIMEOUT_SECONDS)
            connection.connect(sock=sock)
        except (OSError, pymysql.err.OperationalError) as error:
            raise _connection_error(str(error)) from None
        with connection.cursor() as cursor:
            try:  # MariaDB counts seconds, MySQL milliseconds; each ignores the other's name
                cursor.execute(f"SET SESSION max_statement_time={STATEMENT_TIMEOUT_SECONDS}")
            except pymysql.err.MySQLError:
                cursor.execute(f"SET SESSION max_execution_time={STATEMENT_TIMEOUT_SECONDS * 1000}")
            cursor.execute("START TRANSACTION READ ONLY")
            try:
                cursor.execute(query)
            except pymysql.err.ProgrammingError:
                raise FetchError("The query has an error (syntax, table or column).") from None
            except pymysql.err.OperationalError as error:
                code = error.args[0] if error.args else 0
                if code in (1969, 3024):  # max_statement_time / max_execution_time exceeded
                    raise FetchError(
                        f"The query ran longer than {STATEMENT_TIMEOUT_SECONDS} s."
                    ) from None
                if code == 1792:
                    raise FetchError("Only read queries are allowed.") from None
                raise FetchError("The database refused the query.") from None
            except pymysql.err.MySQLError:
                raise FetchError("The database refused the query.") from None
            rows = cursor.fetchmany(ROW_CAP + 1)
            connection.rollback()
    finally:
        if connection.open:
            connection.close()
    return list(rows)


def _connection_error(detail: str) -> FetchError:
    lowered = detail.lower()
    if "password" in lowered or "access denied" in lowered or "authentication" in lowered:
        return FetchError("The database refused the user name or password.")
    if "does not exist" in lowered or "unknown database" in lowered:
        return FetchError("The database or user does not exist.")
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        return FetchError("The TLS connection failed (certificate or server support).")
    return FetchError("Could not connect to the database server.", transient=True)


def fetch(
    *,
    settings: dict[str, Any],
    credentials: dict[str, Any],
    extraction: dict[str, Any],
    now: datetime,
) -> list[Point]:
    try:
        address = address_check(settings["host"], int(settings["port"]), enforce_ports=False)
    except AddressRefusedError as error:
        raise FetchError(error.message) from None
    password = str(credentials.get("password", ""))
    query = extraction["query"]
    if settings["engine"] == "postgresql":
        rows = _fetch_postgresql(settings, password, address, query)
    else:
        rows = _fetch_mysql(settings, password, address, query)
    return _points_from_rows(rows, now)


SPEC = ProviderSpec(
    key="sql",
    label="SQL database",
    settings_form=SettingsForm,
    extraction_form=ExtractionForm,
    fetch=fetch,
    secret_fields=("password",),
    description="A read-only query against PostgreSQL or MySQL/MariaDB.",
)
