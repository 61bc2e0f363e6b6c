"""The README's curl walk-through runs, as written, against a live ``hub serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import get_session
from hub.models import Order
from tests import conftest
from tests.integration.test_worker_embedded import Server
from tests.integration.workers import HUB, wait_until, worker_env

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
BASE_URL = "HUB=http://127.0.0.1:8000"


def walkthrough() -> str:
    """Return the shell block that follows the ``walkthrough: api`` marker in the README."""
    found = re.search(r"<!-- walkthrough: api -->\n```sh\n(.*?)\n```", README.read_text(), re.S)
    assert found, "README.md lost its API walk-through"
    return found.group(1)


def test_the_walkthrough_names_each_step_and_the_address_it_serves() -> None:
    script = walkthrough()
    assert script.startswith(BASE_URL + "\n")
    for step in ("token create", "/api/v1/customers", "/api/v1/orders", "/schedule", "/complete"):
        assert step in script


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through needs curl")
def test_the_readme_walkthrough_takes_an_order_to_done_on_a_live_server(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path
) -> None:
    server = Server(database, tmp_path, "--no-worker")
    try:
        assert wait_until(server.ready, timeout=30), server.log()
        script = walkthrough().replace(BASE_URL, f"HUB=http://127.0.0.1:{server.port}", 1)
        env = worker_env(database, tmp_path, log_level="WARNING")
        env["PATH"] = f"{HUB.parent}{os.pathsep}{env.get('PATH', '')}"
        ran = subprocess.run(
            ["bash", "-c", f"set -euo pipefail\n{script}"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert ran.returncode == 0, ran.stdout + ran.stderr + server.log()
    last = json.loads(ran.stdout.strip().splitlines()[-1])
    assert (last["status"], last["lines"][0]["service_code"]) == ("done", "PARCEL")
    with app.app_context():
        session = get_session()
        order = session.scalars(sa.select(Order)).one()
        assert (order.ref, order.status, order.provider_id is not None) == (
            last["ref"],
            "done",
            True,
        )
        session.commit()
