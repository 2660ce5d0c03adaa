"""HTTP JSON API: a JMESPath expression selects one number or a series of points.

The expression may yield a number (one point, stamped now), a list of numbers is refused (no
timestamps), a list of ``[timestamp, value]`` pairs, or a list of objects with the timestamp
and value keys named in the extraction settings.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jmespath
from django import forms
from jmespath.exceptions import JMESPathError

from .base import FetchError, Point, ProviderSpec, points_cap, timestamp_parse, value_parse
from .http_common import SECRET_FIELDS, HTTPConnectionForm, http_get


class SettingsForm(HTTPConnectionForm):
    method = forms.ChoiceField(choices=[("GET", "GET"), ("POST", "POST")], initial="GET")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="JSON body for POST"
    )

    field_order = ["url", "method", "body", "auth"]

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if body.strip():
            try:
                json.loads(body)
            except ValueError:
                raise forms.ValidationError("The body is not valid JSON.") from None
        return body


class ExtractionForm(forms.Form):
    expression = forms.CharField(
        max_length=500,
        help_text="JMESPath, e.g. “data.total” or “items[].{t: date, v: count}”.",
    )
    timestamp_key = forms.CharField(max_length=100, initial="timestamp", required=False)
    value_key = forms.CharField(max_length=100, initial="value", required=False)

    def clean_expression(self) -> str:
        expression: str = self.cleaned_data["expression"]
        try:
            jmespath.compile(expression)
        except JMESPathError as error:
            raise forms.ValidationError(f"Not a valid JMESPath expression: {error}") from None
        return expression


def points_from_result(result: Any, extraction: dict[str, Any], now: datetime) -> list[Point]:
    if result is None:
        raise FetchError("The expression selected nothing in the response.")
    if not isinstance(result, list):
        if isinstance(result, dict):
            raise FetchError("The expression selected an object; select a number or a list.")
        return [Point(now, value_parse(result))]
    timestamp_key = extraction.get("timestamp_key") or "timestamp"
    value_key = extraction.get("value_key") or "value"
    points = []
    for number, item in enumerate(result, start=1):
        where = f"Item {number}"
        if isinstance(item, dict):
            points.append(
                Point(
                    timestamp_parse(item.get(timestamp_key), where=f"{where}’s “{timestamp_key}”"),
                    value_parse(item.get(value_key), where=f"{where}’s “{value_key}”"),
                )
            )
        elif isinstance(item, list) and len(item) == 2:
            points.append(
                Point(timestamp_parse(item[0], where=where), value_parse(item[1], where=where))
            )
        else:
            raise FetchError(
                f"{where} is neither an object with “{timestamp_key}”/“{value_key}” nor a "
                "[timestamp, value] pair."
            )
    return points_cap(points)


def fetch(
    *,
    settings: dict[str, Any],
    credentials: dict[str, Any],
    extraction: dict[str, Any],
    now: datetime,
) -> list[Point]:
    body = str(settings.get("body") or "").encode() or None
    response = http_get(
        settings["url"],
        settings,
        credentials,
        method=settings.get("method", "GET"),
        body=body,
        extra_headers={"Accept": "application/json"}
        | ({"Content-Type": "application/json"} if body else {}),
    )
    try:
        data = json.loads(response.content)
    except ValueError:
        raise FetchError("The response is not valid JSON.") from None
    try:
        result = jmespath.search(extraction["expression"], data)
    except JMESPathError as error:
        raise FetchError(f"The expression failed: {error}") from None
    return points_from_result(result, extraction, now)


SPEC = ProviderSpec(
    key="http_json",
    label="HTTP JSON API",
    settings_form=SettingsForm,
    extraction_form=ExtractionForm,
    fetch=fetch,
    secret_fields=SECRET_FIELDS,
    description="Any HTTP API that answers JSON; pick the number with a JMESPath expression.",
)
