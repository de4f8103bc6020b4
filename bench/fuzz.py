"""The long API fuzzing run: schemathesis' CLI against a running server, every phase, every check.

    .venv/bin/python -m bench.fuzz [--max-examples 100] [--groups 20] [--flows 2000] [--keep]

It builds a throwaway PostgreSQL database (`crm_fuzz`, dropped and created again; the demo data set
from `manage.py seed_demo`), starts gunicorn on it with production settings (DEBUG off; plain HTTP, so
no TLS redirect), makes API tokens for an RM (rm_gy1) and head office (hq), and runs
`schemathesis run http://127.0.0.1:PORT/api/schema/` once with each token: the examples, coverage,
fuzzing and stateful phases, all checks, configured by the repository's schemathesis.toml (the same
file the in-process test, tests/api/test_schemathesis.py, reads). The run writes (POST, PUT, PATCH,
DELETE): never point it at a database that matters.

It prints, per token, the operations tested, the HTTP requests the server answered (gunicorn's access
log, so every request counts, including the checks' own) and the failures schemathesis reports, then
exits non-zero if any run failed. Environment: PGHOST/PGPORT/PGUSER name the server (default
127.0.0.1:5432, postgres); FUZZ_REDIS_URL the Redis database (default db 7).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "crm_fuzz"
PERSONAS = ("rm_gy1", "hq")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(database_url: str, redis_url: str) -> dict:
    # Production settings, less what needs TLS in front; rate limits high enough for a fuzzer (the
    # throttles are tested on their own, tests/auth) and for the scoped person and registry throttles.
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DEBUG": "0",
            "SECRET_KEY": "fuzz-only-" + "x" * 40, "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_HSTS_SECONDS": "0",
            "THROTTLE_USER": "1000000/minute", "THROTTLE_TOKEN": "1000000/minute",
            "THROTTLE_PERSONS": "1000000/hour", "THROTTLE_REGISTRY": "1000000/hour", "LOG_LEVEL": "ERROR"}


def _manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                            capture_output=capture)
    return result.stdout if capture else ""


def _fresh_database(host: str, port: str, user: str) -> None:
    base = ["-h", host, "-p", port, "-U", user]
    subprocess.run(["dropdb", *base, "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", *base, DATABASE], check=True)


def _start_gunicorn(env: dict, port: int, access_log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--no-control-socket", "--timeout", "120", "--access-logfile", str(access_log), "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (503: no worker runs here, which the fuzzing does not need)
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not come up")


def _schemathesis(url: str, token: str, max_examples: int, workers: int, report_dir: Path) -> tuple[int, str]:
    command = [
        str(BIN / "schemathesis"), "--config-file", str(ROOT / "schemathesis.toml"), "run", url,
        "--header", f"Authorization: Token {token}",
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(max_examples), "--workers", str(workers),
        "--report", "junit", "--report-dir", str(report_dir), "--no-color",
    ]
    # Run from the report directory: schemathesis keeps its example database in ./.schemathesis.
    result = subprocess.run(command, cwd=report_dir.parent, text=True, capture_output=True)
    return result.returncode, result.stdout + result.stderr


def _figures(output: str) -> dict:
    """Operations, test cases and failures from schemathesis' summary."""
    figures = {}
    if match := re.search(r"API Operations:\s*\n\s*Selected:\s*(\d+)/(\d+)\s*\n\s*Tested:\s*(\d+)", output):
        figures["operations"] = int(match.group(3))
    if match := re.search(r"Test cases:\s*\n\s*(\d+) generated", output):
        figures["test cases"] = int(match.group(1))
    failures = re.search(r"(\d+) unique failures?", output)
    figures["failures"] = int(failures.group(1)) if failures else (0 if "No issues found" in output else None)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and phase (default 100)")
    parser.add_argument("--groups", type=int, default=20, help="demo data: group clients")
    parser.add_argument("--flows", type=int, default=2000, help="demo data: flows")
    parser.add_argument("--workers", type=int, default=2, help="schemathesis' concurrent workers")
    parser.add_argument("--keep", action="store_true", help="keep the database and the reports")
    args = parser.parse_args()

    host, pg_port, user = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGPORT", "5432"), os.environ.get(
        "PGUSER", "postgres")
    env = _server_env(f"postgres://{user}@{host}:{pg_port}/{DATABASE}",
                      os.environ.get("FUZZ_REDIS_URL", "redis://127.0.0.1:6379/7"))
    work = ROOT / "bench" / "out" / "fuzz"  # git-ignored
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    print(f"Database {DATABASE}: created afresh, migrated, demo data ({args.groups} groups, {args.flows} flows)")
    _fresh_database(host, pg_port, user)
    _manage(env, "migrate", "-v0")
    _manage(env, "seed_demo", "--groups", str(args.groups), "--flows", str(args.flows))
    _manage(env, "collectstatic", "--noinput", "-v0")
    tokens = {name: _manage(env, "create_api_token", name, "--name", "fuzz", capture=True).strip()
              for name in PERSONAS}

    port = _free_port()
    access_log = work / "access.log"
    server = _start_gunicorn(env, port, access_log)
    results = {}
    started = time.monotonic()
    try:
        for name in PERSONAS:
            before = _lines(access_log)
            code, output = _schemathesis(f"http://127.0.0.1:{port}/api/schema/", tokens[name], args.max_examples,
                                         args.workers, work / name)
            (work / f"{name}.txt").write_text(output)
            figures = _figures(output)
            figures["requests"] = _lines(access_log) - before
            figures["server errors"] = _count_5xx(access_log, before)
            figures["exit"] = code
            results[name] = figures
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    elapsed = time.monotonic() - started

    print(f"\nschemathesis against gunicorn, {elapsed:.0f} s, max {args.max_examples} examples per operation and phase")
    print(f"{'token':<8} {'operations':>10} {'test cases':>11} {'requests':>9} {'5xx':>5} {'failures':>9}")
    for name, f in results.items():
        print(f"{name:<8} {f.get('operations', '?'):>10} {f.get('test cases', '?'):>11} {f['requests']:>9} "
              f"{f['server errors']:>5} {f['failures'] if f['failures'] is not None else '?':>9}")
    print(f"Reports: {work} (schemathesis output per token, JUnit XML, gunicorn's access log)")
    if not args.keep:
        subprocess.run(["dropdb", "-h", host, "-p", pg_port, "-U", user, "--if-exists", DATABASE], check=False)
    return 0 if all(f["exit"] == 0 for f in results.values()) else 1


def _lines(path: Path) -> int:
    return sum(1 for _ in path.open()) if path.exists() else 0


def _count_5xx(path: Path, skip: int) -> int:
    with path.open() as log:
        lines = list(log)[skip:]
    return sum(1 for line in lines if re.search(r'" 5\d\d ', line))


if __name__ == "__main__":
    sys.exit(main())
