"""plan_for remembers a plan only inside plans_remembered() (one request), and forgets it when
the tier changes there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services
from billing.models import Subscription
from mediastudio.sql import ComposedQuery


def test_within_a_request_the_plan_is_read_once(make_user, django_assert_num_queries):
    user = make_user(tier="JIVE")
    with services.plans_remembered():
        with django_assert_num_queries(1):  # the subscription, its plan and the plan's allowances joined
            plan = services.plan_for(user)
            services.plan_for(user)
        with django_assert_num_queries(0):  # the allowances came with the plan
            assert {a.meter for a in plan.allowances.all()} >= {"images", "edits"}
            assert plan.allowance_for("images").units > 0
        with django_assert_num_queries(2):  # the period's allowance rows and grants: no plan query
            services.remaining(user)
        assert services.plan_for(user).code == "JIVE"


def test_a_tier_change_in_the_request_is_seen_by_the_rest_of_it(make_user):
    user = make_user(tier="JIVE")
    with services.plans_remembered():
        assert services.plan_for(user).code == "JIVE"
        services.change_tier(user, services.get_plan("JIGGA"), by=None, reason="upgrade")
        assert services.plan_for(user).code == "JIGGA"


def test_outside_a_request_every_call_reads_the_database(make_user):
    user = make_user(tier="JIVE")
    assert services.plan_for(user).code == "JIVE"
    Subscription.objects.filter(user=user).update(plan=services.get_plan("JIGGA"))
    assert services.plan_for(user).code == "JIGGA"


def test_the_plan_query_composed_once_reads_each_users_own_plan_and_dates(make_user):
    """_read_plan's SQL is composed once per process (mediastudio.sql.ComposedQuery): each user
    still gets their own row, and a scheduled change's date arrives as an aware datetime on
    both engines (SQLite's text converted as values_list() would)."""
    jive, jigga = make_user(tier="JIVE"), make_user(tier="JIGGA")
    due = timezone.now() + timedelta(days=3)
    Subscription.objects.filter(user=jive).update(change_at=due, change_reason="lapse")
    plan, subscription = services._read_plan(jive, lock=False)
    assert plan is not None and subscription is not None
    assert plan.code == "JIVE" and subscription.change_at == due and subscription.change_reason == "lapse"
    assert services._read_plan(jigga, lock=False)[0].code == "JIGGA"


def test_a_composed_query_refuses_a_shape_whose_parameters_are_not_its_markers(db):
    with pytest.raises(ValueError, match="markers"):
        ComposedQuery.of(Subscription.objects.filter(user_id=-1, change_reason="x"), markers=(-1,))
    composed = ComposedQuery.of(Subscription.objects.filter(user_id=-1).values_list("id"), markers=(-1,))
    assert composed.rows([-1]) == []
