"""The FREE tier's sample clips for tests: rendered once per session by the real
`render_samples` command, then copied into each test's MEDIA_ROOT.

Import the fixtures into a test module: `from studio.tests.sample_clips import rendered_samples,
sample_clips  # noqa: F401`.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings


@pytest.fixture(scope="session")
def rendered_samples(tmp_path_factory) -> Path:
    media = tmp_path_factory.mktemp("sample-clips")
    with override_settings(MEDIA_ROOT=media):
        call_command("render_samples", stdout=io.StringIO())
    return media / "samples"


@pytest.fixture
def sample_clips(rendered_samples, settings, tmp_path) -> Path:
    """The rendered clips in this test's MEDIA_ROOT (tmp_path/"media" unless a fixture listed
    before this one, such as studio_env or worker, set it there already)."""
    media = Path(settings.MEDIA_ROOT)
    if tmp_path not in media.parents:
        media = settings.MEDIA_ROOT = tmp_path / "media"
    return Path(shutil.copytree(rendered_samples, media / "samples", dirs_exist_ok=True))
