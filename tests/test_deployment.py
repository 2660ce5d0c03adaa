"""The production stack as files: docker-compose.yml, Dockerfile, Procfile and production settings.

There is no Docker engine here, so the compose file is parsed and checked against the code: the
services exist, every app service builds the one image from the Dockerfile, each command names
modules that exist, and the environment it gives passes ``manage.py check --deploy``.
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKERS = ("worker-integrations", "worker-webhooks", "worker-default")  # one per queue
PROCESSES = ("web", *WORKERS, "beat")  # the Procfile's process types
APP_SERVICES = {"migrate", *PROCESSES}
# Variables the stack passes that the settings read; everything else in the tests' own
# environment is dropped so these subprocesses see only what a container would.
SETTINGS_VARIABLES = {
    "DJANGO_ENV", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS", "OKR_TESTING", "DEBUG", "INTEGRATION_CREDENTIAL_KEYS",
}  # fmt: skip


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _command(service: dict[str, Any]) -> str:
    """The service's command as the container's shell runs it (compose turns $$ into $)."""
    command = service["command"]
    if isinstance(command, list):
        command = command[2] if command[:2] == ["sh", "-c"] else shlex.join(command)
    text = str(command).replace("$$", "$")
    return text.removeprefix("exec ")


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} (an unset ?-variable is an error)."""

    def replace(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
        if given.get(name):
            return given[name]
        if operator == ":?":
            raise KeyError(f"{name} is required: {argument}")
        return argument if operator == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", replace, value)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _operator_env() -> dict[str, str]:
    """What an operator puts in .env, as README.md describes."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "ALLOWED_HOSTS": "okr.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://okr.example.com",
        "INTEGRATION_CREDENTIAL_KEYS": _fernet_key(),
    }


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests lift Django's async guard for their own process; a deployment check
    # must see the environment a real deployment has.
    inherited = SETTINGS_VARIABLES | {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        # A guard against a hung command, not a timing assertion: collectstatic compresses
        # every file with Brotli and took 2.5 min here on a loaded machine.
        timeout=600,
        check=False,
    )


# --- docker-compose.yml ---------------------------------------------------------------------


def test_the_stack_has_its_services() -> None:
    assert set(_services()) == {"postgres", "redis"} | APP_SERVICES


def test_every_app_service_builds_the_one_image_from_the_dockerfile() -> None:
    services = _services()
    images = set()
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = (ROOT / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        images.add(services[name]["image"])
    assert len(images) == 1
    assert "build" not in services["postgres"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_redis_never_evicts_and_persists() -> None:
    command = _command(_services()["redis"])
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command


def test_web_worker_and_beat_run_the_procfiles_commands() -> None:
    procfile = _procfile()
    services = _services()
    assert set(procfile) == set(PROCESSES)
    for name in PROCESSES:
        assert _command(services[name]) == procfile[name], name


def test_the_commands_name_modules_that_exist() -> None:
    services = _services()
    web = shlex.split(_command(services["web"]))
    assert web[0] == "gunicorn"
    wsgi_module = importlib.import_module(web[1])  # okrplatform.wsgi
    assert callable(wsgi_module.application)

    from okrplatform.celery import app as celery_app

    for name in (*WORKERS, "beat"):
        words = shlex.split(_command(services[name]))
        assert words[:2] == ["celery", "-A"]
        assert importlib.import_module(f"{words[2]}.celery").app is celery_app
        assert words[3] == name.split("-")[0]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert (ROOT / "manage.py").is_file()


def _consumed_queues(command: str) -> list[str]:
    queues = re.search(r"--queues=(\S+)", command)
    assert queues, command
    return queues.group(1).split(",")


def _production_queues() -> set[str]:
    from django.conf import settings

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return {settings.CELERY_TASK_DEFAULT_QUEUE, *routed}


def test_each_queue_has_a_worker_service_of_its_own() -> None:
    """Every queue the settings route tasks to is consumed by exactly one worker service, which
    consumes nothing else, so each kind of work scales (and backs up) on its own."""
    services = _services()
    consumed = [_consumed_queues(_command(services[name])) for name in WORKERS]
    assert all(len(queues) == 1 for queues in consumed), consumed
    assert sorted(queue for [queue] in consumed) == sorted(_production_queues())
    assert {"integrations", "webhooks", "default"} == _production_queues()


def test_the_development_worker_consumes_every_queue() -> None:
    """`make run` starts one worker (Procfile.dev): it must take every queue, or a routed task
    (a webhook delivery, a sync) would wait forever in development."""
    lines = (ROOT / "Procfile.dev").read_text().splitlines()
    procfile_dev = dict(line.split(": ", 1) for line in lines if line.strip())
    assert set(_consumed_queues(procfile_dev["worker"])) == _production_queues()


def test_every_production_queue_has_a_canary() -> None:
    """/healthz/worker would not notice a queue nobody consumes unless beat probes it."""
    from django.conf import settings

    assert set(settings.WORKER_CANARY_QUEUES) == _production_queues()
    scheduled = {
        entry["options"]["queue"]  # type: ignore[index]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "okrplatform.health.canary"
    }
    assert scheduled == _production_queues()


def test_services_start_in_order_and_have_health_checks() -> None:
    services = _services()
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"  # a one-shot step
    for name in PROCESSES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
    for name in ("postgres", "redis", *PROCESSES):
        assert services[name]["healthcheck"]["test"], name
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in web_check
    from django.urls import resolve

    assert resolve("/healthz").url_name == "healthz"


def test_app_services_run_in_production_mode_against_the_stacks_servers() -> None:
    services = _services()
    given = _operator_env()
    for name in APP_SERVICES:
        environment = {
            key: _interpolate(str(value), given)
            for key, value in services[name]["environment"].items()
        }
        assert environment["DJANGO_ENV"] == "production", name
        assert re.fullmatch(r"postgres://\w+:[^@]+@postgres:5432/\w+", environment["DATABASE_URL"])
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert environment["REDIS_URL"] != environment["CELERY_BROKER_URL"]
        assert "okr.example.com" in environment["ALLOWED_HOSTS"].split(",")


def test_secrets_have_no_defaults_in_the_compose_file() -> None:
    environment = _services()["web"]["environment"]
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "INTEGRATION_CREDENTIAL_KEYS"):
        with pytest.raises(KeyError, match=name):
            _interpolate(str(environment[name]), {})
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        _interpolate(str(environment["DATABASE_URL"]), {})


def test_the_compose_environment_passes_the_deploy_checks() -> None:
    """What the web container gets from compose + .env is enough for production settings."""
    given = _operator_env()
    environment = {
        key: _interpolate(str(value), given)
        for key, value in _services()["web"]["environment"].items()
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=environment)
    assert result.returncode == 0, result.stderr + result.stdout


# --- Dockerfile -----------------------------------------------------------------------------


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_the_dockerfile_builds_a_slim_non_root_image_pinned_by_the_constraints() -> None:
    dockerfile = _dockerfile()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    workdir = re.findall(r"^WORKDIR (\S+)", dockerfile, re.MULTILINE)[-1]
    # Settings create var/ under the work directory, as that user.
    assert re.search(rf"chown {users[-1]}:\S+ {workdir}$", dockerfile, re.MULTILINE)
    assert "-c requirements/constraints.txt" in dockerfile
    for source in re.findall(r"^COPY (?:--\S+ )*(\S+) ", dockerfile, re.MULTILINE):
        assert (ROOT / source).exists(), source


def test_the_build_context_keeps_code_and_drops_secrets_and_local_state() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", "var", ".git"} <= ignored
    for needed in ("manage.py", "okrplatform", "templates", "static", "pyproject.toml"):
        assert needed not in ignored


def test_collectstatic_at_build_time_works_with_the_dockerfiles_dummy_settings(
    tmp_path: Path,
) -> None:
    """Runs the Dockerfile's collectstatic step (into a temporary folder, not var/)."""
    step = re.search(
        r"^RUN ((?:\w+=\S+ \\\n\s*)+)python manage.py collectstatic --no-input$",
        _dockerfile(),
        re.MULTILINE,
    )
    assert step, "the Dockerfile collects static files with `python manage.py collectstatic`"
    build_env = dict(re.findall(r"(\w+)=(\S+)", step.group(1)))
    (tmp_path / "collect_settings.py").write_text(
        "from okrplatform.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(tmp_path / 'static')!r}\n"
    )
    result = _manage(
        "collectstatic",
        "--no-input",
        env={
            **build_env,
            "DJANGO_SETTINGS_MODULE": "collect_settings",
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        },
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()  # hashed for whitenoise
    assert list((tmp_path / "static" / "css").glob("app.*.css"))


# --- Production settings --------------------------------------------------------------------


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://okr:secret-pw@db.internal:5432/okrplatform",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "ALLOWED_HOSTS": "okr.example.com",
        "INTEGRATION_CREDENTIAL_KEYS": _fernet_key(),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value}


def test_production_refuses_to_start_without_its_secrets() -> None:
    result = _manage("check", env=_production_env(SECRET_KEY="", DATABASE_URL=""))
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "DJANGO_ENV=production needs these environment variables" in message
    assert "SECRET_KEY" in message
    assert "DATABASE_URL" in message
    assert "ALLOWED_HOSTS" not in message  # only the missing ones are named


def test_production_with_its_settings_passes_the_deploy_checks() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_answers_health_probes_over_plain_http() -> None:
    """Load balancers and orchestrators probe the process directly, without TLS: both health
    endpoints answer there instead of redirecting to https; every other path redirects."""
    probe = (
        "from django.middleware.security import SecurityMiddleware as M; "
        "from django.test import RequestFactory as F; "
        "print([getattr(M(print).process_request(F(SERVER_NAME='okr.example.com').get(p)), "
        "'status_code', 'served') for p in ('/healthz', '/healthz/worker', '/accounts/login/')])"
    )
    result = _manage("shell", "-c", probe, env=_production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['served', 'served', 301]"


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        ("not a url", "not a PostgreSQL or SQLite URL (no scheme)"),
        ("mysql://okr:secret-pw@db:3306/okr", "not a PostgreSQL or SQLite URL (scheme 'mysql')"),
        ("postgres://okr:secret-pw@db:port/okr", "not a valid database URL"),
        ("postgres://okr:secret-pw@db:5432", "names no database"),
    ],
)
def test_a_malformed_database_url_stops_start_up_with_a_clear_message(
    database_url: str, message: str
) -> None:
    result = _manage("check", env=_production_env(DATABASE_URL=database_url))
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert message in last_line
    assert "postgres://user:password@host:5432/dbname" in last_line  # what to write instead
    assert "secret-pw" not in result.stderr  # the password never reaches the log
