"""The container packaging (Dockerfile, .dockerignore, compose.yaml) checked against the code.

Docker does not run here, so these tests read the files and hold them to what the code says: the
commands are real ``conduit`` subcommands whose options parse, the environment variables are
fields of ``core.settings.Settings``, every lane has its worker, and the probes work.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from core.settings import Settings
from supervisor.lanes import DEADLINES, LANES
from tests.conftest import ROOT

WORKERS = {f"worker-{lane}" for lane in ("interactive", "flex", "batch")}
LONG_RUNNING = {"postgres", "redis", "api"} | WORKERS


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _services() -> dict[str, dict[str, Any]]:
    return _compose()["services"]


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, args = line.strip().partition(" ")
            out.append((instruction.upper(), " ".join(args.split())))
    return out


def _instructions(name: str) -> list[str]:
    return [args for instruction, args in _dockerfile() if instruction == name]


def _argv(command: Any) -> list[str]:
    assert isinstance(command, list), f"use the exec form (a list), not a shell string: {command}"
    return [str(part) for part in command]


def _conduit_services() -> dict[str, list[str]]:
    """Services that run the Conduit image, with their command."""
    return {
        name: _argv(svc["command"])
        for name, svc in _services().items()
        if svc.get("image") == "conduit:local" or "build" in svc
    }


def _duration_s(value: str) -> float:
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?", value)
    assert parts and value, f"not a compose duration: {value!r}"
    hours, minutes, seconds = (float(p) if p else 0.0 for p in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


# compose.yaml: services, health and start order


def test_services_exist() -> None:
    services = _services()
    assert LONG_RUNNING | {"migrate"} <= set(services)


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_long_running_services_have_a_healthcheck(name: str) -> None:
    check = _services()[name].get("healthcheck") or {}
    assert not check.get("disable"), f"{name}: healthcheck disabled"
    test = check.get("test")
    assert isinstance(test, list) and test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, test


@pytest.mark.parametrize("name", sorted({"api"} | WORKERS))
def test_api_and_workers_wait_for_healthy_store_and_schema(name: str) -> None:
    depends = _services()[name].get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions (a mapping)"
    assert depends.get("postgres", {}).get("condition") == "service_healthy"
    assert depends.get("redis", {}).get("condition") == "service_healthy"
    assert depends.get("migrate", {}).get("condition") == "service_completed_successfully"


def test_migrate_is_a_one_shot_conduit_init_after_postgres() -> None:
    migrate = _services()["migrate"]
    assert _argv(migrate["command"]) == ["conduit", "init"]
    assert migrate.get("restart") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_api_publishes_8000_and_probes_healthz() -> None:
    api = _services()["api"]
    assert "8000:8000" in [str(p) for p in api.get("ports", [])]
    assert "http://127.0.0.1:8000/healthz" in " ".join(api["healthcheck"]["test"])


def test_postgres_image_has_pgvector() -> None:
    image = _services()["postgres"]["image"]
    repo, _, tag = image.partition(":")
    assert repo == "pgvector/pgvector", image
    version = re.fullmatch(r"pg(\d+)", tag)
    assert version and int(version.group(1)) >= 15, f"PostgreSQL >= 15 needed: {image}"
    assert "pg_isready" in _services()["postgres"]["healthcheck"]["test"]
    assert "ping" in _services()["redis"]["healthcheck"]["test"]


# compose.yaml: workers and lanes


def _worker_lanes() -> dict[str, str]:
    """Service name -> the lane its ``conduit worker --lane NAME`` serves."""
    found = {}
    for name, argv in _conduit_services().items():
        if argv[:2] == ["conduit", "worker"]:
            assert "--lane" in argv, f"{name}: conduit worker without --lane"
            found[name] = argv[argv.index("--lane") + 1]
    return found


def test_every_lane_has_exactly_one_worker_service() -> None:
    lanes = _worker_lanes()
    for lane in LANES:
        serving = [name for name, served in lanes.items() if served == lane]
        assert len(serving) == 1, f"lane {lane}: worker services {serving}"
    assert set(lanes.values()) <= set(LANES), f"unknown lanes: {set(lanes.values()) - set(LANES)}"
    assert set(lanes) == WORKERS


def test_worker_stop_grace_outlasts_the_lane_job_deadline() -> None:
    # The first SIGTERM lets the running job finish; docker kills at the end of the grace period.
    services = _services()
    for name, lane in _worker_lanes().items():
        grace = _duration_s(services[name].get("stop_grace_period", "10s"))
        assert grace > DEADLINES[lane].job_s, f"{name}: {grace} s <= {DEADLINES[lane].job_s} s"


def _worker_probe(name: str) -> tuple[str, list[str]]:
    test = _services()[name]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3], test[4:]


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_worker_probe_names_its_own_lane(name: str) -> None:
    code, args = _worker_probe(name)
    compile(code, name, "exec")
    assert args == [_worker_lanes()[name]]


def test_worker_probe_is_healthy_only_while_a_worker_of_this_host_serves_the_lane(
    redis_url: str,
) -> None:
    import redis
    import rq

    from supervisor.lanes import QUEUES

    code, _ = _worker_probe("worker-flex")
    env = {"CONDUIT_REDIS_URL": redis_url, "PATH": "/usr/bin:/bin"}

    def probe(lane: str) -> int:
        run = [sys.executable, "-c", code, lane]
        return subprocess.run(run, env=env, cwd=ROOT, timeout=30).returncode

    conn = redis.Redis.from_url(redis_url)
    queues = [rq.Queue(QUEUES["flex"], connection=conn)]
    assert probe("flex") == 1
    elsewhere = rq.Worker(queues, connection=conn)
    elsewhere.hostname = "another-container"  # a replica's worker does not make this one healthy
    elsewhere.register_birth()
    try:
        assert probe("flex") == 1
    finally:
        elsewhere.register_death()
    worker = rq.Worker(queues, connection=conn)
    worker.register_birth()
    try:
        assert probe("flex") == 0
        assert probe("batch") == 1
    finally:
        worker.register_death()
    assert probe("flex") == 1


# commands and settings against the code


def _dockerfile_cmd() -> list[str]:
    (cmd,) = _instructions("CMD")
    return json.loads(cmd)


def _commands() -> list[tuple[str, list[str]]]:
    return sorted(_conduit_services().items()) + [("Dockerfile CMD", _dockerfile_cmd())]


@pytest.mark.parametrize(("where", "argv"), _commands(), ids=[w for w, _ in _commands()])
def test_commands_are_real_conduit_subcommands(where: str, argv: list[str]) -> None:
    import typer.main

    from api.cli.main import app

    group = typer.main.get_command(app)
    assert argv[0] == "conduit", f"{where}: {argv}"
    name, args = argv[1], argv[2:]
    commands = group.commands  # type: ignore[attr-defined]
    assert name in commands, f"{where}: `conduit {name}` is not a command ({sorted(commands)})"
    commands[name].make_context(name, list(args))  # raises on an unknown option or bad value


def test_service_environment_names_are_settings_fields() -> None:
    fields = set(Settings.model_fields)
    for name in _conduit_services():
        env = _services()[name].get("environment")
        assert isinstance(env, dict) and env, f"{name}: no environment mapping"
        for key in env:
            assert key.startswith("CONDUIT_"), f"{name}: {key} is not a Conduit setting"
            assert key.removeprefix("CONDUIT_").lower() in fields, f"{name}: {key} is no setting"
    for spec in _instructions("ENV"):
        for key in re.findall(r"\b(CONDUIT_\w+)=", spec):
            assert key.removeprefix("CONDUIT_").lower() in fields, f"Dockerfile ENV {key}"


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}``, given ``env``."""

    def one(m: re.Match[str]) -> str:
        name, kind, rest = m.group(1), m.group(2), m.group(3)
        if name in env:
            return env[name]
        assert kind != "?", f"compose would refuse to start: {rest}"
        return rest if kind == "-" else ""

    return re.sub(r"\$\{(\w+)(?::?([-?])([^}]*))?\}", one, value)


def test_services_reach_the_compose_postgres_and_redis_with_one_shared_secret() -> None:
    services = _services()
    pg_env = services["postgres"]["environment"]
    envs = {name: services[name]["environment"] for name in _conduit_services()}
    dotenv = {"POSTGRES_PASSWORD": "pw-from-env", "CONDUIT_PII_SECRET": "s"}
    assert _interpolate(pg_env["POSTGRES_PASSWORD"], dotenv) == "pw-from-env"
    for name, env in envs.items():
        db = urlsplit(_interpolate(env["CONDUIT_DATABASE_URL"], dotenv))
        assert db.scheme in {"postgresql", "postgres"}, f"{name}: {db.scheme}"
        assert (db.hostname, db.port) == ("postgres", 5432), name
        assert db.username == pg_env["POSTGRES_USER"], name
        assert db.path == "/" + pg_env["POSTGRES_DB"], name
        assert db.password == "pw-from-env", f"{name}: password not from POSTGRES_PASSWORD"
        redis_url = urlsplit(env["CONDUIT_REDIS_URL"])
        assert (redis_url.scheme, redis_url.hostname, redis_url.port) == ("redis", "redis", 6379)
        # Required (`:?`), never a default: each container must not make its own random key.
        assert re.fullmatch(r"\$\{CONDUIT_PII_SECRET:\?[^}]*\}", env["CONDUIT_PII_SECRET"]), name
    assert len({json.dumps(env, sort_keys=True) for env in envs.values()}) == 1


@pytest.mark.parametrize("name", sorted({"api"} | WORKERS))
def test_api_and_workers_share_the_data_root_volume(name: str) -> None:
    # The API writes run files under CONDUIT_DATA_ROOT and a worker reads them.
    (data_root,) = re.findall(r"\bCONDUIT_DATA_ROOT=(\S+)", " ".join(_instructions("ENV")))
    named = set(_compose().get("volumes") or {})
    mounts = [str(v).split(":") for v in _services()[name].get("volumes", [])]
    shared = [src for src, dst, *_ in mounts if dst == data_root and src in named]
    assert shared == ["rundata"], f"{name}: no shared named volume at {data_root}: {mounts}"


# Dockerfile and .dockerignore


def test_dockerfile_base_and_install() -> None:
    assert _instructions("FROM"), "no FROM"
    for base in _instructions("FROM"):
        assert base.split()[0] == "python:3.11-slim", base
    runs = _instructions("RUN")
    assert any(re.search(r"pip install( --quiet)? \.(\s|$)", run) for run in runs), runs
    model = [run for run in runs if "requirements/spacy-model.txt" in run]
    assert model, "the spaCy model is not installed"
    assert "--require-hashes" in model[0] and "--no-deps" in model[0], model[0]
    pinned = (ROOT / "requirements" / "spacy-model.txt").read_text(encoding="utf-8")
    assert "--hash=sha256:" in pinned
    assert not any("[dev]" in run or "pip install -e" in run for run in runs), runs


def test_dockerfile_runs_as_non_root() -> None:
    users = _instructions("USER")
    assert users, "no USER: the image runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, users[-1]
    last_user = max(i for i, (ins, _) in enumerate(_dockerfile()) if ins == "USER")
    after = [ins for ins, _ in _dockerfile()[last_user:]]
    assert "RUN" not in after and "CMD" in after, "USER must come after the last RUN, before CMD"


def test_dockerfile_exposes_8000_and_probes_healthz_without_curl() -> None:
    assert "8000" in " ".join(_instructions("EXPOSE")).split()
    (check,) = _instructions("HEALTHCHECK")
    assert "CMD" in check.split(), check
    exec_form = json.loads(check[check.index("[") :])
    assert exec_form[:2] == ["python", "-c"], exec_form
    assert "urllib" in exec_form[2] and "http://127.0.0.1:8000/healthz" in exec_form[2]
    compile(exec_form[2], "HEALTHCHECK", "exec")
    assert _dockerfile_cmd() == ["conduit", "serve", "--host", "0.0.0.0", "--port", "8000"]


def test_dockerignore_drops_local_state_and_keeps_the_build_inputs() -> None:
    patterns = {
        ln.strip().rstrip("/")
        for ln in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    for local in (".venv", ".conduit", ".git", ".env", ".pytest_cache", ".mypy_cache"):
        assert local in patterns, f".dockerignore misses {local}"
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    needed = {"pyproject.toml", project["project"]["readme"], "requirements", *packages}
    assert not needed & patterns, f".dockerignore drops build inputs: {needed & patterns}"
    assert all(Path(ROOT, p).exists() for p in needed)
