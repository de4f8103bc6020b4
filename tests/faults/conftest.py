"""Fault tests against the real services (issue 7, "What must show"): processes are killed and
servers stopped mid-way. Everything killed or stopped here was started here: a private redis-server
on a free port, a private PostgreSQL cluster in a temp directory, and the app's own processes
(Celery worker, gunicorn, `manage.py` commands) as subprocesses on the test database. The shared
PostgreSQL and Redis servers are never touched.

Select them with `-m faults`; they also run in the normal suite."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(interval)


class Proc:
    """A subprocess of ours in its own session (so stopping it stops its children and nothing else)."""

    def __init__(self, args, *, env, log: Path, cwd=ROOT):
        self.log = log
        self._out = open(log, "ab")
        self.popen = subprocess.Popen(args, env=env, cwd=cwd, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.alive():
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._out.close()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def database_url(name: str | None = None, *, port: int | None = None, app: str = "faults") -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 5432}/{name or s['NAME']}" \
           f"?application_name={app}"


@pytest.fixture
def app_env(tmp_path, settings, private_redis):
    """The environment of the app's subprocesses: the test database (committed data only: use
    transactional_db), no eager tasks, short heartbeats, uploads in a directory shared with this process."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings.IMPORT_TEMP_DIR = str(uploads)
    # This process only writes the outbox (tasks run eagerly here): the subprocesses dispatch it.
    settings.OUTBOX_KICK = False
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))}
    env.update(DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="config.settings", CELERY_TASK_ALWAYS_EAGER="0",
               JOB_HEARTBEAT_SECONDS="1", IMPORT_TEMP_DIR=str(uploads), PYTHONUNBUFFERED="1",
               LOG_LEVEL="INFO", CONN_MAX_AGE="60", IMPORT_MAX_UPLOAD_BYTES=str(200 * 1024 * 1024),
               REDIS_URL=private_redis.url)
    return env


class Redis:
    """A private redis-server on a free port, stopped and started at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.proc = Proc([shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind",
                          "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                         env=dict(os.environ), log=self.workdir / "redis.log", cwd=self.workdir)
        wait_for(self.ping, timeout=15, what="the private redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc = None
        wait_for(lambda: not self.ping(), timeout=10, what="redis to stop")


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    redis = Redis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def procs():
    """Subprocesses a test starts; all of them are stopped at the end, whatever happened."""
    started: list[Proc] = []
    yield started
    for proc in reversed(started):
        proc.kill()


def start_worker(procs, env, log: Path, *, name="faults") -> Proc:
    worker = Proc([str(BIN / "celery"), "-A", "config", "worker", "-l", "INFO", "-P", "prefork", "-c", "1",
                   "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                  env=env, log=log)
    procs.append(worker)
    wait_for(lambda: "ready." in worker.output() or not worker.alive(), timeout=60, interval=0.2,
             what="the Celery worker to start")
    assert worker.alive(), worker.output()[-3000:]
    return worker


def manage(*args) -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), *args]


def start_gunicorn(procs, env, log: Path, *, timeout: int = 10) -> tuple[Proc, str]:
    port = free_port()
    web = Proc([str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--timeout", str(timeout), "--no-control-socket"], env=env, log=log)
    procs.append(web)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return not web.alive()

    wait_for(up, timeout=60, interval=0.2, what="gunicorn to listen")
    assert web.alive(), web.output()[-3000:]
    return web, f"http://127.0.0.1:{port}"


def backends(application_name: str = "faults") -> list[tuple[int, str, str]]:
    """(pid, state, query) of the test database's sessions opened by our subprocesses."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, state, query FROM pg_stat_activity WHERE application_name = %s "
                       "AND pid <> pg_backend_pid()", [application_name])
        return cursor.fetchall()


def tempdir_for_postgres() -> Path:
    path = Path(tempfile.mkdtemp(prefix="crm-faults-pg-"))
    shutil.chown(path, "postgres")
    return path


class Browser:
    """A minimal HTTP client for a server of ours (stdlib only): a logged-in session cookie, the CSRF
    cookie sent back as a header, redirects not followed."""

    class _NoRedirect(__import__("urllib.request").request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str, user=None):
        import http.cookiejar
        import urllib.request

        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect())
        self.headers: dict[str, str] = {}
        if user is not None:
            from django.test import Client

            client = Client()
            client.force_login(user)  # a session row in the database the server reads
            self.headers["Cookie"] = f"sessionid={client.cookies['sessionid'].value}"

    def request(self, method: str, path: str, *, data: bytes | None = None, content_type: str = "",
                timeout: float = 30) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        headers = dict(self.headers)
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if csrf:
            headers["X-CSRFToken"] = csrf
            headers["Cookie"] = "; ".join(filter(None, [headers.get("Cookie"), f"csrftoken={csrf}"]))
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)
