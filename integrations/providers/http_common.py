"""Connection settings and authentication shared by the providers that speak HTTP."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations import outbound

from .base import FetchError

AUTH_CHOICES = [
    ("none", "No authentication"),
    ("bearer", "Bearer token"),
    ("basic", "Basic (user name and password)"),
    ("api_key", "API key in a header"),
]
SECRET_FIELDS = ("token", "password", "api_key")
# Settings that only mean something for one kind of authentication (shown only with it).
AUTH_ONLY_SETTINGS = {"username": "basic", "api_key_header": "api_key"}


class HTTPConnectionForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        help_text="http(s) only; public addresses only.",
    )
    auth = forms.ChoiceField(choices=AUTH_CHOICES, initial="none", label="Authentication")
    username = forms.CharField(max_length=200, required=False, label="User name (basic)")
    api_key_header = forms.CharField(
        max_length=100, required=False, initial="X-API-Key", label="API key header name"
    )
    headers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Extra headers, one “Name: value” per line (not for secrets).",
    )
    # Write-only secrets: never rendered back; left blank on edit, the stored value is kept.
    token = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, label="Bearer token"
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, label="Password (basic)"
    )
    api_key = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, label="API key"
    )

    def clean_headers(self) -> str:
        text: str = self.cleaned_data["headers"]
        for line in text.splitlines():
            if line.strip() and ":" not in line:
                raise forms.ValidationError(f"“{line[:40]}” is not “Name: value”.")
        return text


def request_headers(
    settings: dict[str, Any], credentials: dict[str, Any]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Headers for a request, and the names of those that carry credentials."""
    headers: dict[str, str] = {}
    for line in str(settings.get("headers") or "").splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip()] = value.strip()
    auth = settings.get("auth", "none")
    sensitive: tuple[str, ...] = ()
    if auth == "bearer":
        headers["Authorization"] = f"Bearer {credentials.get('token', '')}"
    elif auth == "basic":
        import base64

        pair = f"{settings.get('username', '')}:{credentials.get('password', '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    elif auth == "api_key":
        name = str(settings.get("api_key_header") or "X-API-Key")
        headers[name] = str(credentials.get("api_key", ""))
        sensitive = (name,)
    return headers, sensitive


def http_get(
    url: str,
    settings: dict[str, Any],
    credentials: dict[str, Any],
    *,
    method: str = "GET",
    body: bytes | None = None,
    extra_headers: dict[str, str] | None = None,
) -> outbound.OutboundResponse:
    headers, sensitive = request_headers(settings, credentials)
    headers.update(extra_headers or {})
    try:
        response = outbound.request(
            method, url, headers=headers, content=body, credential_headers=sensitive
        )
        outbound.raise_for_status(response)
    except outbound.OutboundError as error:
        raise FetchError(error.message, transient=error.transient) from None
    return response
