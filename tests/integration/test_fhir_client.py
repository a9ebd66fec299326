"""A real FHIR client nobody here wrote (fhir-kit-client, npm) plays an EMR's session against a real gateway and
allocator: CapabilityStatement, free slots (paged), booking, reading back, cancelling, a waiting patient promoted.

``npm ci`` installs the client from tests/fhir_client/package-lock.json when it is missing; without npm the test
is skipped, saying so.
"""

import asyncio
import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import API_KEYS
from tests.support.api import ApiClient, create_doctor
from tests.support.services import Running

CLIENT_DIR = Path(__file__).parents[1] / "fhir_client"
pytestmark = pytest.mark.timeout(180)


def _install_client() -> None:
    """``npm ci`` once, under a lock (parallel test runs share the folder)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm and node are needed for the fhir-kit-client session (apt-get install nodejs npm)")
    with (CLIENT_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CLIENT_DIR / "node_modules" / "fhir-kit-client").is_dir():
            installed = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=150
            )
            assert installed.returncode == 0, f"npm ci failed in {CLIENT_DIR}:\n{installed.stderr}"


async def test_fhir_kit_client_books_cancels_and_sees_the_waiting_patient_promoted(
    api: ApiClient, allocator: Running
) -> None:
    await asyncio.to_thread(_install_client)
    doctor = await create_doctor(api, capacity=2, reserved=1)  # one regular seat a slot: the second patient waits
    node = await asyncio.create_subprocess_exec(
        "node",
        str(CLIENT_DIR / "session.mjs"),
        str(api.make_url("/fhir")),
        doctor["id"],
        "2026-12-01",  # the test clock's day
        API_KEYS["booking"],
        API_KEYS["staff"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(node.communicate(), 120)
    assert node.returncode == 0, err.decode()
    seen = json.loads(out.decode().strip().splitlines()[-1])
    assert seen == {
        "capability": ["Practitioner", "Schedule", "Slot", "Appointment"],
        "freeSlots": 2,
        "booked": "booked",
        "waiting": "waitlist",
        "slotAfterBooking": "busy",
        "withoutCode": "FORBIDDEN",
        "cancelled": "cancelled",
        "promoted": "Waiting Patient",
    }
