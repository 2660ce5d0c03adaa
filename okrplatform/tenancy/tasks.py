"""Celery plumbing for tenant work: tasks take ids, never model instances, and bind the scope."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from celery import shared_task

from .scope import organization_scope

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def tenant_task(func: Callable[P, R]) -> Callable[P, R]:
    """Bind the tenant scope from the task's ``organization_id`` keyword for the call.

    Stack it under ``@shared_task``. A task called without ``organization_id`` fails loudly
    rather than running unscoped.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        organization_id = kwargs.get("organization_id")
        if not isinstance(organization_id, int):
            raise TypeError(f"{func.__name__} needs organization_id=<int> as a keyword argument")
        with organization_scope(organization_id):
            return func(*args, **kwargs)

    return wrapper


@shared_task(name="okrplatform.tenancy.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Proves beat and the worker are alive (visible in ``make run``'s output)."""
    logger.info("okrplatform worker heartbeat")
    return "ok"


@shared_task(name="okrplatform.tenancy.tasks.invitation_email_send", acks_late=True)
@tenant_task
def invitation_email_send(*, organization_id: int, invitation_id: int, accept_url: str) -> None:
    from . import services
    from .models import Invitation

    invitation = Invitation.objects.select_related("organization").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        logger.info(
            "invitation %s is not pending in organisation %s; no email sent",
            invitation_id,
            organization_id,
        )
        return
    services.invitation_send(invitation=invitation, accept_url=accept_url)
