"""Reserve is exact under concurrency, on whichever engine the suite runs (make test runs this
file on PostgreSQL and again on SQLite)."""

from __future__ import annotations

import pytest

from billing import services
from billing.models import Allowance, CostEntry, Reservation
from billing.tests.helpers import race

pytestmark = [pytest.mark.both_databases, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_forty_threads_race_for_the_last_three_images(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 47, "earlier-work")
    services.commit(
        "earlier-work", operation="generate_image", model="imagen-3.0-generate-002", price_class="image"
    )

    outcomes = race(40, lambda i: services.reserve(alice, "images", 1, f"race-{i}"))

    won = [o for o in outcomes if isinstance(o, Reservation)]
    refused = [o for o in outcomes if isinstance(o, services.QuotaExceeded)]
    assert len(won) == 3, [type(o).__name__ + str(o) for o in outcomes if not isinstance(o, Reservation)][:3]
    assert len(refused) == 37
    assert all(r.remaining == 0 for r in refused)

    row = Allowance.objects.get(user=alice, meter="images")
    assert (row.limit, row.used, row.reserved) == (50, 47, 3)
    assert Reservation.objects.filter(user=alice, state="reserved").count() == 3

    # The winners' jobs succeed concurrently too; every commit lands once and the ledgers agree.
    race(
        3,
        lambda i: services.commit(
            won[i].reference, operation="generate_image", model="imagen-3.0-generate-002", price_class="image"
        ),
    )
    row.refresh_from_db()
    assert (row.used, row.reserved) == (50, 0)
    charged = sum(CostEntry.objects.filter(user=alice).values_list("units", flat=True))
    assert charged == row.used == 50
    assert sum(CostEntry.objects.filter(user=alice).values_list("zar_cents", flat=True)) == 50 * 74


def test_concurrent_commit_and_release_of_one_reservation_settle_it_once(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "video_seconds", 8, "vid-1")

    def settle(i: int):
        if i % 2:
            return services.release("vid-1", "timed out")
        return services.commit(
            "vid-1", operation="generate_video", model="veo-3.1-generate-001", price_class="video"
        )

    race(10, settle)
    row = Allowance.objects.get(user=alice, meter="video_seconds")
    reservation = Reservation.objects.get(reference="vid-1")
    assert row.reserved == 0
    if reservation.state == "committed":
        assert (row.used, CostEntry.objects.filter(reference="vid-1").count()) == (8, 1)
    else:
        assert (row.used, CostEntry.objects.filter(reference="vid-1").count()) == (0, 0)
