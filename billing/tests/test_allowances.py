"""reserve / commit / release / remaining / grant / change_tier: the allowance API's contract."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing import services
from billing.models import Allowance, CostEntry, Grant, Reservation, TierChange

pytestmark = pytest.mark.both_databases


def balance(user, meter):
    return next(b for b in services.remaining(user) if b.meter == meter)


def test_it_puts_new_users_on_free(make_user):
    alice = make_user()
    assert services.plan_for(alice).code == "FREE"
    images = balance(alice, "images")
    assert (images.period, images.allowance, images.remaining) == ("day", 1, 1)
    assert balance(alice, "edits").allowance == 0


def test_it_reserves_and_reports_what_remains(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 4, "job-1")
    images = balance(alice, "images")
    assert (images.allowance, images.used, images.reserved, images.remaining) == (50, 0, 4, 46)


def test_commit_charges_once_and_is_idempotent(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 4, "job-1")
    first = services.commit(
        "job-1", operation="generate_image", model="imagen-3.0-generate-002", price_class="image"
    )
    second = services.commit(
        "job-1", operation="generate_image", model="imagen-3.0-generate-002", price_class="image"
    )
    assert second.pk == first.pk
    assert CostEntry.objects.filter(reference="job-1").count() == 1
    # 4 images × 0.04 USD = 0.16 USD = 160000 micro-dollars; × 18.50 = R2.96
    first.refresh_from_db()
    assert (first.units, first.usd_micros, first.zar_cents, first.rate) == (4, 160_000, 296, Decimal("18.50"))
    assert first.tier == "JIVE"
    images = balance(alice, "images")
    assert (images.used, images.reserved, images.remaining) == (4, 0, 46)


def test_partial_commit_charges_only_what_was_delivered(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 4, "job-1")
    entry = services.commit("job-1", operation="generate_image", model="m", price_class="image", units=3)
    assert (entry.units, entry.zar_cents) == (3, 222)
    images = balance(alice, "images")
    assert (images.used, images.reserved, images.remaining) == (3, 0, 47)


def test_release_frees_the_units_and_is_idempotent(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "video_seconds", 8, "vid-1")
    assert balance(alice, "video_seconds").remaining == 292
    assert services.release("vid-1", "provider failed") is True
    assert services.release("vid-1", "provider failed") is False
    seconds = balance(alice, "video_seconds")
    assert (seconds.used, seconds.reserved, seconds.remaining) == (0, 0, 300)
    assert Reservation.objects.get(reference="vid-1").release_reason == "provider failed"
    # A released job can never be charged afterwards.
    assert services.commit("vid-1", operation="generate_video", model="veo", price_class="video") is None
    assert not CostEntry.objects.exists()


def test_commit_after_commit_cannot_release(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "edits", 1, "edit-1")
    services.commit("edit-1", operation="edit_image", model="m", price_class="image")
    assert services.release("edit-1", "late failure") is False
    assert balance(alice, "edits").used == 1


def test_it_refuses_more_than_remains_with_the_reset_and_upgrade(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "video_audio_seconds", 116, "vid-1")
    with pytest.raises(services.QuotaExceeded) as refused:
        services.reserve(alice, "video_audio_seconds", 8, "vid-2")
    error = refused.value
    assert (error.needed, error.remaining, error.tier) == (8, 4, "JIVE")
    assert error.resets_at == balance(alice, "video_audio_seconds").resets_at
    assert [o["tier"] for o in error.upgrade] == ["JIGGA"]
    assert error.upgrade[0]["price"] == "R149.00"
    assert not Reservation.objects.filter(reference="vid-2").exists()
    assert balance(alice, "video_audio_seconds").reserved == 116


def test_free_has_no_upgrade_for_meters_no_plan_covers(make_user):
    alice = make_user(tier="JIGGA")
    with pytest.raises(services.QuotaExceeded) as refused:
        services.reserve(alice, "images", 201, "big")
    assert refused.value.upgrade == []


def test_a_grant_raises_what_remains(make_user):
    alice = make_user(tier="JIVE")
    staff = make_user(staff=True)
    services.reserve(alice, "upscales", 20, "up-1")
    with pytest.raises(services.QuotaExceeded):
        services.reserve(alice, "upscales", 1, "up-2")
    services.grant(alice, "upscales", 5, by=staff, reason="support ticket 42")
    assert balance(alice, "upscales").remaining == 5
    services.reserve(alice, "upscales", 5, "up-2")
    grant = Grant.objects.get()
    assert (grant.granted_by, grant.reason) == (staff, "support ticket 42")


def test_a_grant_before_first_use_counts_once(make_user):
    alice = make_user(tier="JIVE")
    services.grant(alice, "edits", 3, by=None, reason="goodwill")
    assert balance(alice, "edits").allowance == 23
    services.reserve(alice, "edits", 1, "e-1")
    assert balance(alice, "edits").allowance == 23


@pytest.mark.parametrize("units", [0, -3])
def test_it_refuses_non_positive_units(make_user, units):
    alice = make_user(tier="JIVE")
    with pytest.raises(services.BillingError):
        services.reserve(alice, "images", units, "x")
    with pytest.raises(services.BillingError):
        services.grant(alice, "images", units, by=None, reason="r")
    assert not Allowance.objects.filter(reserved__gt=0).exists()


def test_it_refuses_unknown_meters_and_references(make_user):
    alice = make_user(tier="JIVE")
    with pytest.raises(services.BillingError, match="unknown meter"):
        services.reserve(alice, "songs", 1, "x")
    with pytest.raises(services.BillingError, match="no reservation"):
        services.release("nope", "r")


def test_a_reference_reserves_once(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 1, "job-1")
    with pytest.raises(services.BillingError, match="already"):
        services.reserve(alice, "images", 1, "job-1")
    assert balance(alice, "images").reserved == 1  # the failed second call was rolled back


def test_the_database_refuses_overspending_even_without_the_service(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 1, "job-1")
    row = Allowance.objects.get(user=alice, meter="images")
    with pytest.raises(IntegrityError), transaction.atomic():
        Allowance.objects.filter(pk=row.pk).update(used=row.limit)


def test_upgrading_mid_month_grows_the_allowance_and_keeps_usage(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 10, "job-1")
    services.commit("job-1", operation="generate_image", model="m", price_class="image")
    services.change_tier(alice, services.get_plan("JIGGA"), by=None, reason="upgrade")
    images = balance(alice, "images")
    assert (images.allowance, images.used, images.remaining) == (200, 10, 190)
    assert TierChange.objects.filter(user=alice, to_plan__code="JIGGA").exists()


def test_downgrading_below_usage_leaves_nothing_rather_than_failing(make_user):
    alice = make_user(tier="JIGGA")
    services.reserve(alice, "edits", 60, "job-1")
    services.change_tier(alice, services.get_plan("JIVE"), by=None, reason="downgrade")
    edits = balance(alice, "edits")
    assert (edits.allowance, edits.reserved, edits.remaining) == (60, 60, 0)
    services.release("job-1", "failed")
    edits = balance(alice, "edits")
    assert (edits.allowance, edits.remaining) == (20, 20)


def test_change_tier_needs_a_reason(make_user):
    alice = make_user()
    with pytest.raises(services.BillingError, match="reason"):
        services.change_tier(alice, services.get_plan("JIVE"), by=None, reason="  ")
    assert services.plan_for(alice).code == "FREE"


def test_remaining_reads_every_meter_in_a_fixed_number_of_queries(make_user, django_assert_max_num_queries):
    alice = make_user(tier="JIVE")
    for meter in ["images", "edits", "upscales", "video_seconds"]:
        services.reserve(alice, meter, 1, f"r-{meter}")
    services.grant(alice, "video_audio_seconds", 5, by=None, reason="r")
    with django_assert_max_num_queries(5):  # plan, its allowances, rows, grants: not one per meter
        balances = services.remaining(alice)
    assert [b.remaining for b in balances] == [49, 19, 19, 299, 125, 250_000]


def test_a_text_call_is_charged_its_tokens_at_the_models_input_and_output_rates(make_user):
    """gemini-3.8-flash: $0.75 per million input tokens, $3.75 per million output tokens."""
    alice = make_user(tier="JIVE")
    services.reserve(alice, "text_tokens", 5_000, "text:1")

    entry = services.commit_tokens(
        "text:1", operation="prompt_helper", model="gemini-3.8-flash", input_tokens=3_000, output_tokens=400
    )

    assert entry is not None
    assert (entry.units, entry.usd_micros, entry.price_class, entry.variant) == (
        3_400,
        3_750,
        "text",
        "tokens",
    )
    assert entry.note == "3000 input + 400 output tokens"
    assert balance(alice, "text_tokens").used == 3_400 and balance(alice, "text_tokens").reserved == 0
    again = services.commit_tokens(
        "text:1", operation="prompt_helper", model="gemini-3.8-flash", input_tokens=3_000, output_tokens=400
    )
    assert again == entry and CostEntry.objects.filter(reference="text:1").count() == 1


def test_a_text_call_never_uses_more_of_the_allowance_than_it_reserved(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "text_tokens", 1_000, "text:2")

    entry = services.commit_tokens(
        "text:2", operation="assistant", model="gemini-3.8-flash", input_tokens=900, output_tokens=300
    )

    assert balance(alice, "text_tokens").used == 1_000  # the ceiling, though Google counted 1,200
    assert entry is not None and entry.units == 1_200  # the ledger says what Google counted


def test_one_meters_balance_agrees_with_remaining_in_one_query(make_user, django_assert_num_queries):
    alice = make_user(tier="JIVE")
    services.plan_for(alice)
    assert services.balance(alice, "text_tokens").remaining == 250_000  # no row yet
    services.reserve(alice, "text_tokens", 1_000, "text:3")
    services.grant(alice, "text_tokens", 500, by=None, reason="r")
    with services.plans_remembered():
        services.plan_for(alice)
        with django_assert_num_queries(1):
            one = services.balance(alice, "text_tokens")
    assert one == next(b for b in services.remaining(alice) if b.meter == "text_tokens")
    assert one.remaining == 249_500
