"""Private files for the local venue: its data directory is 0700 and every file in it 0600.

The venue's data holds paper positions, the input log of every signed action and the admin
token of the running process; on a shared machine none of it is anybody else's business. New
files get these modes from the venue process's umask (set in ``cli.main``) and from explicit
modes at creation; a directory or file left by an older version, or created by hand, is
tightened when the venue opens it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Final

__all__ = [
    "ADMIN_TOKEN_NAME",
    "PRIVATE_UMASK",
    "new_admin_token",
    "private_dir",
    "private_file",
    "private_temp_dir",
    "tighten_files",
    "write_private_text",
]

#: What the venue process runs with: nothing it creates is readable by group or others.
PRIVATE_UMASK: Final = 0o077

#: The admin token's file name inside the venue's data directory.
ADMIN_TOKEN_NAME: Final = "admin-token"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700, even if it already existed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """Make an existing file 0600 (a missing one is fine: nothing to tighten)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o600)


def tighten_files(directory: Path) -> None:
    """Every regular file directly in ``directory`` becomes 0600 (data left by older versions)."""
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            if entry.is_file(follow_symlinks=False):
                private_file(Path(entry.path))


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` created 0600 (replacing it), never briefly world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def private_temp_dir() -> Path:
    """A fresh 0700 temporary directory (for a venue run without ``--data``)."""
    return Path(tempfile.mkdtemp(prefix="wallet-perps-venue-"))


def new_admin_token() -> str:
    """A per-run random token for the /sim admin routes (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)
