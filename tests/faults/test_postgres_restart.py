"""PostgreSQL restarted under load: the web processes and a worker reconnect by themselves.

Everything runs against a private cluster (the machine's PostgreSQL is shared): gunicorn with two
sync workers and persistent connections (CONN_MAX_AGE, CONN_HEALTH_CHECKS), a Celery worker, and
client threads requesting a page that reads the database. A lock holds some requests inside the
database when the cluster restarts, so there are requests in flight for certain. They must fail
cleanly (a 500 carrying its request id, in the page and in the log); later ones must succeed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from okrplatform.celery import app as celery_app

from .conftest import BASE_DIR, celery_on, celery_process, wait_for
from .services import free_port, private_postgres, private_redis

pytestmark = pytest.mark.faults

CLIENTS = 4


@dataclass
class Answer:
    after_restart: bool
    status: int
    request_id: str
    body: str


def _server_env(database_url: str, broker_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "REDIS_URL": "",  # no cache server in this test: the local-memory cache
        "DEBUG": "false",
    }


def _load(base: str, session: str, stop: threading.Event, restarted: threading.Event, out: list):
    with httpx.Client(base_url=base, cookies={"sessionid": session}, timeout=30) as client:
        while not stop.is_set():
            after = restarted.is_set()
            response = client.get("/acme/kpis/")
            out.append(
                Answer(
                    after,
                    response.status_code,
                    response.headers.get("x-request-id", ""),
                    response.text,
                )
            )


def _waiting_on_the_lock(conninfo: str) -> int:
    with psycopg.connect(conninfo) as db:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return db.execute(query).fetchone()[0]


def test_web_and_worker_reconnect_after_a_restart_and_in_flight_requests_fail_cleanly() -> None:
    with private_postgres() as cluster, private_redis() as broker:
        cluster.create_database("okr")
        url = cluster.url("okr")
        conninfo = f"host=127.0.0.1 port={cluster.port} user=postgres dbname=okr"
        env = _server_env(url, broker.url(0))
        run = {"env": env, "cwd": BASE_DIR, "capture_output": True, "text": True}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, **run)
        seed = [sys.executable, "-m", "tests.faults.seed_private"]
        session = subprocess.run(seed, check=True, **run)
        session_key = session.stdout.strip().splitlines()[-1]

        port = free_port()
        log = Path(tempfile.mkstemp(prefix="okr-faults-gunicorn-", suffix=".log")[1])
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "okrplatform.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        queue = "okr-faults-restart"
        worker = ("worker", "--pool=solo", "-Q", queue, "--without-mingle", "--without-gossip")
        try:
            with celery_on(broker.url(0)), celery_process(*worker, env=env):
                base = f"http://127.0.0.1:{port}"
                wait_for(lambda: _get_ok(base, session_key), "gunicorn to serve the page")
                celery_app.send_task("okrplatform.health.canary", queue=queue)
                first_answer = wait_for(lambda: _answered_at(conninfo), "the worker's answer")

                per_client: list[list[Answer]] = [[] for _ in range(CLIENTS)]
                stop, restarted = threading.Event(), threading.Event()
                clients = [
                    threading.Thread(target=_load, args=(base, session_key, stop, restarted, out))
                    for out in per_client
                ]

                def answers() -> list[Answer]:
                    return [answer for out in per_client for answer in out]

                for client in clients:
                    client.start()
                try:
                    wait_for(lambda: len(answers()) >= 20, "load before the restart")
                    holder = psycopg.connect(conninfo)
                    try:
                        holder.execute("LOCK TABLE kpis_kpi IN ACCESS EXCLUSIVE MODE")
                        wait_for(lambda: _waiting_on_the_lock(conninfo) >= 2, "requests in flight")
                        restarted.set()
                        cluster.restart()  # fast: every backend is cut, the lock holder too
                    finally:
                        with contextlib.suppress(psycopg.Error):
                            holder.close()
                    wait_for(
                        lambda: sum(a.after_restart and a.status == 200 for a in answers()) >= 20,
                        "requests to succeed again",
                    )
                finally:
                    stop.set()
                    for client in clients:
                        client.join(60)

                # The worker was not restarted either: it takes the next task on a new connection.
                celery_app.send_task("okrplatform.health.canary", queue=queue)
                wait_for(
                    lambda: _answered_at(conninfo) > first_answer, "the worker's answer after it"
                )
        finally:
            gunicorn.terminate()
            gunicorn.wait(20)
        logged = log.read_text()
        log.unlink()

    failed = [a for a in answers() if a.status != 200]
    assert failed, "no request was in flight during the restart"
    for answer in failed:
        assert answer.status == 500
        assert len(answer.request_id) == 32
        assert f'<code data-testid="request-id">{answer.request_id}</code>' in answer.body
        assert f"[{answer.request_id}] Internal Server Error: /acme/kpis/" in logged
    # Once a client's request succeeds after the restart, every later one does: nobody had to
    # restart gunicorn for its persistent connections to heal.
    for out in per_client:
        after = [answer.status for answer in out if answer.after_restart]
        assert set(after[after.index(200) :]) == {200}, after


def _get_ok(base: str, session_key: str) -> bool:
    try:
        response = httpx.get(f"{base}/acme/kpis/", cookies={"sessionid": session_key}, timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and "Churn" in response.text


def _answered_at(conninfo: str):
    with psycopg.connect(conninfo) as db:
        row = db.execute("SELECT answered_at FROM health_workerheartbeat").fetchone()
    return row[0] if row else None
