"""Prometheus: an instant query (one number) or a range query (history) over the HTTP API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms

from .base import FetchError, Point, ProviderSpec, points_cap, timestamp_parse, value_parse
from .http_common import SECRET_FIELDS, HTTPConnectionForm, http_get


class SettingsForm(HTTPConnectionForm):
    url = forms.URLField(
        label="Prometheus URL",
        max_length=2000,
        assume_scheme="https",
        help_text="The base URL, e.g. https://prometheus.example.com",
    )


class ExtractionForm(forms.Form):
    query = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="PromQL"
    )
    mode = forms.ChoiceField(
        choices=[("instant", "Instant (current value)"), ("range", "Range (history)")]
    )
    range_hours = forms.IntegerField(min_value=1, max_value=24 * 90, initial=24, required=False)
    step_seconds = forms.IntegerField(min_value=15, max_value=86400, initial=3600, required=False)


def _single_series(result: list[Any]) -> dict[str, Any]:
    if not result:
        raise FetchError("The query returned no series.")
    if len(result) > 1:
        raise FetchError(
            f"The query returned {len(result)} series; aggregate it to one (e.g. sum(...))."
        )
    series: dict[str, Any] = result[0]
    return series


def fetch(
    *,
    settings: dict[str, Any],
    credentials: dict[str, Any],
    extraction: dict[str, Any],
    now: datetime,
) -> list[Point]:
    base = settings["url"].rstrip("/")
    if extraction.get("mode") == "range":
        hours = int(extraction.get("range_hours") or 24)
        step = int(extraction.get("step_seconds") or 3600)
        if hours * 3600 / step > 11000:
            raise FetchError("The range divided by the step exceeds 11,000 points.")
        params = {
            "query": extraction["query"],
            "start": (now - timedelta(hours=hours)).timestamp(),
            "end": now.timestamp(),
            "step": step,
        }
        url = f"{base}/api/v1/query_range?{urlencode(params)}"
    else:
        url = f"{base}/api/v1/query?{urlencode({'query': extraction['query'], 'time': now.timestamp()})}"
    response = http_get(url, settings, credentials, extra_headers={"Accept": "application/json"})
    try:
        payload = json.loads(response.content)
    except ValueError:
        raise FetchError("Prometheus did not answer JSON.") from None
    if payload.get("status") != "success":
        raise FetchError(f"Prometheus refused the query: {str(payload.get('error'))[:200]}")
    data: dict[str, Any] = payload.get("data") or {}
    result_type: str = data.get("resultType", "")
    result: Any = data.get("result") or []
    if result_type == "scalar":
        return [Point(timestamp_parse(result[0]), value_parse(result[1]))]
    if result_type == "vector":
        sample = _single_series(result)["value"]
        return [Point(timestamp_parse(sample[0]), value_parse(sample[1]))]
    if result_type == "matrix":
        values = _single_series(result)["values"]
        return points_cap(
            [
                Point(timestamp_parse(t), value_parse(v))
                for t, v in values
                if v not in ("NaN", "+Inf", "-Inf")
            ]
        )
    raise FetchError(f"Unexpected result type “{result_type}”.")


SPEC = ProviderSpec(
    key="prometheus",
    label="Prometheus",
    settings_form=SettingsForm,
    extraction_form=ExtractionForm,
    fetch=fetch,
    secret_fields=SECRET_FIELDS,
    description="A PromQL query against the Prometheus HTTP API.",
)
