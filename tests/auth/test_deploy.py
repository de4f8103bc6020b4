"""docker-compose.yml puts a TLS-terminating proxy in front of the web service, which is reachable only
through it; the proxy alone says who the client is; the app trusts exactly that one hop."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def test_only_the_proxy_is_published_and_web_sits_on_the_internal_network(compose):
    services = compose["services"]
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"proxy"}
    assert sorted(services["proxy"]["ports"]) == ["443:443", "80:80"]
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("web", "worker", "beat", "db", "redis"):
        assert services[name]["networks"] == ["backend"], name
    assert set(services["proxy"]["networks"]) == {"edge", "backend"}


def test_the_app_trusts_one_proxy_hop_and_https_localhost(compose):
    env = compose["services"]["web"]["environment"]
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    assert env["DEBUG"] == "0"
    assert "https://localhost" in env["CSRF_TRUSTED_ORIGINS"]
    assert "localhost" in env["ALLOWED_HOSTS"]


def test_the_proxy_serves_tls_for_localhost_and_sets_the_forwarded_headers(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    text = CADDYFILE.read_text()
    assert re.search(r"^\{\$SITE_ADDRESS:localhost\} \{", text, re.M)
    assert re.search(r"^\s*tls internal$", text, re.M)
    assert re.search(r"^\s*reverse_proxy web:8000 \{", text, re.M)
    assert "header_up X-Forwarded-Proto {scheme}" in text
    # Caddy trusts no incoming X-Forwarded-* header unless `trusted_proxies` says so: it must not.
    directives = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert "trusted_proxies" not in directives


def test_the_compose_file_validates():
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose (Debian's Compose v1) is not installed: "
                    "apt-get install -y --no-install-recommends docker-compose")
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], cwd=ROOT,
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr


def test_the_caddyfile_validates():
    if not shutil.which("caddy"):
        pytest.skip("caddy is not installed: apt-get install -y --no-install-recommends caddy")
    result = subprocess.run(["caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_image_generates_one_secret_key_shared_by_its_containers(tmp_path):
    """deploy/entrypoint.sh: no SECRET_KEY given (a fresh `docker compose up`): the first container
    writes one to the shared volume, every container reads the same; a given key wins."""
    entrypoint = ROOT / "deploy" / "entrypoint.sh"
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    runs = [subprocess.Popen(["sh", str(entrypoint), "sh", "-c", "echo $SECRET_KEY"], env=env,
                             stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {run.communicate(timeout=30)[0].strip() for run in runs}
    assert len(keys) == 1 and len(keys.pop()) >= 50
    given = subprocess.run(["sh", str(entrypoint), "sh", "-c", "echo $SECRET_KEY"], env={**env, "SECRET_KEY": "k"},
                           capture_output=True, text=True)
    assert given.stdout.strip() == "k"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile and "collectstatic" in dockerfile
    assert "appsecret:/var/lib/crm" in COMPOSE.read_text()
