"""Notices name the page they are about (URL name and arguments) instead of storing its path,
which carried the organisation's slug of the day and broke when the slug was renamed.

Existing paths are resolved against the URLs as they are now; one that no longer resolves to an
organisation's page loses its link (the notice itself stays)."""

from typing import Any

from django.db import migrations, models
from django.urls import Resolver404, resolve, reverse

ORG_SLUG = "org_slug"


def link_target(path: str) -> tuple[str, list[Any]] | None:
    """("kpis:kpi-detail", [12]) for "/acme/kpis/12/"; None for what is no organisation page."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.args or ORG_SLUG not in match.kwargs or not match.url_name:
        return None
    return match.view_name, [value for name, value in match.kwargs.items() if name != ORG_SLUG]


def paths_to_names(apps: Any, schema_editor: Any) -> None:
    Notification = apps.get_model("notifications", "Notification")
    notices = Notification._base_manager.using(schema_editor.connection.alias).exclude(link="")
    for notice in notices.only("pk", "link").iterator():
        target = link_target(notice.link)
        if target is not None:
            notice.link_name, notice.link_args = target
            notice.save(update_fields=["link_name", "link_args"])


def names_to_paths(apps: Any, schema_editor: Any) -> None:
    Notification = apps.get_model("notifications", "Notification")
    notices = Notification._base_manager.using(schema_editor.connection.alias).exclude(link_name="")
    for notice in notices.select_related("organization").iterator():
        notice.link = reverse(notice.link_name, args=[notice.organization.slug, *notice.link_args])
        notice.save(update_fields=["link"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="link_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="notification",
            name="link_args",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(paths_to_names, names_to_paths),
        migrations.RemoveField(model_name="notification", name="link"),
    ]
