from __future__ import annotations

from mediastudio.commands import OperatorCommand
from studio import providers


class Command(OperatorCommand):
    help = (
        "Show the model catalog, the provider configuration, breaker states and lifecycle warnings. "
        "With --live, make one minimal call per configured model (paid on Google: about one image "
        "per image model and a 4-second video per Veo model)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--live", action="store_true", help="call every configured model once")

    def handle(self, *args, live: bool, **options):
        out = self.stdout
        out.write(self.style.MIGRATE_HEADING("Catalog (operation -> model)"))
        rows = providers.catalog_rows()
        header = (
            "operation",
            "model",
            "family",
            "price class",
            "location",
            "lifecycle",
            "retires",
            "setting",
        )
        table = [header] + [
            (
                r.operation,
                r.model,
                r.family,
                r.price_class,
                r.location,
                r.lifecycle,
                r.retirement_date,
                r.setting,
            )
            for r in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            out.write(("  " + "  ".join(cells)).rstrip())

        out.write(self.style.MIGRATE_HEADING("Configuration"))
        for name, value in providers.configuration():
            out.write(f"  {name}: {value}")

        out.write(self.style.MIGRATE_HEADING("Circuit breakers"))
        for model, state, failures in providers.breaker_states():
            styled = self.style.SUCCESS(state) if state == "closed" else self.style.ERROR(state)
            out.write(f"  {model}: {styled} ({failures} consecutive failures)")

        out.write(self.style.MIGRATE_HEADING("Lifecycle warnings"))
        warnings = providers.lifecycle_warnings()
        for warning in warnings:
            out.write("  " + self.style.WARNING(warning))
        if not warnings:
            out.write("  none")

        out.write(self.style.MIGRATE_HEADING("Configuration warnings"))
        problems = providers.configuration_warnings()
        for problem in problems:
            out.write("  " + self.style.WARNING(problem))
        if not problems:
            out.write("  none")

        if not live:
            return
        out.write(self.style.MIGRATE_HEADING("Live calls"))
        failed = 0
        for result in providers.live_check():
            mark = self.style.SUCCESS("OK    ") if result.ok else self.style.ERROR("FAILED")
            out.write(f"  {mark} {result.operation} {result.model} ({result.seconds:.1f}s): {result.detail}")
            failed += not result.ok
        out.write(f"  {failed} of the live calls failed" if failed else "  every live call succeeded")
