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
import json
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
# Token management last and on a token of its own: the fuzzer may revoke or rotate the token it uses.
TOKENS_PATH = "^/api/v1/tokens/"
# path prefix -> model whose ids (or credit codes) the generated requests use half of the time, so the
# operations on `/{id}/` reach real objects instead of answering 404 throughout.
OBJECTS = {
    "accounts": "clients.BankAccount", "chain-links": "chains.ChainLink", "change-requests": "clients.ChangeRequest",
    "circle-members": "circles.CircleMember", "control-links": "clients.ControlLink",
    "financial-statements": "clients.FinancialStatement", "flows": "chains.Flow", "group-clients": "clients.GroupClient",
    "guarantees": "circles.Guarantee", "interactions": "clients.Interaction", "persons": "clients.Person",
    "holdings": "services.Holding", "needs": "services.Need", "job-runs": "core.JobRun", "fx-rates": "core.FxRate",
    "facilities": "risk.Facility", "pledges": "risk.Pledge", "sub-limits": "risk.SubLimit",
    "other-bank-financing": "risk.OtherBankFinancing", "alerts": "risk.RiskAlert", "group-proposals": "risk.GroupProposal",
}
IDS_SCRIPT = """
import json
from django.apps import apps
objects = %r
out = {prefix: list(apps.get_model(label).objects.order_by("pk").values_list("pk", flat=True)[:30])
       for prefix, label in objects.items()}
out["uscc"] = list(apps.get_model("clients.Enterprise").objects.order_by("pk").values_list("uscc", flat=True)[:30])
print(json.dumps(out))
"""


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


def _config(work: Path, ids: dict) -> Path:
    """The repository's schemathesis.toml plus dictionaries of real ids for this database."""
    lines = [(ROOT / "schemathesis.toml").read_text(), ""]
    for name, values in ids.items():
        if values:
            lines += [f"[dictionaries.{name.replace('-', '_')}]", f"values = {json.dumps(values)}", ""]
    for prefix, values in ids.items():
        if prefix == "uscc" or not values:
            continue
        lines += ["[[operations]]", f'include-path-regex = "^/api/v1/{prefix}/\\\\{{id\\\\}}/"',
                  f'parameters = {{ "path.id" = {{ dictionary = "{prefix.replace("-", "_")}", probability = 0.5 }} }}', ""]
    lines += ["[[operations]]", 'include-path-regex = "^/api/v1/(enterprises|registry)/\\\\{uscc\\\\}/"',
              'parameters = { "path.uscc" = { dictionary = "uscc", probability = 0.5 } }', ""]
    path = work / "schemathesis.toml"
    path.write_text("\n".join(lines))
    return path


def _schemathesis(url: str, token: str, max_examples: int, workers: int, report_dir: Path, config: Path,
                  select: list[str]) -> tuple[int, str]:
    command = [
        str(BIN / "schemathesis"), "--config-file", str(config), "run", url, *select,
        "--header", f"Authorization: Token {token}",
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(max_examples), "--workers", str(workers),
        "--report", "junit", "--report-dir", str(report_dir), "--no-color",
    ]
    # Run from the report directory: schemathesis keeps its example database in ./.schemathesis.
    result = subprocess.run(command, cwd=report_dir.parent, text=True, capture_output=True)
    return result.returncode, result.stdout + result.stderr


def _figures(output: str) -> dict:
    """Operations, test cases, failures (of the API) and errors (of the fuzzer itself) from the summary."""
    figures: dict = {"operations": None, "test cases": None, "failures": None, "errors": 0}
    if match := re.search(r"API Operations:\s*\n\s*Selected:\s*(\d+)/(\d+)\s*\n\s*Tested:\s*(\d+)", output):
        figures["operations"] = int(match.group(3))
    if match := re.search(r"Test cases:\s*\n\s*(\d+) generated", output):
        figures["test cases"] = int(match.group(1))
        failures = re.search(r"found (\d+) unique failures?", output)
        figures["failures"] = int(failures.group(1)) if failures else 0
    if errors := re.search(r"\nErrors:\n((?:  .*\n)+)", output):
        figures["errors"] = sum(int(n) for n in re.findall(r": (\d+)$", errors.group(1), re.MULTILINE))
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
    tokens = {(name, part): _manage(env, "create_api_token", name, "--name", f"fuzz {part}", capture=True).strip()
              for name in PERSONAS for part in ("api", "tokens")}
    ids = json.loads(_manage(env, "shell", "-c", IDS_SCRIPT % OBJECTS, capture=True).strip().splitlines()[-1])
    config = _config(work, ids)

    port = _free_port()
    access_log = work / "access.log"
    server = _start_gunicorn(env, port, access_log)
    results = {}
    started = time.monotonic()
    try:
        for name in PERSONAS:
            before = _lines(access_log)
            figures: dict = {"operations": 0, "test cases": 0, "failures": 0, "errors": 0, "exit": 0}
            for part, select, workers in (("api", ["--exclude-path-regex", TOKENS_PATH], args.workers),
                                          ("tokens", ["--include-path-regex", TOKENS_PATH], 1)):
                code, output = _schemathesis(f"http://127.0.0.1:{port}/api/schema/", tokens[name, part],
                                             args.max_examples, workers, work / f"{name}-{part}", config, select)
                (work / f"{name}-{part}.txt").write_text(output)
                for key, value in _figures(output).items():
                    figures[key] = None if value is None or figures[key] is None else figures[key] + value
                figures["exit"] = figures["exit"] or code
            time.sleep(1)  # gunicorn writes its access log line after the answer
            figures["requests"] = _lines(access_log, api_only=True) - _lines(access_log, api_only=True, upto=before)
            figures["server errors"] = _count_5xx(access_log, before)
            results[name] = figures
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    elapsed = time.monotonic() - started

    print(f"\nschemathesis against gunicorn, {elapsed:.0f} s, max {args.max_examples} examples per operation and phase")
    print(f"{'token':<8} {'operations':>10} {'test cases':>11} {'requests':>9} {'5xx':>5} {'failures':>9} "
          f"{'fuzzer errors':>14}")
    for name, f in results.items():
        shown = {key: "?" if value is None else value for key, value in f.items()}
        print(f"{name:<8} {shown['operations']:>10} {shown['test cases']:>11} {shown['requests']:>9} "
              f"{shown['server errors']:>5} {shown['failures']:>9} {shown['errors']:>14}")
    print("failures: what schemathesis found wrong with the API; fuzzer errors: schemathesis' own crashes")
    print(f"Reports: {work} (schemathesis output per token, JUnit XML, gunicorn's access log)")
    if not args.keep:
        subprocess.run(["dropdb", "-h", host, "-p", pg_port, "-U", user, "--if-exists", DATABASE], check=False)
    return 0 if all(f["exit"] == 0 for f in results.values()) else 1


def _lines(path: Path, *, api_only: bool = False, upto: int | None = None) -> int:
    if not path.exists():
        return 0
    with path.open() as log:
        lines = list(log)[:upto]
    return sum(1 for line in lines if not api_only or '"GET /health/' not in line)


def _count_5xx(path: Path, skip: int) -> int:
    """Server errors answered to the fuzzer (the start-up probe of /health/ answers 503 without a worker)."""
    with path.open() as log:
        lines = list(log)[skip:]
    return sum(1 for line in lines if re.search(r'" 5\d\d ', line) and '"GET /health/' not in line)


if __name__ == "__main__":
    sys.exit(main())
