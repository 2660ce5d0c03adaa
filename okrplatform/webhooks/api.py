"""API for admins: webhook subscriptions (the signing secret is returned once, on creation or
rotation) and their delivery log, with replay. Admins' and owners' sessions only: API keys and
members get 403, like integrations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from okrplatform.api.serializers import StrictSerializer, validated
from okrplatform.api.views import OrganizationReadOnlyViewSet, OrganizationViewSet
from okrplatform.tenancy.roles import Action

from . import services
from .models import WebhookDelivery, WebhookEvent, WebhookSubscription


class SubscriptionSerializer(serializers.ModelSerializer[WebhookSubscription]):
    events = serializers.ListField(child=serializers.ChoiceField(WebhookEvent.choices))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "description", "events", "active", "created_at"]
        read_only_fields = fields


class SubscriptionSecretSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery: shown this once, store it now"
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionWriteSerializer(StrictSerializer):
    url = serializers.CharField(max_length=services.URL_MAX)
    events = serializers.ListField(
        child=serializers.ChoiceField(WebhookEvent.choices), allow_empty=False, max_length=20
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationViewSet,
):
    serializer_class = SubscriptionSerializer
    queryset = WebhookSubscription.objects.all()
    read_action = Action.MANAGE_INTEGRATIONS
    write_action = Action.MANAGE_INTEGRATIONS
    filterset_fields = ["active"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.order_by("-id")

    @extend_schema(
        request=SubscriptionWriteSerializer, responses={201: SubscriptionSecretSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(SubscriptionWriteSerializer, request.data)
        issued = services.webhook_subscription_create(actor=self.access.actor(), **data)
        subscription = issued.subscription
        subscription.secret = issued.secret  # type: ignore[attr-defined]
        body = SubscriptionSecretSerializer(subscription).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        request=SubscriptionWriteSerializer(partial=True), responses=SubscriptionSerializer
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        data = validated(SubscriptionWriteSerializer, request.data, partial=True)
        subscription = services.webhook_subscription_update(
            actor=self.access.actor(), subscription=subscription, **data
        )
        return Response(SubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        services.webhook_subscription_delete(actor=self.access.actor(), subscription=instance)

    @extend_schema(request=None, responses=SubscriptionSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new signing secret (shown once); the old one stops signing at once."""
        subscription = self.get_object()
        secret = services.webhook_subscription_secret_rotate(
            actor=self.access.actor(), subscription=subscription
        )
        subscription.secret = secret
        response = Response(SubscriptionSecretSerializer(subscription).data)
        response["Cache-Control"] = "no-store"
        return response


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    payload = serializers.DictField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "subscription", "event", "event_id", "payload", "status", "attempts",
            "response_code", "last_error", "replay_of", "created_at", "last_attempt_at",
            "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields


class DeliveryViewSet(OrganizationReadOnlyViewSet):
    """The delivery log, newest first."""

    serializer_class = DeliverySerializer
    queryset = WebhookDelivery.objects.all()
    read_action = Action.MANAGE_INTEGRATIONS
    write_action = Action.MANAGE_INTEGRATIONS
    filterset_fields = ["subscription", "event", "status"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return WebhookDelivery.objects.order_by("-created_at", "-id")

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path="replay", url_name="replay")
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Send the event again (a new delivery with the same event id)."""
        replay = services.webhook_delivery_replay(
            actor=self.access.actor(), delivery=self.get_object()
        )
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


def register(router: BaseRouter) -> list[Any]:
    router.register("webhooks", SubscriptionViewSet, basename="webhook")
    router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
    return []
