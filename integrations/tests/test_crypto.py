"""Credentials at rest: encrypted, bound to their organisation, rotatable, never rendered."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from integrations.crypto import CredentialError, secret_decrypt, secret_encrypt
from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory


def test_round_trip_and_no_plaintext_in_the_ciphertext() -> None:
    token = secret_encrypt(organization_id=7, data={"password": "hunter2-very-secret"})
    assert "hunter2" not in token
    assert secret_decrypt(organization_id=7, ciphertext=token) == {
        "password": "hunter2-very-secret"
    }


def test_a_ciphertext_copied_to_another_organisation_is_refused() -> None:
    token = secret_encrypt(organization_id=7, data={"password": "x"})
    with pytest.raises(CredentialError, match="another organisation"):
        secret_decrypt(organization_id=8, ciphertext=token)


def test_tampering_is_detected() -> None:
    token = secret_encrypt(organization_id=7, data={"password": "x"})
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(CredentialError):
        secret_decrypt(organization_id=7, ciphertext=tampered)


def test_rotation_re_encrypts_with_the_newest_key(settings, org, other_org) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.INTEGRATION_CREDENTIAL_KEYS = [old]
    integration = IntegrationFactory(
        organization=org,
        credentials_ciphertext=secret_encrypt(organization_id=org.pk, data={"token": "t0k"}),
    )
    settings.INTEGRATION_CREDENTIAL_KEYS = [new, old]
    call_command("rotate_credential_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    integration = Integration.unscoped.get(pk=integration.pk)
    settings.INTEGRATION_CREDENTIAL_KEYS = [new]  # the old key is gone: still readable
    assert secret_decrypt(
        organization_id=org.pk, ciphertext=integration.credentials_ciphertext
    ) == {"token": "t0k"}


def test_decrypting_with_an_unknown_key_fails_cleanly(settings) -> None:
    settings.INTEGRATION_CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    token = secret_encrypt(organization_id=1, data={"a": 1})
    settings.INTEGRATION_CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CredentialError, match="enter them again"):
        secret_decrypt(organization_id=1, ciphertext=token)


def test_repr_and_str_never_show_the_ciphertext(org) -> None:
    integration = IntegrationFactory(
        organization=org, credentials_ciphertext=secret_encrypt(organization_id=org.pk, data={})
    )
    assert integration.credentials_ciphertext not in repr(integration)
    assert integration.credentials_ciphertext not in str(integration)


def test_a_malformed_key_fails_the_system_check(settings) -> None:
    from integrations.checks import credential_keys_check

    settings.INTEGRATION_CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    assert credential_keys_check() == []
    settings.INTEGRATION_CREDENTIAL_KEYS = [Fernet.generate_key().decode(), "not-a-key"]
    [error] = credential_keys_check()
    assert error.id == "integrations.E001"
    assert "entry 2" in error.msg
