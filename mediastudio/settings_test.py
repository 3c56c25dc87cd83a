"""Settings for the test suite (pyproject.toml points pytest here): production's settings, with
a fixed test key, plain HTTP and a fast password hasher.

The key and HTTPS=false go into the environment before the settings are read, so every process
the tests start (the qcluster of studio/tests/cluster.py, manage.py and probe subprocesses, which
inherit this environment and DJANGO_SETTINGS_MODULE) reads the same configuration. A subprocess
that wants production's module exactly sets DJANGO_SETTINGS_MODULE=mediastudio.settings itself.
"""

from __future__ import annotations

import os

# Public, so good for nothing but tests; strong by Django's test (W009) so DEBUG can stay off.
os.environ["SECRET_KEY"] = "test-suite-only-key-Xq7mR2vL9pW4nT8sK3jH6fB1cZ5yD0gA"
os.environ.pop("SECRET_KEY_FILE", None)
os.environ["HTTPS"] = "false"

from mediastudio.settings import *  # noqa: E402, F403
from mediastudio.settings import STORAGES  # noqa: E402

# Hashing thousands of test passwords with PBKDF2 costs minutes; MD5 is fine for throwaway users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Pages read static files from the source folders (no collectstatic before a test run); the
# production storage (hashed names) is tested by test_static_files.py under mediastudio.settings.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# ...and WhiteNoise finds them there too, as it does with DEBUG on (no STATIC_ROOT needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
