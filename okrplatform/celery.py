"""The Celery application. The database is the source of truth; the broker only rings the bell."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")

app = Celery("okrplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["okrplatform.tenancy"])

from okrplatform import worker_connections  # noqa: E402, F401 - connects the task signals
