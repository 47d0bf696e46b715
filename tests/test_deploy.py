"""The files in deploy/ and the README's service steps, checked as far as a test can.

No root, no systemd manager, no Docker daemon here: the unit is checked by
``systemd-analyze verify`` (with its paths pointed at this checkout) and by reading its keys;
the Dockerfile's instructions are read, and its HEALTHCHECK command is run against a real
/healthz; the env example and compose file are parsed; the README's config steps are
replayed on a copy of the config and validated with ``check-config``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from alerts.httpapi import HttpEndpoint, Response
from tests.support.daemon_proc import run_cli

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
INSTALL_DIR = "/opt/nieuwswacht"


def unit_sections(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"key outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line}"
        current.setdefault(key, []).append(value)
    return sections


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def test_systemd_unit_has_the_hardening_and_matches_the_make_install_layout(
    tmp_path: Path,
) -> None:
    text = (DEPLOY / "nieuwswacht.service").read_text(encoding="utf-8")
    service = unit_sections(text)["Service"]
    assert service["User"] == ["nieuwswacht"]
    assert service["Restart"] == ["on-failure"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["NoNewPrivileges"] == ["true"]
    assert service["StateDirectory"] == ["nieuwswacht"]
    assert service["EnvironmentFile"][0].lstrip("-") == "/etc/nieuwswacht/nieuwswacht.env"
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["WorkingDirectory"] == [INSTALL_DIR]
    executable = service["ExecStart"][0].split()[0]
    # `make install` creates $(VENV)/bin/nieuwswacht with VENV := .venv in the checkout.
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^VENV\s*:=\s*\.venv$", makefile, re.M)
    assert executable == f"{INSTALL_DIR}/.venv/bin/nieuwswacht"
    assert (REPO / ".venv" / "bin" / "nieuwswacht").exists()
    assert "sqlite:////var/lib/nieuwswacht/" in service["Environment"][0]

    analyze = shutil.which("systemd-analyze")
    if analyze is not None:  # where systemd is installed, let it check the unit properly
        local = tmp_path / "nieuwswacht.service"
        local.write_text(text.replace(INSTALL_DIR, str(REPO)), encoding="utf-8")
        verify = subprocess.run(
            [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60
        )
        assert verify.returncode == 0, verify.stderr
        assert "nieuwswacht.service" not in verify.stderr, verify.stderr


def test_dockerfile_is_slim_non_root_and_its_healthcheck_probes_healthz() -> None:
    steps = dockerfile_instructions((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    words = [w for w, _ in steps]
    assert words[0] == "FROM" and re.match(r"python:3\.1\d-slim$", steps[0][1])
    users = [arg for w, arg in steps if w == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert words.index("USER") < words.index("CMD")
    [health] = [arg for w, arg in steps if w == "HEALTHCHECK"]
    command = json.loads(health[health.index("CMD") + 3 :].strip())
    assert "/healthz" in " ".join(command) and "curl" not in health
    assert command[0] == "python"

    async def probe() -> tuple[int, int]:
        async def healthy() -> Response:
            return Response(200, "ok\n")

        endpoint = HttpEndpoint({"/healthz": healthy})
        await endpoint.start("127.0.0.1", 0)
        env = {**os.environ, "NIEUWSWACHT_HTTP_PORT": str(endpoint.port)}
        up = await asyncio.to_thread(run_probe, command, env)
        await endpoint.close()
        down = await asyncio.to_thread(run_probe, command, env)
        return up, down

    up, down = asyncio.run(probe())
    assert up == 0, "the HEALTHCHECK fails against a healthy /healthz"
    assert down != 0, "the HEALTHCHECK passes with nothing listening"


def run_probe(command: list[str], env: dict[str, str]) -> int:
    return subprocess.run(
        [sys.executable, *command[1:]], env=env, capture_output=True, timeout=30
    ).returncode


def test_compose_file_builds_the_image_and_keeps_metrics_on_loopback() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["nieuwswacht"]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).exists()
    assert all(str(p).startswith("127.0.0.1:") for p in service["ports"])
    assert any(v.endswith(":/app/var") for v in service["volumes"])


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (DEPLOY / "nieuwswacht.env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("#") if re.match(r"^#[A-Z_]+=", line.strip()) else line
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"bad env line: {line}"
        values[key] = value
    return values


def test_env_example_parses_and_names_every_variable_the_config_uses() -> None:
    names = env_example()
    config = (REPO / "config" / "nieuwswacht.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", config)) - {"ENV_VAR"}  # doc placeholder
    assert used <= set(names), f"not in the env example: {used - set(names)}"


def test_readme_service_steps_give_a_valid_config(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Run it as a service") :]
    for step in ("make install", "deploy/nieuwswacht.service", "systemctl enable --now"):
        assert step in section
    [sed] = re.findall(r"sed -i '(s#[^']+#)'", section)
    pattern, replacement = sed[2:-1].split("#")
    etc = tmp_path / "etc" / "nieuwswacht"
    etc.mkdir(parents=True)
    shutil.copy(REPO / "config" / "watchlists.yaml", etc)
    text = (REPO / "config" / "nieuwswacht.yaml").read_text(encoding="utf-8")
    # The README's sed, with this checkout standing in for /opt/nieuwswacht.
    text = re.sub(pattern, replacement.replace(INSTALL_DIR, str(REPO)), text)
    (etc / "nieuwswacht.yaml").write_text(text, encoding="utf-8")
    env = {k: v for k, v in env_example().items()}
    env["NIEUWSWACHT_DB_URL"] = f"sqlite:///{tmp_path / 'state' / 'nieuwswacht.db'}"
    result = run_cli(["check-config", "--config", str(etc / "nieuwswacht.yaml")], env=env)
    assert result.returncode == 0, result.stderr
    assert ": ok:" in result.stdout
