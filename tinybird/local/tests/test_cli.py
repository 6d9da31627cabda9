"""Compatibility: Tinybird's official CLI (`tb`, PyPI `tinybird`) deploys to this server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, Server, rows_of

TB = Path(sys.executable).parent / "tb"
REPO_PROJECT = Path(__file__).resolve().parents[2]  # <repo>/tinybird


def tb(server: Server, folder: Path, home: Path, *args: str, cloud: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),  # the CLI looks for and writes a `.tinyb` config up to $HOME
        "TB_CLI_TELEMETRY_OPTOUT": "1",
        "TB_VERSION_WARNING": "0",
        # where the CLI's Tinybird Local mode (no --cloud) looks for the server
        "TB_LOCAL_HOST": "127.0.0.1",
        "TB_LOCAL_PORT": str(server.port),
    }
    target = ["--cloud", "--host", server.url, "--token", server.token] if cloud else []
    return subprocess.run([str(TB), *target, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def copy_project(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for sub in ("datasources", "endpoints", "materializations"):
        if (source / sub).is_dir():
            shutil.copytree(source / sub, target / sub)
    return target


def test_official_cli_deploys_and_reports_a_broken_pipe(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        folder = copy_project(PROJECT, tmp_path / "project")
        first = tb(server, folder, tmp_path, "deploy")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Deployment #1 is live!" in first.stdout
        assert (
            server.ingest(
                "events",
                [{"ts": "2026-01-01 00:00:00", "session_id": "c", "name": "n", "usage": {"tokens": 3}, "tags": []}],
            ).status
            == 200
        )
        assert rows_of(server.pipe("usage")) == [{"name": "n", "calls": "1", "tokens": "3", "avg_cost": 0}]

        (folder / "endpoints" / "broken.pipe").write_text(
            "NODE n\nSQL >\n    SELECT * FROM missing_table\n\nTYPE endpoint\n"
        )
        broken = tb(server, folder, tmp_path, "deploy")
        assert broken.returncode != 0
        assert "endpoints/broken.pipe" in broken.stdout
        assert "missing_table" in broken.stdout
        # The check runs in a scratch database; its name is not the user's business.
        assert "_tb_check_" not in broken.stdout + broken.stderr

        (folder / "endpoints" / "broken.pipe").unlink()
        (folder / "datasources" / "suspicious.datasource").write_text(
            "SCHEMA >\n    `n` LowCardinality(UInt64) `json:$.n`\n\nENGINE MergeTree\nENGINE_SORTING_KEY n\n"
        )
        refused = tb(server, folder, tmp_path, "deploy")
        assert refused.returncode != 0
        assert "datasources/suspicious.datasource" in refused.stdout
        assert "_tb_check_" not in refused.stdout + refused.stderr
    finally:
        server.stop()


def test_official_cli_builds_in_local_mode(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        folder = copy_project(PROJECT, tmp_path / "project")
        result = tb(server, folder, tmp_path, "build", cloud=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Build completed" in result.stdout
        assert "endpoints/usage_total.pipe created" in result.stdout
        assert rows_of(server.pipe("top_sessions", name="x")) == []
    finally:
        server.stop()


def test_official_cli_deploys_the_repository_project(tmp_path: Path) -> None:
    """The repository's own tinybird/ datafiles, unchanged, deploy and validate on real ClickHouse."""
    if not any(REPO_PROJECT.glob("*/*.datasource")):
        pytest.skip("tinybird/ has no datafiles yet")
    server = Server(tmp_path / "data")
    try:
        folder = copy_project(REPO_PROJECT, tmp_path / "project")
        result = tb(server, folder, tmp_path, "deploy")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Deployment #1 is live!" in result.stdout
    finally:
        server.stop()


def test_official_cli_deploys_a_forward_query_migration(tmp_path: Path) -> None:
    from test_evolve import API_REQUESTS_V1, API_REQUESTS_V2, LEGACY_IDS, V1_ROWS, project

    server = Server(tmp_path / "data")
    try:
        folder = tmp_path / "project"
        for path, content in project(API_REQUESTS_V1).items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(content)
        first = tb(server, folder, tmp_path, "deploy")
        assert first.returncode == 0, first.stdout + first.stderr
        assert server.ingest("api_requests", V1_ROWS).json["successful_rows"] == 3

        (folder / "datasources" / "api_requests.datasource").write_text(API_REQUESTS_V2)
        check = tb(server, folder, tmp_path, "deploy", "--check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "Deployment is valid" in check.stdout
        assert "From live deployment using Forward Query" in check.stdout
        second = tb(server, folder, tmp_path, "deploy")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "Deployment #2 is live!" in second.stdout
        assert "From live deployment using Forward Query" in second.stdout
        reply = server.sql("SELECT message_id FROM api_requests FINAL ORDER BY timestamp")
        assert reply.text.splitlines() == LEGACY_IDS
    finally:
        server.stop()
