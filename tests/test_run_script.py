"""The README's run command brings up a Courriel one can sign into."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.harness.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 240) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scripts/run exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.fixture(params=["redis", "no redis"])
def running_courriel(request, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_"))}
    env.update(PORT=str(port), VAR_DIR=str(tmp_path / "var"))
    if request.param == "no redis":
        env["REDIS_URL"] = ""  # the documented single-machine fallback
    for name in ["DEBUG", "SECRET_KEY", "CREDENTIALS_KEY", "HTTPS_ONLY", "ALLOWED_HOSTS"]:
        env.pop(name, None)
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        ["bash", "scripts/run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", env, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:  # a worker still finishing: stop it hard
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()
        print((tmp_path / "run.log").read_text()[-3000:])


def test_the_run_command_serves_the_sign_in_page_and_creates_an_admin(running_courriel):
    base_url, env, process = running_courriel
    health = wait_for_health(f"{base_url}/health/", process)
    assert b'"database": true' in health and b'"cache": true' in health

    with urllib.request.urlopen(f"{base_url}/accounts/login/", timeout=10) as response:
        page = response.read().decode()
    assert "Sign In" in page
    assert "/static/courriel/courriel." in page

    admin = subprocess.run(
        ["bash", "scripts/manage", "createsuperuser", "--no-input"],
        cwd=ROOT,
        env={**env, "DJANGO_SUPERUSER_EMAIL": "root@example.org", "DJANGO_SUPERUSER_PASSWORD": "x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert admin.returncode == 0, admin.stderr
    assert "Superuser created successfully." in admin.stdout


def test_the_worker_answers_even_without_redis(running_courriel):
    base_url, env, process = running_courriel
    wait_for_health(f"{base_url}/health/", process)
    code = (
        "from webmail.tasks import health_check; "
        "print(health_check.delay().get(timeout=60)['status'])"
    )
    answer = subprocess.run(
        ["bash", "scripts/manage", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert answer.stdout.strip().splitlines()[-1] == "ok", answer.stderr
