"""Re-encrypt every stored integration secret with the newest key of INTEGRATION_CREDENTIAL_KEYS.

Rotation: put the new key first in INTEGRATION_CREDENTIAL_KEYS (keep the old ones after it),
deploy, run this command, then drop the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.crypto import CredentialError, secret_rotate
from integrations.models import DataSource, Integration


class Command(BaseCommand):
    help = "Re-encrypt all integration credentials and push secrets with the newest key."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        try:
            with transaction.atomic():
                # Every organisation's rows: this is an operator's command, not a tenant's.
                for integration in Integration.unscoped.exclude(
                    credentials_ciphertext=""
                ).select_for_update():
                    integration.credentials_ciphertext = secret_rotate(
                        integration.credentials_ciphertext
                    )
                    integration.save(update_fields=["credentials_ciphertext"])
                    rotated += 1
                for source in DataSource.unscoped.exclude(
                    push_secret_ciphertext=""
                ).select_for_update():
                    source.push_secret_ciphertext = secret_rotate(source.push_secret_ciphertext)
                    source.save(update_fields=["push_secret_ciphertext"])
                    rotated += 1
        except CredentialError as error:
            raise CommandError(f"{error} Nothing was changed.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {rotated} secret(s) with the newest key.")
        )
