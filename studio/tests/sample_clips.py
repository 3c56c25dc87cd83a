"""The FREE tier's sample clips for tests: rendered once per session by the real
`render_samples` command into a temporary SAMPLES_ROOT, which each test's static files then
include (as the repository's samples/ does after `make run`).

Import the fixtures into a test module: `from studio.tests.sample_clips import rendered_samples,
sample_clips  # noqa: F401`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings


@pytest.fixture(scope="session")
def rendered_samples(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample-clips")
    with override_settings(SAMPLES_ROOT=folder):
        call_command("render_samples", stdout=io.StringIO())
    return folder


@pytest.fixture
def sample_clips(rendered_samples, settings) -> Path:
    """The rendered clips as static files under samples/ (in place of the repository's samples/)."""
    settings.SAMPLES_ROOT = rendered_samples
    settings.STATICFILES_DIRS = [("samples", str(rendered_samples)), *settings.STATICFILES_DIRS]
    return rendered_samples
