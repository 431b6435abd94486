"""`make run` serves on HOST:PORT, and the links in the emails it sends must point there too."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def runserver_line(*args, env_file, **environment):
    # HOST and PORT too: a machine's own HOST (some shells set it) would be make's default.
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT")}
    env.update(environment)
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"ENV_FILE={env_file}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [line for line in dry_run.stdout.splitlines() if "manage.py runserver" in line]
    return line


def test_it_points_site_url_at_the_port_it_serves(tmp_path):
    line = runserver_line("PORT=8101", env_file=tmp_path / "no.env")

    assert line.startswith("SITE_URL=http://127.0.0.1:8101 ")
    assert line.endswith("runserver 127.0.0.1:8101")


def test_it_follows_the_host_too(tmp_path):
    line = runserver_line("HOST=localhost", "PORT=8102", env_file=tmp_path / "no.env")

    assert line.startswith("SITE_URL=http://localhost:8102 ")


def test_it_keeps_site_url_from_the_environment(tmp_path):
    line = runserver_line(
        "PORT=8101", env_file=tmp_path / "no.env", SITE_URL="https://involvement.example.nhs.uk"
    )

    assert "SITE_URL=" not in line


def test_it_keeps_site_url_from_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSITE_URL=https://involvement.example.nhs.uk\n")

    line = runserver_line("PORT=8101", env_file=env_file)

    assert "SITE_URL=" not in line
