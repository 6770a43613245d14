"""The Docker image: its essentials always; built and run when a Docker engine is available.

Without an engine (``docker info`` fails) the build-and-run test is SKIPPED with the reason,
never passed: only the Dockerfile, .dockerignore and compose files are checked then.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from tests.fakebotapi import FakeBotAPI, FakeBotAPIServer

ROOT = Path(__file__).resolve().parents[2]
MAX_IMAGE_BYTES = 250 * 1000 * 1000


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_dockerfile_essentials() -> None:
    steps = instructions(ROOT / "Dockerfile")
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2, "multi-stage: a build stage and a slim final stage"
    base = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    assert all("slim" in base.get(f.split()[0].strip("${}"), f) for f in froms), froms
    final = final_stage(steps)
    users = [args for word, args in final if word == "USER"]
    assert users and users[-1] not in {"root", "0"}, "runs as a non-root user"
    assert any(w == "VOLUME" and "/data" in a for w, a in final)
    assert any(w == "ENV" and "KIRANA_DB_PATH=/data/" in a for w, a in final)
    (health,) = [a for w, a in final if w == "HEALTHCHECK"]
    assert '"kirana-bot", "health"' in health
    assert [a for w, a in final if w == "ENTRYPOINT"] == ['["kirana-bot"]']
    assert [a for w, a in final if w == "CMD"] == ['["run"]']
    runs = " ".join(a for w, a in steps if w in {"RUN", "COPY"})
    assert "requirements.lock" in runs and "--require-hashes" in runs, "the locked install"
    assert "pybabel compile" in runs and "check_image.py" in runs
    # The locked install really is the runtime lock of pyproject.toml's dependencies.
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        name = re.split(r"[<>=\[ ]", dep, maxsplit=1)[0].lower()
        assert re.search(rf"^{re.escape(name)}==", lock, re.M), f"{name} not in requirements.lock"


def test_build_context_keeps_secrets_and_clutter_out() -> None:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "everything is excluded unless listed"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert allowed == {"requirements.lock", "bot", "locales", "docker"}  # no .env, no data/


def test_package_data_carries_the_font_and_migrations() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert data["package-data"]["bot"] == ["assets/fonts/*"]
    assert data["package-data"]["bot.storage"] == ["migrations/*.sql"]


def test_compose_keeps_the_database_on_a_named_volume() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- kirana-data:/data\b", compose, re.M)
    assert re.search(r"^volumes:\n\s+kirana-data:", compose, re.M)
    assert "stop_grace_period:" in compose
    webhook = (ROOT / "compose.webhook.yaml").read_text(encoding="utf-8")
    assert '"run", "--webhook"' in webhook and "./deploy/Caddyfile" in webhook
    caddy = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy bot:8443" in caddy


def docker_engine() -> str | None:
    """None when a Docker engine answers; otherwise why not."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    done = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        return f"`docker info` failed: {(done.stderr or done.stdout).strip().splitlines()[-1]}"
    return None


def docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.e2e
async def test_image_builds_runs_answers_and_stops_cleanly(tmp_path) -> None:
    why_not = docker_engine()
    if why_not:
        pytest.skip(f"Docker image not built or run: {why_not} "
                    "(the Dockerfile's essentials are checked by the tests above)")
    tag = f"kirana-bot-test:{uuid.uuid4().hex[:8]}"
    name = f"kirana-test-{uuid.uuid4().hex[:8]}"
    built = docker("build", "-t", tag, str(ROOT), timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    api = FakeBotAPI()
    server = FakeBotAPIServer(api)
    base_url, file_url = await server.start("127.0.0.1", 0)
    try:
        size = int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
        assert size < MAX_IMAGE_BYTES, f"image is {size / 1e6:.0f} MB"
        user = docker("image", "inspect", "--format", "{{.Config.User}}", tag).stdout.strip()
        assert user == "kirana"
        started = docker("run", "-d", "--name", name, "--network", "host",
                         "-e", f"KIRANA_BOT_TOKEN={api.token}",
                         "-e", f"KIRANA_API_BASE_URL={base_url}",
                         "-e", f"KIRANA_API_FILE_URL={file_url}",
                         "-e", "KIRANA_HEALTH_PORT=0", tag)
        assert started.returncode == 0, started.stderr
        await api.wait_for(lambda: api.arrivals["getUpdates"] > 0, timeout=120,
                           description="the container polls")
        asha = api.user(1001, language_code="hi")
        asha.send_text("/start")
        (prompt,) = await api.wait_for_messages(1001, 1, timeout=30)
        assert prompt.button_texts()[0] == "हिंदी"
        port = re.search(r"health: http://127\.0\.0\.1:(\d+)/healthz",
                         docker("logs", name).stderr).group(1)
        health = await asyncio.to_thread(docker, "exec", name, "kirana-bot", "health", "--url",
                                         f"http://127.0.0.1:{port}/healthz")
        assert health.returncode == 0 and json.loads(health.stdout)["status"] == "ok"
        backup = docker("exec", name, "kirana-bot", "backup", "/data/backups/")
        assert backup.returncode == 0 and "integrity ok" in backup.stdout, backup.stderr
        stopped = await asyncio.to_thread(docker, "stop", "-t", "30", name)
        assert stopped.returncode == 0
        state = json.loads(docker("inspect", "--format", "{{json .State}}", name).stdout)
        assert state["ExitCode"] == 0, docker("logs", name).stderr[-3000:]
    finally:
        docker("rm", "-f", "-v", name)
        docker("rmi", "-f", tag)
        await server.stop()


def test_build_checks_pass_on_this_tree() -> None:
    """docker/check_image.py, which the image build runs, passes with the current code."""
    done = subprocess.run([sys.executable, str(ROOT / "docker" / "check_image.py")],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


def test_slim_venv_drops_only_unused_data(tmp_path) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    files = ["babel/locale-data/en_IN.dat", "babel/locale-data/en_001.dat",
             "babel/locale-data/root.dat", "babel/locale-data/mr.dat",
             "babel/locale-data/fr.dat", "babel/locale-data/de_CH.dat", "babel/core.py",
             "phonenumbers/geodata/data0.py", "phonenumbers/carrierdata/data0.py",
             "phonenumbers/data/region_IN.py", "cryptography/hazmat/tests/test_a.py",
             "cryptography/hazmat/primitives.py", "aiohttp/testing/__init__.py", "aiohttp/web.pyi",
             "PIL/tests/x.png", "PIL/fonts/a.ttf"]
    for name in files:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("x")
    done = subprocess.run([sys.executable, str(ROOT / "docker" / "slim_venv.py"),
                           str(tmp_path / "venv")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    left = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert left == sorted([
        "babel/locale-data/en_IN.dat", "babel/locale-data/en_001.dat",
        "babel/locale-data/root.dat", "babel/locale-data/mr.dat", "babel/core.py",
        "phonenumbers/data/region_IN.py", "cryptography/hazmat/primitives.py",
        "aiohttp/testing/__init__.py", "PIL/fonts/a.ttf"])
