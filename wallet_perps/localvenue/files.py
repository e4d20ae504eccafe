"""Private files for the local venue: its data directory is 0700 and every file in it 0600.

The venue's data holds paper positions, the input log of every signed action and the admin
token of the running process; on a shared machine none of it is anybody else's business. New
files get these modes from the venue process's umask (set in ``cli.main``) and from explicit
modes at creation; a directory or file left by an older version, or created by hand, is
tightened when the venue opens it (``core.private_files`` does that, for the app too).
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["ADMIN_TOKEN_NAME", "PRIVATE_UMASK", "new_admin_token", "private_temp_dir"]

#: What the venue process runs with: nothing it creates is readable by group or others.
PRIVATE_UMASK: Final = 0o077

#: The admin token's file name inside the venue's data directory.
ADMIN_TOKEN_NAME: Final = "admin-token"


def private_temp_dir() -> Path:
    """A fresh 0700 temporary directory (for a venue run without ``--data``)."""
    return Path(tempfile.mkdtemp(prefix="wallet-perps-venue-"))


def new_admin_token() -> str:
    """A per-run random token for the /sim admin routes (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)
