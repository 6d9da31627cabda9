"""What the server remembers between runs: its token and the deployments (with their files)."""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

# Statuses of deployments that still exist (listed by GET /v1/deployments).
ACTIVE = ("data_ready",)


class State:
    """`state.json` in the data dir, rewritten atomically on every change."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "state.json"
        self._lock = threading.RLock()
        if self.path.exists():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        else:
            self.data = {"token": "p." + secrets.token_urlsafe(32), "next_id": 1, "deployments": []}
            self.save()

    @property
    def token(self) -> str:
        return self.data["token"]

    def save(self) -> None:
        with self._lock:
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the token
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self.data, out, indent=1)
            tmp.replace(self.path)

    @property
    def resource_tokens(self) -> dict[str, str]:
        """The values of the datafiles' `TOKEN` lines, by token name."""
        return dict(self.data.get("resource_tokens", {}))

    def sync_tokens(self, names: list[str]) -> None:
        """Keep a value for each of `names` (new ones get a random one), forget every other token."""
        with self._lock:
            current = self.data.get("resource_tokens", {})
            kept = {name: current.get(name) or "p." + secrets.token_urlsafe(32) for name in names}
            if kept != current:
                self.data["resource_tokens"] = kept
                self.save()

    def peek_id(self) -> str:
        return str(self.data["next_id"])

    def add_deployment(self, deployment: dict[str, Any]) -> None:
        with self._lock:
            self.data["next_id"] += 1
            # Only one deployment may wait for promotion; a new one replaces it.
            for other in self.data["deployments"]:
                if not other["live"] and other["status"] in ACTIVE:
                    self._delete(other)
            self.data["deployments"].append(deployment)
            self.save()

    def add_workspace_name(self, name: str) -> None:
        with self._lock:
            names = self.data.setdefault("workspace_names", [])
            if name not in names:
                names.append(name)
                self.save()

    def deployment(self, deployment_id: str) -> dict[str, Any] | None:
        return next((d for d in self.data["deployments"] if d["id"] == str(deployment_id)), None)

    def live_deployment(self) -> dict[str, Any] | None:
        return next((d for d in self.data["deployments"] if d["live"]), None)

    def active_deployments(self) -> list[dict[str, Any]]:
        """Newest first, like Tinybird lists them."""
        active = [d for d in self.data["deployments"] if d["status"] in ACTIVE]
        return sorted(active, key=lambda d: int(d["id"]), reverse=True)

    def promote(self, deployment_id: str) -> None:
        with self._lock:
            for other in self.data["deployments"]:
                if other["live"]:
                    other["live"] = False
                    self._delete(other)
            deployment = self.deployment(deployment_id)
            assert deployment is not None
            deployment["live"] = True
            self.save()

    def mark_deleted(self, deployment_id: str) -> None:
        with self._lock:
            deployment = self.deployment(deployment_id)
            if deployment is not None:
                self._delete(deployment)
                self.save()

    @staticmethod
    def _delete(deployment: dict[str, Any]) -> None:
        deployment["status"] = "deleted"
        deployment["files"] = {}
