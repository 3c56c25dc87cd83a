"""`manage.py render_samples`: make the FREE tier's sample clips (studio/samples.py).

Part of set-up (`make run` runs it before serving). Clips that exist are skipped, so it costs a
directory listing on every start; --force renders them all again.
"""

from __future__ import annotations

from mediastudio.commands import OperatorCommand
from studio import samples


class Command(OperatorCommand):
    help = "Render the Video Studio sample clips for FREE users into SAMPLES_ROOT (then collectstatic)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Render every clip again.")

    def handle(self, *args, force: bool, **options):
        rendered = 0
        for sample in samples.CATALOGUE:
            if samples.render(sample, force=force):
                rendered += 1
                self.stdout.write(f"rendered {sample.slug} ({sample.aspect}, {samples.SECONDS} s)")
        skipped = len(samples.CATALOGUE) - rendered
        self.stdout.write(
            self.style.SUCCESS(
                f"Sample clips in {samples.folder()}: {rendered} rendered, {skipped} already there."
            )
        )
