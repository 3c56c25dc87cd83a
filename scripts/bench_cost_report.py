"""How long cost_report takes on a large ledger (PostgreSQL). A benchmark, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mediastudio_bench \
        .venv/bin/python scripts/bench_cost_report.py --rows 1000000

The database named in DATABASE_URL is created if missing, migrated, and filled with `--rows`
ledger rows spread over three months (COPY, so filling takes seconds, not hours), then vacuumed
and analyzed as autovacuum would a live ledger. It then runs
cost_report for the middle month in every grouping and format, then the admin's cost entries page
(the whole ledger, a month, a month and an operation, a user searched) in-process, and prints the
median of 5 runs of each.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The test suite's settings (a key, plain HTTP): this measures queries, not a deployment.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mediastudio.settings_test")


def ensure_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def fill(rows: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from billing.models import CostEntry
    from billing.periods import SAST

    have = CostEntry.objects.count()
    if have >= rows:
        print(f"ledger already has {have:,} rows")
        return
    User = get_user_model()
    users = [User.objects.get_or_create(username=f"bench{i}")[0].pk for i in range(2000)]
    operations = [
        ("generate_image", "imagen-3.0-generate-002", "image", "1K", 40_000, 74),
        ("edit_image", "imagen-3.0-capability-001", "image", "1K", 40_000, 74),
        ("upscale_image", "imagen-4.0-upscale-preview", "upscale_v4", "upscale", 60_000, 111),
        ("generate_video", "veo-3.1-generate-001", "video", "720p", 200_000, 370),
        ("generate_video", "veo-3.1-fast-generate-001", "video_audio", "1080p+audio", 400_000, 740),
    ]
    start = datetime(2026, 9, 1, tzinfo=SAST)
    span = int(timedelta(days=91).total_seconds())
    rng = random.Random(7)
    t0 = time.perf_counter()
    columns = (
        "user_id, tier, operation, model, price_class, variant, units, usd_micros, zar_cents, rate, "
        "reference, kind, note, created_at"
    )
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(f"COPY billing_costentry ({columns}) FROM STDIN") as copy,
    ):
        for n in range(have, rows):
            op, model, pc, variant, usd, zar = rng.choice(operations)
            units = rng.choice([1, 2, 4]) if pc.startswith(("image", "upscale")) else rng.choice([4, 6, 8])
            copy.write_row(
                (
                    rng.choice(users),
                    rng.choice(["FREE", "JIVE", "JIGGA"]),
                    op,
                    model,
                    pc,
                    variant,
                    units,
                    usd * units,
                    zar * units,
                    "18.50",
                    f"bench-{n}",
                    "charge",
                    "",
                    start + timedelta(seconds=rng.randrange(span)),
                )
            )
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cursor:
        # What autovacuum does to a live database (this server may run without it): statistics
        # (the users too: the admin's search plans by how many users a term matches), and the
        # ledger's visibility map, which lets a report read the covering index alone.
        cursor.execute("VACUUM ANALYZE billing_costentry, auth_user")
    print(f"filled {rows - have:,} rows in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is created if missing)")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    from billing.models import CostEntry

    call_command("migrate", verbosity=0)
    fill(args.rows)
    in_month = CostEntry.objects.filter(
        created_at__gte="2026-10-01T00:00+02:00", created_at__lt="2026-11-01T00:00+02:00"
    ).count()
    print(f"ledger: {CostEntry.objects.count():,} rows, {in_month:,} in 2026-10")
    print(f"{'--by':<10} {'--format':<7} {'median ms':>10} {'max ms':>8}")
    for by in ["tier", "user", "operation", "model", "variant", "day"]:
        for fmt in ["table", "csv", "json"]:
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                call_command(
                    "cost_report", "--month", "2026-10", "--by", by, "--format", fmt, stdout=io.StringIO()
                )
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{by:<10} {fmt:<7} {statistics.median(times):>10.0f} {max(times):>8.0f}")
    admin_page(args.runs)


def admin_page(runs: int) -> None:
    """The staff's cost entries page (list, filters, count, chart), in-process, as a superuser."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)
    print(f"\n{'admin cost entries':<36} {'median ms':>10} {'max ms':>8}")
    for label, query in [
        ("the whole ledger", {}),
        ("a month", {"month": "2026-10"}),
        ("a month and an operation", {"month": "2026-10", "operation": "generate_video"}),
        ("a user searched", {"q": "bench7"}),
    ]:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            response = client.get("/admin/billing/costentry/", query)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"{label:<36} {statistics.median(times):>10.0f} {max(times):>8.0f}")


if __name__ == "__main__":
    main()
