"""PostgreSQL restarted under a running gunicorn: the app recovers without a restart. The pooled
connection (CONN_MAX_AGE) is dead after the restart; with CONN_HEALTH_CHECKS the next request finds
it unusable and reconnects, so even the first request after the restart answers.

A private, throwaway cluster (initdb in a temp directory, run as the postgres user, on a free port)
is restarted; the shared server is never touched. It is loaded with a dump of the test database."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from tests.faults.conftest import Browser, database_url, free_port, start_gunicorn, tempdir_for_postgres

pytestmark = [pytest.mark.faults, pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL")]

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(*args, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True, capture_output=True,
                          timeout=120, **kwargs)


class Cluster:
    def __init__(self):
        self.dir = tempdir_for_postgres()
        self.data = self.dir / "data"
        self.port = free_port()
        as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                    "--locale=C.UTF-8")

    def pg_ctl(self, *args):
        return as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "log", "-w", "-t", "60",
                           "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", *args)

    def destroy(self):
        try:
            as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists() or not shutil.which("runuser"):
        pytest.skip("needs root, runuser and PostgreSQL 15's initdb to run a throwaway cluster")
    cluster = Cluster()
    try:
        cluster.pg_ctl("start")
        yield cluster
    finally:
        cluster.destroy()


def test_postgres_restarted_under_gunicorn_the_first_request_after_it_answers(
        transactional_db, bank, cluster, app_env, procs, tmp_path):
    browser_user = bank.rm_gy1
    session = Browser("", browser_user)  # its session row is in the test database, dumped below
    s = connection.settings_dict
    dump = subprocess.run(["pg_dump", "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"],
                           "--no-owner", "--no-privileges", s["NAME"]], check=True, capture_output=True, timeout=120)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "crm"], check=True,
                   timeout=60)
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-q", "-d", "crm",
                    "-v", "ON_ERROR_STOP=1"], input=dump.stdout, check=True, capture_output=True, timeout=120)

    env = {**app_env, "DATABASE_URL": database_url("crm", port=cluster.port), "CONN_MAX_AGE": "600"}
    web, base = start_gunicorn(procs, env, tmp_path / "web.log", timeout=30)
    browser = Browser(base)
    browser.headers = session.headers
    page = reverse("clients:group_detail", kwargs={"pk": bank.group_gy.pk})
    api = "/api/v1/group-clients/"
    for _ in range(2):  # the worker keeps its connection between requests
        assert browser.get(page)[0] == 200
    cluster.pg_ctl("restart", "-m", "fast")
    status, body = browser.get(page)
    assert status == 200, web.output()[-3000:]
    assert bank.group_gy.name in body.decode()
    status, body = browser.get(api)
    assert status == 200 and body.lstrip().startswith(b"{")
    assert web.alive()
