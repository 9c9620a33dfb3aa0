"""The consumers' compiled subscriptions and templates follow every change at once, in every process,
through their config version (not after a timer): a subscription made now matches the next event. The
changes are made straight on the models, as another process (the admin, a shell) would: nothing resets
this process's copy but the version."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.notifications import matching
from apps.notifications.models import Subscription, Template
from dictamesh import config_version
from dictamesh.auth.services import user_ensure

pytestmark = pytest.mark.django_db(transaction=True)


def names() -> set[str]:
    """The subscriptions compiled now, but those the migrations seed."""
    return {c.subscription.name for c in matching._subscriptions()} - SEEDED


SEEDED = {"adapter-sync-failed-inapp", "adapter-sync-failed-email"}


def recipients(name: str) -> set[str]:
    (found,) = [c for c in matching._subscriptions() if c.subscription.name == name]
    return {u.username for u in (*found.users, *found.group_users)}


def test_a_subscription_is_matched_from_the_next_event_on():
    assert names() == set()  # compiled and kept at the current version
    sub = Subscription.objects.create(name="fresh", channel="inapp", event_types=["dictamesh.catalog.*"])
    assert names() == {"fresh"}
    sub.enabled = False
    sub.save()
    assert names() == set()
    sub.enabled = True
    sub.save()
    assert names() == {"fresh"}
    sub.delete()
    assert names() == set()


def test_recipients_follow_users_groups_and_deactivation_at_once():
    alice, bob = user_ensure(username="alice"), user_ensure(username="bob")
    watchers = Group.objects.create(name="watchers")
    sub = Subscription.objects.create(name="watch", channel="inapp", event_types=["*"])
    sub.users.add(alice)
    assert recipients("watch") == {"alice"}
    sub.groups.add(watchers)
    bob.groups.add(watchers)
    assert recipients("watch") == {"alice", "bob"}
    bob.groups.remove(watchers)
    assert recipients("watch") == {"alice"}
    alice.is_active = False
    alice.save()
    assert recipients("watch") == set()  # a deactivated user is told nothing from now on


def test_a_login_does_not_move_the_version():
    alice = user_ensure(username="alice")
    before = config_version.current(matching.SUBSCRIPTIONS)
    alice.save(update_fields=["last_login"])
    assert config_version.current(matching.SUBSCRIPTIONS) == before


def test_templates_follow_at_once():
    before = {t.pk for t in matching._all_templates()}
    made = Template.objects.create(type="dictamesh.test.*", channel="inapp", subject="s", body="b")
    assert {t.pk for t in matching._all_templates()} == before | {made.pk}
    made.delete()
    assert {t.pk for t in matching._all_templates()} == before
