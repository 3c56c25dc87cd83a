"""One emulator for the emulator's own tests, reset before each test that uses it (no pending
faults, an empty request log). It needs no database and no Django."""

from __future__ import annotations

import pytest

from emulator import start_emulator
from emulator.tests.helpers import make_client


@pytest.fixture(scope="session")
def emu():
    emulator = start_emulator(port=0, gcs_port=0, operation_delay=0.5)
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def clean_emulator(request):
    # Only the tests that talk to the emulator start it; the import-boundary test does not.
    if "emu" in request.fixturenames or "client" in request.fixturenames:
        request.getfixturevalue("emu").reset()


@pytest.fixture(scope="session")
def client(emu):
    return make_client(emu)
