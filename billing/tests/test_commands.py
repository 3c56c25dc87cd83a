"""cost_report, seed_demo, set_tier and grant: figures, formats, and bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command

from billing import services
from billing.models import CostEntry, Grant, TierChange
from billing.periods import SAST
from billing.tests.helpers import run_cli


def sast(*args) -> datetime:
    return datetime(*args, tzinfo=SAST)


@pytest.fixture
def ledger(make_user):
    """A fixture ledger whose totals are worked out by hand below."""
    alice = make_user(username="alice", tier="JIVE")
    bob = make_user(username="bob", tier="JIGGA")
    rows = [
        # user, tier, operation, model, price class, units, usd_micros, zar_cents, when (SAST)
        (
            alice,
            "JIVE",
            "generate_image",
            "imagen-3.0-generate-002",
            "image",
            4,
            160_000,
            296,
            sast(2026, 11, 1, 0, 5),
        ),
        (
            alice,
            "JIVE",
            "generate_video",
            "veo-3.1-generate-001",
            "video",
            8,
            1_600_000,
            2960,
            sast(2026, 11, 2, 9),
        ),
        (
            bob,
            "JIGGA",
            "upscale_image",
            "imagen-4.0-upscale-preview",
            "upscale_v4",
            1,
            60_000,
            111,
            sast(2026, 11, 2, 23, 59),
        ),
        (
            bob,
            "JIGGA",
            "generate_video",
            "veo-3.1-fast-generate-001",
            "video_audio",
            6,
            2_400_000,
            4440,
            sast(2026, 11, 30, 23, 59),
        ),
        # Outside November in SAST (but inside November in UTC): must not count.
        (
            bob,
            "JIGGA",
            "generate_image",
            "imagen-3.0-generate-002",
            "image",
            2,
            80_000,
            148,
            sast(2026, 12, 1, 0, 30),
        ),
        (
            alice,
            "JIVE",
            "edit_image",
            "imagen-3.0-capability-001",
            "image",
            1,
            40_000,
            74,
            sast(2026, 10, 31, 23, 0),
        ),
    ]
    # The price row's variant each was charged at (billing.ModelPrice).
    variants = {"image": "1K", "upscale_v4": "upscale", "video": "720p", "video_audio": "1080p+audio"}
    for i, (user, tier, op, model, pc, units, usd, zar, when) in enumerate(rows):
        CostEntry.objects.create(
            user=user,
            tier=tier,
            operation=op,
            model=model,
            price_class=pc,
            variant=variants[pc],
            units=units,
            usd_micros=usd,
            zar_cents=zar,
            rate=Decimal("18.50"),
            reference=f"ref-{i}",
            created_at=when,
        )


# November, by hand: 4 entries, 19 units, R78.07, $4.22.
EXPECTED = {
    "tier": {"JIGGA": (2, 7, "45.51", "2.460000"), "JIVE": (2, 12, "32.56", "1.760000")},
    "user": {"alice": (2, 12, "32.56", "1.760000"), "bob": (2, 7, "45.51", "2.460000")},
    "operation": {
        "generate_image": (1, 4, "2.96", "0.160000"),
        "generate_video": (2, 14, "74.00", "4.000000"),
        "upscale_image": (1, 1, "1.11", "0.060000"),
    },
    "model": {
        "imagen-3.0-generate-002": (1, 4, "2.96", "0.160000"),
        "imagen-4.0-upscale-preview": (1, 1, "1.11", "0.060000"),
        "veo-3.1-fast-generate-001": (1, 6, "44.40", "2.400000"),
        "veo-3.1-generate-001": (1, 8, "29.60", "1.600000"),
    },
    "variant": {
        "imagen-3.0-generate-002/1K": (1, 4, "2.96", "0.160000"),
        "imagen-4.0-upscale-preview/upscale": (1, 1, "1.11", "0.060000"),
        "veo-3.1-fast-generate-001/1080p+audio": (1, 6, "44.40", "2.400000"),
        "veo-3.1-generate-001/720p": (1, 8, "29.60", "1.600000"),
    },
    "day": {
        "2026-11-01": (1, 4, "2.96", "0.160000"),
        "2026-11-02": (2, 9, "30.71", "1.660000"),
        "2026-11-30": (1, 6, "44.40", "2.400000"),
    },
}
TOTAL = (4, 19, "78.07", "4.220000")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("by", sorted(EXPECTED))
def test_cost_report_json_matches_the_hand_computed_totals(ledger, by):
    document = json.loads(run("cost_report", "--month", "2026-11", "--by", by, "--format", "json"))
    got = {r["key"]: (r["entries"], r["units"], r["zar"], r["usd"]) for r in document["rows"]}
    assert got == EXPECTED[by]
    t = document["total"]
    assert (t["entries"], t["units"], t["zar"], t["usd"]) == TOTAL


@pytest.mark.parametrize("by", sorted(EXPECTED))
def test_cost_report_csv_matches_the_hand_computed_totals(ledger, by):
    lines = list(
        csv.reader(io.StringIO(run("cost_report", "--month", "2026-11", "--by", by, "--format", "csv")))
    )
    assert lines[0] == [by, "entries", "units", "zar", "usd"]
    got = {key: (int(n), int(u), zar, usd) for key, n, u, zar, usd in lines[1:-1]}
    assert got == EXPECTED[by]
    assert lines[-1] == ["TOTAL", "4", "19", "78.07", "4.220000"]


@pytest.mark.parametrize("by", sorted(EXPECTED))
def test_cost_report_table_matches_the_hand_computed_totals(ledger, by):
    lines = run("cost_report", "--month", "2026-11", "--by", by).splitlines()
    assert lines[0] == f"Spend from 2026-11-01 to 2026-11-30 (SAST), by {by}"
    body = {line.split()[0]: tuple(line.split()[1:]) for line in lines[3:-2]}
    assert body == {k: (str(n), str(u), zar, usd) for k, (n, u, zar, usd) in EXPECTED[by].items()}
    assert lines[-1].split() == ["TOTAL", "4", "19", "78.07", "4.220000"]


def test_cost_report_takes_a_day_range(ledger):
    document = json.loads(
        run("cost_report", "--from", "2026-11-02", "--to", "2026-11-02", "--by", "tier", "--format", "json")
    )
    assert document["total"]["zar_cents"] == 2960 + 111
    document = json.loads(
        run("cost_report", "--from", "2026-10-31", "--to", "2026-12-01", "--format", "json")
    )
    assert document["total"]["entries"] == 6


def test_cost_report_defaults_to_this_month(make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "images", 2, "now-1")
    services.commit("now-1", operation="generate_image", model="imagen-3.0-generate-002", price_class="image")
    document = json.loads(run("cost_report", "--format", "json"))
    assert document["total"]["zar_cents"] == 148
    assert [r["key"] for r in document["rows"]] == ["generate_image"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["grant", "nobody", "images", "5", "--reason", "r"], "no user named 'nobody'"),
        (["grant", "alice", "songs", "5", "--reason", "r"], "unknown meter 'songs'"),
        (
            ["grant", "alice", "images", "-5", "--reason", "r"],
            "units: must be a whole number from 1 to 1000000",
        ),
        (
            ["grant", "alice", "images", "0", "--reason", "r"],
            "units: must be a whole number from 1 to 1000000",
        ),
        (["grant", "alice", "images", "2.5", "--reason", "r"], "not '2.5'"),
        # isdigit() accepted superscripts; int() accepts other scripts' digits and underscores.
        (["grant", "alice", "images", "\u00b2", "--reason", "r"], "units: must be a whole number"),
        (["grant", "alice", "images", "\u0661\u0662", "--reason", "r"], "units: must be a whole number"),
        (["grant", "alice", "images", "1_000", "--reason", "r"], "units: must be a whole number"),
        # Out of the database's integer range: was a traceback.
        (["grant", "alice", "images", "2147483648", "--reason", "r"], "not '2147483648'"),
        (["grant", "alice", "images", "1000001", "--reason", "r"], "from 1 to 1000000"),
        (["grant", "alice", "images", "5", "--reason", " "], "a reason is required"),
        (["grant", "alice", "images", "5"], "the following arguments are required: --reason"),
        (["grant", "alice", "images"], "the following arguments are required: units"),
        (["grant", "alice", "images", "5", "6", "--reason", "r"], "unrecognized arguments: 6"),
        (
            ["grant", "alice", "images", "5", "--reason", "x" * 1001],
            "--reason: must be at most 1000 characters",
        ),
        (["grant", "alice", "images", "5", "--reason", "bell\x07"], "--reason: must not contain control"),
        (["grant", "al\udcffice", "images", "5", "--reason", "r"], "username: must be valid UTF-8 text"),
        (["grant", "", "images", "5", "--reason", "r"], "username: must not be empty"),
        (["set_tier", "nobody", "JIVE"], "no user named 'nobody'"),
        (["set_tier", "alice", "PLATINUM"], "unknown tier 'PLATINUM'"),
        (["set_tier", "alice", "JIVE\x00"], "tier: must not contain control characters"),
        (["set_tier", "alice"], "the following arguments are required: tier"),
        (["cost_report", "--month", "2026-13"], "--month: must be a month from 2000-01 to 2999-12"),
        (["cost_report", "--month", "nov"], "written like 2026-11, not 'nov'"),
        (["cost_report", "--month", "9999-12"], "--month: must be a month from 2000-01 to 2999-12"),
        (["cost_report", "--from", "2026-11-31"], "--from: must be a date from 2000-01-01 to 2999-12-31"),
        # The day after 9999-12-31 overflowed: was a traceback.
        (["cost_report", "--from", "2026-11-01", "--to", "9999-12-31"], "--to: must be a date from"),
        (["cost_report", "--from", "0001-01-01"], "not '0001-01-01'"),
        (["cost_report", "--from", "2026-11-05", "--to", "2026-11-01"], "--to must not be before --from"),
        (["cost_report", "--to", "2026-11-01"], "--to needs --from"),
        (["cost_report", "--month", "2026-11", "--from", "2026-11-01"], "either --month or --from"),
        (["cost_report", "--by", "colour"], "--by must be one of"),
        (["cost_report", "--format", "xml"], "--format must be"),
        (["cost_report", "--month"], "argument --month: expected one argument"),
        (["seed_demo", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_bad_input_exits_1_with_one_line_and_changes_nothing(make_user, capsys, monkeypatch, argv, message):
    make_user(username="alice", tier="JIVE")
    code, err = run_cli(capsys, monkeypatch, *argv)
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("CommandError: "), err
    assert message in err
    assert not Grant.objects.exists()
    assert not TierChange.objects.exclude(reason="test set-up").exists()
    assert services.plan_for(get_user_model().objects.get(username="alice")).code == "JIVE"


def test_a_grant_is_bounded_for_every_caller(make_user):
    alice = make_user(tier="JIVE")
    with pytest.raises(services.BillingError, match="at most 1000000 units"):
        services.grant(alice, "images", 2_147_483_648, by=None, reason="typo")
    assert not Grant.objects.exists()


def test_cost_report_takes_the_last_allowed_days(ledger):
    document = json.loads(
        run("cost_report", "--from", "2999-12-31", "--to", "2999-12-31", "--format", "json")
    )
    assert document["to"].startswith("3000-01-01")
    document = json.loads(run("cost_report", "--month", "2999-12", "--format", "json"))
    assert document["total"]["entries"] == 0


def test_set_tier_and_grant_are_audited(make_user):
    alice = make_user(username="alice")
    assert "alice is now on JIGGA" in run("set_tier", "alice", "jigga", "--reason", "paid by EFT")
    change = TierChange.objects.get(user=alice)
    assert (change.from_plan.code, change.to_plan.code, change.reason) == ("FREE", "JIGGA", "paid by EFT")
    assert "granted 50 upscales to alice; 100 left" in run(
        "grant", "alice", "upscales", "50", "--reason", "launch promo"
    )
    grant = Grant.objects.get(user=alice)
    assert (grant.meter, grant.units, grant.reason) == ("upscales", 50, "launch promo")
    assert next(b for b in services.remaining(alice) if b.meter == "upscales").remaining == 100


def test_seed_demo_is_idempotent_and_prints_credentials(db):
    first = run("seed_demo")
    second = run("seed_demo")
    assert first == second
    for username, tier in [("demo-free", "FREE"), ("demo-jive", "JIVE"), ("demo-jigga", "JIGGA")]:
        user = get_user_model().objects.get(username=username)
        assert services.plan_for(user).code == tier
        assert username in first
        assert user.check_password("studio-demo")
    assert "password: studio-demo" in first
    assert get_user_model().objects.filter(username__startswith="demo-").count() == 4
    assert get_user_model().objects.get(username="demo-staff").is_staff
    # Verified, so they log in through the log-in page at once.
    assert EmailAddress.objects.filter(user__username__startswith="demo-", verified=True).count() == 4
