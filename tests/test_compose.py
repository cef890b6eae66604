"""docker-compose.yml cannot run here (no Docker engine): check it agrees with the code."""

import importlib
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ["migrate", "web", "worker", "sync-worker", "beat", "listener"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def variables_settings_read() -> set[str]:
    source = (ROOT / "webmail" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', source))
    return names | {f"{name}_FILE" for name in names}


def test_the_stack_has_every_service(compose):
    expected = {"postgres", "redis", "mail", *APP_SERVICES}
    assert expected <= set(compose["services"])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_only_set_variables_that_settings_read(compose, service):
    environment = compose["services"][service]["environment"]
    assert set(environment) - variables_settings_read() == set()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_secret_files_are_mounted_where_the_variables_point(compose, service):
    definition = compose["services"][service]
    for name, value in definition["environment"].items():
        if name.endswith("_FILE"):
            secret = value.removeprefix("/run/secrets/")
            assert secret in definition["secrets"], name
            assert secret in compose["secrets"], name


def test_app_services_reach_postgres_and_redis_by_service_name(compose):
    environment = compose["services"]["web"]["environment"]
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    postgres = compose["services"]["postgres"]["environment"]
    assert environment["DATABASE_URL"].endswith(f"/{postgres['POSTGRES_DB']}")
    assert f"//{postgres['POSTGRES_USER']}@" in environment["DATABASE_URL"]


def test_the_web_command_names_the_real_asgi_application(compose):
    command = compose["services"]["web"]["command"]
    module, attribute = command[1].split(":")
    assert command[0] == "uvicorn"
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize(
    ("service", "role"), [("worker", "worker"), ("sync-worker", "worker"), ("beat", "beat")]
)
def test_celery_services_run_the_courriel_app(compose, service, role):
    command = compose["services"][service]["command"]
    assert command[:4] == ["celery", "-A", "webmail", role]
    assert importlib.import_module("webmail").celery_app.main == "courriel"


def test_the_workers_consume_every_queue_tasks_are_routed_to(compose, settings):
    # compose runs with the default queue name; the tests run with their own.
    consumed = set()
    for service in ["worker", "sync-worker"]:
        command = compose["services"][service]["command"]
        consumed.update(command[command.index("-Q") + 1].split(","))
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    routed = {
        route["queue"].replace(default, "courriel", 1)
        for route in settings.CELERY_TASK_ROUTES.values()
    }
    assert consumed == {"courriel", *routed}


def test_the_listener_runs_the_real_command(compose):
    from django.core.management import get_commands

    command = compose["services"]["listener"]["command"]
    assert command[:3] == ["python", "manage.py", "listen_for_mail"]
    assert get_commands()["listen_for_mail"] == "webmail"


def test_web_waits_for_migrations(compose):
    depends = compose["services"]["web"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert compose["services"]["migrate"]["command"][-2:] == ["migrate", "--no-input"]


def test_every_image_is_pinned(compose):
    for name, service in compose["services"].items():
        image = service.get("image", "")
        if "build" in service:
            continue
        assert ":" in image and not image.endswith(":latest"), name


def test_the_image_runs_python_3_13():
    assert "FROM python:3.13" in (ROOT / "Dockerfile").read_text()


def test_the_secrets_script_creates_every_secret_compose_mounts(compose):
    script = (ROOT / "scripts" / "make-secrets").read_text()
    for secret in compose["secrets"].values():
        assert f"new_secret {Path(secret['file']).name} " in script
