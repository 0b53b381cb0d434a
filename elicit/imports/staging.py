"""Uploaded files kept between an import's check and its confirmation, for one user, one hour.

The import page checks the files first and saves nothing; a clean check is
confirmed by a second request. Rather than have the browser send the files
again, or trust what it sends back, the checked files wait on the server in
a folder of their own under ``ROOT/<token>``, named by a random token
(:func:`stage`), with what the check was asked for: the layout, the study's
name and owner. The confirmation names only the token; :func:`load` gives the
files back to the user who uploaded them, and only within
:data:`KEEP_FOR`. Confirming or refusing discards them (:func:`discard`),
and each new upload sweeps away what was left longer ago (:func:`sweep`).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug.utils import secure_filename

from elicit.db import utcnow

KEEP_FOR = timedelta(hours=1)
"""How long checked files wait for their confirmation."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_META = "staged.json"


@dataclass(frozen=True)
class Staged:
    """Files waiting for an import's confirmation.

    ``files`` maps each role (``judgments``, ``dtt``, ...) to the stored file,
    which keeps the name it was uploaded with; ``settings`` is what the check
    was asked for.
    """

    token: str
    folder: Path
    files: dict[str, Path]
    settings: dict[str, Any]

    def relative(self, line: str) -> str:
        """Write a report line naming a stored file by the name it was uploaded with."""
        for path in self.files.values():
            line = line.replace(f"{path.parent}/", "")
        return line


def stage(
    root: Path, user_id: int, files: dict[str, tuple[str, bytes]], settings: dict[str, Any]
) -> Staged:
    """Keep ``files`` (role: (uploaded name, bytes)) for ``user_id`` and return them as staged.

    Each file is stored in a folder named after its role, under its uploaded
    name made safe (the role's name if nothing is left of it).
    """
    sweep(root)
    token = secrets.token_urlsafe(24)
    folder = root / token
    stored: dict[str, Path] = {}
    for role, (name, data) in files.items():
        path = folder / role / (secure_filename(name) or role)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        stored[role] = path
    meta = {
        "user_id": user_id,
        "staged_at": utcnow().isoformat(),
        "files": {role: str(path.relative_to(folder)) for role, path in stored.items()},
        "settings": settings,
    }
    (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
    return Staged(token, folder, stored, settings)


def load(root: Path, token: str, user_id: int) -> Staged | None:
    """Return the files staged under ``token`` for ``user_id``, or None if there are none.

    Another user's files, a malformed token and files kept longer than
    :data:`KEEP_FOR` are all none.
    """
    if not _TOKEN.match(token or ""):
        return None
    folder = root / token
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or _expired(meta.get("staged_at")):
        return None
    files = {role: folder / name for role, name in meta["files"].items()}
    return Staged(token, folder, files, meta["settings"])


def discard(staged: Staged) -> None:
    """Delete the staged files."""
    shutil.rmtree(staged.folder, ignore_errors=True)


def sweep(root: Path) -> None:
    """Delete every upload staged longer ago than :data:`KEEP_FOR`.

    A folder without its record (still being stored, or broken) is judged by
    when it last changed.
    """
    if not root.is_dir():
        return
    for folder in root.iterdir():
        try:
            staged_at = json.loads((folder / _META).read_text(encoding="utf-8"))["staged_at"]
        except (OSError, ValueError, KeyError, TypeError):
            staged_at = _modified(folder)
        if _expired(staged_at):
            shutil.rmtree(folder, ignore_errors=True)


def _modified(folder: Path) -> str | None:
    """When ``folder`` last changed (ISO 8601): the age of files still being stored."""
    try:
        return datetime.fromtimestamp(folder.stat().st_mtime, UTC).isoformat()
    except OSError:
        return None


def _expired(staged_at: str | None) -> bool:
    """Whether files staged at ``staged_at`` (ISO 8601) waited too long (or it is unreadable)."""
    try:
        return utcnow() - datetime.fromisoformat(staged_at or "") > KEEP_FOR
    except (TypeError, ValueError):
        return True
