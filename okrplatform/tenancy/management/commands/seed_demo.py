from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from okrplatform.tenancy.demo import seed_demo_organization
from okrplatform.tenancy.scope import organization_scope


class Command(BaseCommand):
    help = "Seed the demo organisation (idempotent) and print its login."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="URL to print")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        login, created = seed_demo_organization()
        if created:
            # Each app may add its demo data in a `demo.seed(organization)` function.
            with organization_scope(login.organization.pk):
                for app_config in apps.get_app_configs():
                    try:
                        module = importlib.import_module(f"{app_config.name}.demo")
                    except ModuleNotFoundError:
                        continue
                    seed = getattr(module, "seed", None)
                    if seed is not None:
                        seed(login.organization)
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                "  okrplatform is starting\n"
                f"  Open:     {url}\n"
                f"  Log in:   {login.email}\n"
                f"  Password: {login.password}\n"
                f"  Demo organisation: {login.organization.name} ({url}{login.organization.slug}/)\n"
            )
        )
