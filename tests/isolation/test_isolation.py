"""The tenant-isolation suite: every URL in the project, proven not to leak across organisations.

It enumerates every URL pattern. Each pattern under ``/<org_slug>/`` is requested by an admin of
organisation B with organisation A's slug and with organisation A's object ids: every answer must
be 404, and nothing of A's may change. Pages of B's own that take no object id (lists) must not
contain any of A's rows. A pattern this file does not know makes the suite fail, so every new
URL has to join it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from okrplatform.tenancy.scope import TenantModel
from tests.isolation.world import MARKER, TenantWorld, build_world

ORG_KWARG = "org_slug"

# Patterns outside any organisation, and why they are safe.
PUBLIC_URL_NAMES = {
    "root": "redirects to the person's own organisation",
    "healthz": "liveness probe, no data",
    "healthz-worker": "worker liveness probe: canary age per queue, no tenant data",
    "organizations": "lists only the person's own memberships",
    "invitation-accept": "reached by an unguessable token; tested in tenancy tests",
    "integration-push": "machine push to one data source, authenticated by its secret "
    "(bearer or HMAC), unknown keys and bad secrets answer alike; tested in integrations",
}
PUBLIC_NAMESPACES = {
    "admin": "Django admin: staff only",
    "accounts": "sign-up, login, logout, password reset",
    # Not under /<org_slug>/: the organisation comes from the API key. Its own section,
    # test_api_isolation.py, fails for any API route it does not cover.
    "api": "REST API: covered route by route in test_api_isolation.py",
}

# How to fill each org URL's other kwargs with organisation A's objects.
KwargsBuilder = Callable[[TenantWorld], dict[str, Any]]
OBJECT_KWARGS: dict[str, KwargsBuilder] = {
    "tenancy:member-role": lambda w: {"pk": w.member.pk},
    "tenancy:member-remove": lambda w: {"pk": w.member.pk},
    "tenancy:invitation-revoke": lambda w: {"pk": w.invitation.pk},
    "tenancy:team-detail": lambda w: {"pk": w.team.pk},
    "tenancy:team-edit": lambda w: {"pk": w.team.pk},
    "tenancy:team-delete": lambda w: {"pk": w.team.pk},
    "tenancy:team-member-add": lambda w: {"pk": w.team.pk},
    "tenancy:team-member-remove": lambda w: {"pk": w.team.pk, "user_pk": w.member.user_id},
    "api-keys:revoke": lambda w: {"pk": w.api_key.pk},
    "boards:board-detail": lambda w: {"pk": w.board.pk},
    "boards:board-edit": lambda w: {"pk": w.board.pk},
    "boards:board-delete": lambda w: {"pk": w.board.pk},
    "boards:board-items": lambda w: {"pk": w.board.pk},
    "boards:grid-entry": lambda w: {"pk": w.board.pk},
    "kpis:kpi-import": lambda w: {"pk": w.candidate_kpi.pk},
    "kpis:kpi-export": lambda w: {"pk": w.candidate_kpi.pk},
    "kpis:import-preview": lambda w: {"pk": w.kpi_import.pk},
    "kpis:import-confirm": lambda w: {"pk": w.kpi_import.pk},
    "kpis:candidate-dismiss": lambda w: {"pk": w.candidate_kpi.pk},
    "kpis:candidate-snooze": lambda w: {"pk": w.candidate_kpi.pk},
    "kpis:candidate-restore": lambda w: {"pk": w.candidate_kpi.pk},
}

# The OKR pages' kwargs live next to the OKR objects they point at.
from goals.tests.isolation_world import OBJECT_KWARGS as _GOALS_OBJECT_KWARGS  # noqa: E402

OBJECT_KWARGS.update(_GOALS_OBJECT_KWARGS)

# The integrations pages' kwargs, next to their objects.
from integrations.tests.isolation_world import (  # noqa: E402
    OBJECT_KWARGS as _INTEGRATIONS_OBJECT_KWARGS,
)

OBJECT_KWARGS.update(_INTEGRATIONS_OBJECT_KWARGS)

# The KPI pages' kwargs, likewise next to their objects.
from kpis.tests.isolation_world import OBJECT_KWARGS as _KPIS_OBJECT_KWARGS  # noqa: E402

OBJECT_KWARGS.update(_KPIS_OBJECT_KWARGS)

# Notifications (the bell's page), likewise.
from okrplatform.notifications.tests.isolation_world import (  # noqa: E402
    OBJECT_KWARGS as _NOTIFICATIONS_OBJECT_KWARGS,
)

OBJECT_KWARGS.update(_NOTIFICATIONS_OBJECT_KWARGS)

# The webhook settings pages' kwargs, next to their objects.
from okrplatform.webhooks.tests.isolation_world import (  # noqa: E402
    OBJECT_KWARGS as _WEBHOOKS_OBJECT_KWARGS,
)

OBJECT_KWARGS.update(_WEBHOOKS_OBJECT_KWARGS)


def _walk(
    resolvers: list[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[tuple[str, str, set[str]]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner_namespace = namespace
            if entry.namespace:
                inner_namespace = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner_namespace)
        else:
            route = prefix + str(entry.pattern)
            # Unnamed patterns (the admin's redirects) keep their namespace for classification.
            name = f"{namespace}:{entry.name or ''}" if namespace else (entry.name or "")
            kwargs = set(entry.pattern.regex.groupindex)
            if hasattr(entry.pattern, "converters"):
                kwargs |= set(entry.pattern.converters)
            yield name, route, kwargs | _route_kwargs(route)


def _route_kwargs(route: str) -> set[str]:
    import re

    return set(re.findall(r"<(?:\w+:)?(\w+)>", route))


def all_patterns() -> list[tuple[str, str, set[str]]]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def org_patterns() -> list[tuple[str, str, set[str]]]:
    return [p for p in all_patterns() if ORG_KWARG in p[2]]


def test_every_url_pattern_is_covered() -> None:
    uncovered = []
    for name, route, kwargs in all_patterns():
        if ORG_KWARG in kwargs:
            if kwargs - {ORG_KWARG} and name not in OBJECT_KWARGS:
                uncovered.append(f"{route} ({name or 'unnamed'}): add it to OBJECT_KWARGS")
            continue
        namespace = name.split(":")[0] if ":" in name else ""
        if name not in PUBLIC_URL_NAMES and namespace not in PUBLIC_NAMESPACES:
            uncovered.append(
                f"{route} ({name or 'unnamed'}): not under /<org_slug>/ and not declared public"
            )
    assert not uncovered, "URLs the isolation suite does not cover:\n" + "\n".join(uncovered)


def test_no_stale_entries_in_the_registry() -> None:
    names = {name for name, _, _ in all_patterns()}
    assert not set(OBJECT_KWARGS) - names


def _tenant_snapshot(organization_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row organisation A owns, to prove a foreign request changed nothing."""
    snapshot = {}
    for model in apps.get_models():
        if issubclass(model, TenantModel):
            fields = [f.attname for f in model._meta.concrete_fields]
            rows = (
                model.unscoped.filter(organization_id=organization_id)
                .order_by("pk")
                .values_list(*fields)
            )
            snapshot[model._meta.label] = list(rows)
    return snapshot


@pytest.fixture
def worlds(db: None) -> tuple[TenantWorld, TenantWorld]:
    return build_world("alpha", MARKER), build_world("bravo", "Bravo")


@pytest.fixture
def intruder(worlds: tuple[TenantWorld, TenantWorld]) -> Client:
    """An owner of organisation B: the strongest role, in the wrong organisation."""
    client = Client()
    client.force_login(worlds[1].owner.user)
    return client


@pytest.mark.parametrize(
    ("name", "route", "kwargs"), org_patterns(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_foreign_organisation_and_objects_answer_404(
    name: str,
    route: str,
    kwargs: set[str],
    worlds: tuple[TenantWorld, TenantWorld],
    intruder: Client,
) -> None:
    alpha, bravo = worlds
    object_kwargs = OBJECT_KWARGS[name](alpha) if name in OBJECT_KWARGS else {}
    before = _tenant_snapshot(alpha.organization.pk)

    # A's slug: B's owner is not a member of A.
    url = reverse(name, kwargs={ORG_KWARG: alpha.organization.slug, **object_kwargs})
    for method in ("get", "post"):
        response = getattr(intruder, method)(url)
        assert response.status_code == 404, (
            f"{method.upper()} {url} answered {response.status_code}"
        )

    if object_kwargs:
        # B's slug with A's object ids: the scoped querysets must not find them.
        # A POST-only view may refuse a GET with 405 before any lookup: that says nothing about
        # the object, as long as the POST, which does look it up, answers 404.
        url = reverse(name, kwargs={ORG_KWARG: bravo.organization.slug, **object_kwargs})
        response = intruder.get(url)
        assert response.status_code in (404, 405), f"GET {url} answered {response.status_code}"
        response = intruder.post(url)
        assert response.status_code == 404, f"POST {url} answered {response.status_code}"

    assert _tenant_snapshot(alpha.organization.pk) == before, (
        f"{name} changed organisation A's data"
    )


@pytest.mark.parametrize(
    ("name", "route", "kwargs"),
    [p for p in org_patterns() if p[2] == {ORG_KWARG}],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_own_lists_show_no_foreign_rows(
    name: str,
    route: str,
    kwargs: set[str],
    worlds: tuple[TenantWorld, TenantWorld],
    intruder: Client,
) -> None:
    _alpha, bravo = worlds
    url = reverse(name, kwargs={ORG_KWARG: bravo.organization.slug})
    response = intruder.get(url, follow=True)
    assert response.status_code in (200, 405)
    # Exports stream their body.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode()
    assert MARKER.lower() not in body.lower()
