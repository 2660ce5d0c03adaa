"""Serializer pieces shared by the API's write endpoints. Shape only: the rules live in the
services, which the views call with the validated data."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from okrplatform.tenancy.models import Membership


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know (DRF ignores them), so a typo is an error, not a no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer[Any]):
    pass


@extend_schema_field(OpenApiTypes.INT)
class MemberField(serializers.PrimaryKeyRelatedField[Any]):
    """A person by user id, among the members of the bound organisation only: anyone else's id
    is "does not exist", never a hint that such a user exists elsewhere."""

    def get_queryset(self) -> QuerySet[Any]:
        return get_user_model().objects.filter(pk__in=Membership.objects.values("user_id"))


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a time zone; a naive time is refused rather than guessed."""

    def to_internal_value(self, value: Any) -> Any:
        from django.utils import timezone
        from django.utils.dateparse import parse_datetime

        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "naive": "The time has no time zone; add one, e.g. Z or +02:00.",
    }


def validated(serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any) -> Any:
    """The validated data of ``data`` (400 with field errors otherwise)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
