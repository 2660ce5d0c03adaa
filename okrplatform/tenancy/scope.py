"""The scoping machinery: tenant querysets refuse to run without a bound organisation.

The organisation is bound in a ContextVar by the request layer (``OrganizationMiddleware``) and
by ``tenant_task`` for Celery tasks. Tenant models filter on it through ``CurrentOrganizationId``,
an expression resolved when the SQL is *compiled*, not when the queryset is built: a queryset
built at import time (a form's choices) still runs against the organisation of the request that
evaluates it, and one evaluated with nothing bound raises instead of returning every tenant's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models.expressions import Expression

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

_current_organization_id: ContextVar[int | None] = ContextVar(
    "current_organization_id", default=None
)


class TenantScopeError(RuntimeError):
    """A tenant queryset was evaluated with no organisation bound."""


def current_organization_id() -> int:
    organization_id = _current_organization_id.get()
    if organization_id is None:
        raise TenantScopeError(
            "No organisation is bound: tenant querysets only run inside organization_scope() "
            "(bound by the request middleware and tenant_task). Use Model.unscoped for the rare "
            "query that must see every organisation."
        )
    return organization_id


def bound_organization_id() -> int | None:
    return _current_organization_id.get()


@contextmanager
def organization_scope(organization_id: int) -> Iterator[None]:
    token = _current_organization_id.set(organization_id)
    try:
        yield
    finally:
        _current_organization_id.reset(token)


class CurrentOrganizationId(Expression):
    """The bound organisation's id, read when the query is compiled."""

    output_field = models.BigIntegerField()

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return "%s", (current_organization_id(),)

    def __repr__(self) -> str:
        return "CurrentOrganizationId()"


_M = TypeVar("_M", bound=models.Model)


class TenantManager(models.Manager[_M]):
    """Default manager of tenant models: only the bound organisation's rows, or an error."""

    def get_queryset(self) -> models.QuerySet[_M]:
        return super().get_queryset().filter(organization_id=CurrentOrganizationId())


class TenantModel(models.Model):
    """Base of every tenant-owned table: an organisation foreign key and the scoped manager."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()
    # The named escape hatch: every organisation's rows. Grep for it in review.
    unscoped = models.Manager()  # noqa: DJ012 - a manager, not a field

    class Meta:
        abstract = True
        base_manager_name = "unscoped"
