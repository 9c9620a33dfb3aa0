"""GraphQL of notifications: your inbox and preferences; subscriptions (stewards)."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

from dictamesh.contracts import parse
from dictamesh.graphql.context import require_user

from .. import selectors, services, subscriptions
from ..contracts import PreferenceIn, SubscriptionIn


class InboxItemType(graphene.ObjectType):
    id = graphene.ID(required=True)
    title = graphene.String(required=True)
    body = graphene.String(required=True)
    type = graphene.String(required=True)
    priority = graphene.String(required=True)
    created_at = graphene.DateTime(required=True)
    read_at = graphene.DateTime()


class InboxType(graphene.ObjectType):
    items = graphene.List(graphene.NonNull(InboxItemType), required=True)
    unread = graphene.Int(required=True)


class PreferenceType(graphene.ObjectType):
    id = graphene.ID(required=True)
    type = graphene.String(required=True)
    channel = graphene.String()
    enabled = graphene.Boolean(required=True)
    quiet_from = graphene.String()
    quiet_until = graphene.String()
    timezone = graphene.String(required=True)


def _steward(info) -> None:
    from apps.governance.public import Resource, access

    access(info.context).require("manage", Resource(kind="governance", urn="notifications"))


class NotificationsQuery:
    notification_inbox = graphene.Field(
        InboxType,
        required=True,
        unread=graphene.Boolean(default_value=False),
        first=graphene.Int(default_value=50),
    )
    notification_preferences = graphene.List(graphene.NonNull(PreferenceType), required=True)
    notification_subscriptions = graphene.List(graphene.NonNull(GenericScalar), required=True)

    @staticmethod
    def resolve_notification_inbox(root, info, unread, first):
        user = require_user(info)
        items, unread_total = selectors.inbox(user=user, unread=unread, limit=max(1, min(first, 500)))
        return {"items": [services.inbox_state(i) for i in items], "unread": unread_total}

    @staticmethod
    def resolve_notification_preferences(root, info):
        user = require_user(info)
        return [subscriptions.preference_state(p) for p in selectors.preferences_of(user=user)]

    @staticmethod
    def resolve_notification_subscriptions(root, info):
        _steward(info)
        return [subscriptions.subscription_state(s) for s in selectors.subscription_list()]


class MarkNotificationsRead(graphene.Mutation):
    class Arguments:
        ids = graphene.List(graphene.NonNull(graphene.Int), description="None: all")

    marked = graphene.Int(required=True)

    @staticmethod
    def mutate(root, info, ids=None):
        return MarkNotificationsRead(marked=services.inbox_mark_read(user=require_user(info), ids=ids))


class SetNotificationPreference(graphene.Mutation):
    class Arguments:
        input = GenericScalar(
            required=True, description="{type, channel, enabled, quiet_from, quiet_until, timezone}"
        )

    Output = PreferenceType

    @staticmethod
    def mutate(root, info, input):  # noqa: A002 - GraphQL argument name
        return subscriptions.preference_state(
            subscriptions.preference_set(user=require_user(info), preference=parse(PreferenceIn, input))
        )


class SaveNotificationSubscription(graphene.Mutation):
    class Arguments:
        name = graphene.String(description="an existing subscription to change; none: create")
        input = GenericScalar(required=True)

    subscription = GenericScalar(required=True)

    @staticmethod
    def mutate(root, info, input, name=None):  # noqa: A002 - GraphQL argument name
        require_user(info)
        _steward(info)
        saved = subscriptions.subscription_save(
            subscription=parse(SubscriptionIn, input, partial=name is not None), name=name
        )
        return SaveNotificationSubscription(subscription=subscriptions.subscription_state(saved))


class NotificationsMutation:
    mark_notifications_read = MarkNotificationsRead.Field()
    set_notification_preference = SetNotificationPreference.Field()
    save_notification_subscription = SaveNotificationSubscription.Field()
