"""MediaAsset.sha256: the file's digest, stored once when the asset is made.

save_upload finds "the same picture, uploaded again" with one indexed query on (owner, sha256)
instead of reading recent uploads back from storage (a network read each on GCS). Existing rows
are filled in here by reading their files; a file that is gone leaves the digest empty (such an
asset is never matched, which is what a lookup for it should find anyway).
"""

import hashlib
import logging

from django.conf import settings
from django.db import migrations, models

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def fill_digests(apps, schema_editor):
    MediaAsset = apps.get_model("studio", "MediaAsset")
    missing = 0
    for asset in MediaAsset.objects.filter(sha256="").only("id", "file").iterator(chunk_size=200):
        digest = hashlib.sha256()
        try:
            with asset.file.open("rb") as f:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    digest.update(chunk)
        except (OSError, ValueError):
            # OSError: the file is gone (FileNotFoundError on local storage and on GCS);
            # ValueError: the row names no file at all.
            missing += 1
            continue
        MediaAsset.objects.filter(pk=asset.pk).update(sha256=digest.hexdigest())
    if missing:
        log.warning("sha256 left empty for %d assets whose files are missing", missing)


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0004_address_window"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="mediaasset",
            name="sha256",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="Hex SHA-256 of the file, set when the asset is stored: finds a re-sent upload "
                "without reading any file back (empty only where the file was missing when it was filled in)",
                max_length=64,
            ),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="mediaasset",
            index=models.Index(fields=["owner", "sha256"], name="asset_owner_sha256"),
        ),
    ]
