"""plan_for remembers a plan only inside plans_remembered() (one request), and forgets it when
the tier changes there."""

from __future__ import annotations

from billing import services
from billing.models import Subscription


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
