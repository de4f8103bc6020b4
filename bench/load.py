"""Load: RMs working the pages and internal systems reading the API, through gunicorn on PostgreSQL and
Redis, with a trivial page measured in the same run as the floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_load REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--port 8811]

The database must hold a data set from `manage.py seed_demo` (its RMs log in with the demo password).
The script starts gunicorn itself (production settings: DEBUG off, a throwaway SECRET_KEY, no HTTPS
redirect since nothing terminates TLS in front of it here), runs Locust headless as a library with
`--users` simulated people (each an RM with their own session, or an internal system with its own API
token), lets them log in and ramp up for `--warmup` seconds, then measures `--seconds` of steady work and
prints for each request kind the count, failures and latency percentiles next to the floor's
(the login page: a template and no data), and exits non-zero on any failed request.

Rate limits: each simulated RM works at human speed (a request every 0.5-2 s); the per-user API
throttles are left as configured, so a 429 here is a real finding, not noise.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything else opens sockets: Locust's users are greenlets

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _fixtures(n_rms: int) -> dict:
    """RM logins with the groups and enterprises each covers, and API tokens for internal systems."""
    _setup_django()
    from django.contrib.auth import get_user_model

    from clients.models import Enterprise, GroupClient
    from staff.models import Role

    users = list(get_user_model().objects.filter(profile__role=Role.RM, is_active=True).order_by("username")[:n_rms])
    if not users:
        sys.exit("No RM logins: build the data set with manage.py seed_demo first.")
    rms = []
    for user in users:
        groups = list(GroupClient.objects.for_user(user).values_list("pk", flat=True)[:20])
        enterprises = list(Enterprise.objects.for_user(user).values_list("pk", "uscc")[:50])
        if groups:
            rms.append({"username": user.username, "groups": groups, "enterprises": enterprises})
    hq = get_user_model().objects.get(username="hq")
    return {"rms": rms, "token": _token_for(hq), "codes": [e[1] for r in rms for e in r["enterprises"]][:200]}


def _token_for(user) -> str:
    """An API token for the load's internal-system users, by whichever token scheme the project uses."""
    from django.conf import settings

    auth = settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    if any("knox" in a for a in auth):
        from knox.models import AuthToken

        _instance, token = AuthToken.objects.create(user=user)
        return token
    try:
        from staff.tokens import issue_token  # a project token helper, if there is one

        return issue_token(user=user)
    except ImportError:
        from rest_framework.authtoken.models import Token

        return Token.objects.get_or_create(user=user)[0].key


def _start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    # Production settings, less what needs TLS in front (this bench speaks plain HTTP to gunicorn).
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "load-test-only-" + "x" * 40, "SECURE_SSL_REDIRECT": "0",
           "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_HSTS_SECONDS": "0"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not come up")


def _run_locust(host: str, data: dict, users: int, seconds: int, warmup: int):
    import gevent
    from locust import HttpUser, between, events, task
    from locust.env import Environment
    from locust.stats import stats_printer  # noqa: F401  (kept importable for interactive use)

    rms = data["rms"]
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    class Strict(HttpUser):
        """Every answer must be a 200: a redirect (to the login page) is a failure, not a page."""

        abstract = True

        def get(self, url, name):
            with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")

    class RM(Strict):
        """An RM in the browser: logs in, then reads their groups' pages."""

        weight = 8
        wait_time = between(0.5, 2)

        def on_start(self):
            self.rm = random.choice(rms)
            page = self.client.get("/login/", name="login form")
            token = csrf.search(page.text).group(1)
            self.client.post("/login/", {"username": self.rm["username"], "password": PASSWORD,
                                         "csrfmiddlewaretoken": token}, name="log in",
                             headers={"Referer": f"{host}/login/"})

        @task(3)
        def group_list(self):
            self.get("/clients/groups/", "group list")

        @task(3)
        def group_360(self):
            self.get(f"/clients/groups/{random.choice(self.rm['groups'])}/", "group 360")

        @task(2)
        def circle(self):
            self.get(f"/circles/groups/{random.choice(self.rm['groups'])}/", "circle page")

        @task(2)
        def chain(self):
            self.get(f"/chains/groups/{random.choice(self.rm['groups'])}/", "chain page")

        @task(2)
        def enterprise(self):
            if self.rm["enterprises"]:
                pk, _code = random.choice(self.rm["enterprises"])
                self.get(f"/clients/enterprises/{pk}/", "enterprise page")

        @task(1)
        def enterprise_list(self):
            self.get("/clients/enterprises/", "enterprise list")


    class System(Strict):
        """An internal system reading the API with a head-office token."""

        weight = 2
        wait_time = between(0.5, 2)

        def on_start(self):
            self.client.headers["Authorization"] = f"Token {data['token']}"

        @task(2)
        def groups(self):
            self.get("/api/v1/group-clients/", "API group clients")

        @task(2)
        def enterprise(self):
            self.get(f"/api/v1/enterprises/{random.choice(data['codes'])}/", "API enterprise")

        @task(2)
        def flows(self):
            self.get("/api/v1/flows/", "API flows")

        @task(1)
        def members(self):
            self.get("/api/v1/circle-members/", "API circle members")

    class Floor(Strict):
        """The floor: an anonymous visitor on the login page (a template, no data, no session)."""

        weight = 1
        wait_time = between(0.5, 2)

        @task
        def login_page(self):
            self.get("/login/", "login page (floor)")

    env = Environment(user_classes=[RM, System, Floor], host=host, events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users // 5, 1))
    # Ramp-up and the logins' password hashing first; then measure `seconds` of steady work (the
    # logins are reported from the warm-up, separately).
    gevent.sleep(warmup)
    logins = {name: env.stats.get(name, method) for name, method in (("log in", "POST"), ("login form", "GET"))}
    kept = {name: (e.num_requests, e.num_failures, [e.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)])
            for name, e in logins.items()}
    env.stats.reset_all()
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env.stats, kept


def _report(stats, logins: dict, users: int, seconds: int) -> int:
    rows = sorted((e for e in stats.entries.values() if e.name not in logins), key=lambda e: e.name)
    floor = next((e for e in rows if e.name == "login page (floor)"), None)
    floor_p50 = floor.get_response_time_percentile(0.5) if floor else None
    print(f"\n{users} users for {seconds} s: {stats.total.num_requests} requests, "
          f"{stats.total.num_failures} failed, {stats.total.total_rps:.1f} req/s")
    print(f"{'request':<24}{'count':>7}{'fail':>6}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'p50 / floor':>13}")
    for e in rows:
        p50, p95, p99 = (e.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99))
        ratio = f"{p50 / floor_p50:.1f}x" if floor_p50 else "-"
        print(f"{e.name:<24}{e.num_requests:>7}{e.num_failures:>6}{p50:>8.0f}{p95:>8.0f}{p99:>8.0f}{ratio:>13}")
    for name, (count, failures, (p50, p95, p99)) in logins.items():
        print(f"{name + ' (warm-up)':<24}{count:>7}{failures:>6}{p50:>8.0f}{p95:>8.0f}{p99:>8.0f}{'':>13}")
    for _key, error in stats.errors.items():
        print(f"error: {error.occurrences} x {error.method} {error.name}: {error.error}")
    failed = stats.total.num_failures + sum(f for _c, f, _p in logins.values())
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--rms", type=int, default=40, help="distinct RM logins to spread the users over")
    parser.add_argument("--warmup", type=int, default=20, help="seconds of ramp-up and logins before measuring")
    args = parser.parse_args()
    data = _fixtures(args.rms)
    server = _start_gunicorn(args.port, args.workers)
    try:
        stats, logins = _run_locust(f"http://127.0.0.1:{args.port}", data, args.users, args.seconds, args.warmup)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return _report(stats, logins, args.users, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
