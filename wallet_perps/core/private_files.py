"""Private files: folders 0700, files 0600 from their first byte, for the app and its venue.

Settings, wallet metadata, logs, trading history and the venue's input log are nobody else's
business on a shared machine. One set of helpers serves the app (``config``, ``diagnostics``,
pages) and the local venue (which may import only ``core`` and ``hyperliquid``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["private_dir", "private_file", "tighten_tree", "write_private", "write_private_file"]


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents 0700 (as the XDG spec asks for base folders);
    ``path`` itself becomes 0700 even when it already existed with a wider mode."""
    missing = []
    for parent in (path, *path.parents):
        if parent.exists():
            break
        missing.append(parent)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` (in one of the app's folders, made 0700) atomically with ``text``."""
    private_dir(path.parent)
    write_private_file(path, text)


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, the file 0600 from its first byte (mkstemp
    creates it so); a crash mid-write leaves the previous file intact. The folder is left as
    it is: it may be one the user chose, such as Documents."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def tighten_tree(root: Path) -> None:
    """Remove group and other access from ``root`` and everything under it (symlinks are left
    alone): folders and files an older version created 0755/0644 become 0700/0600."""
    if os.name != "posix" or not root.is_dir() or root.is_symlink():
        return
    for folder, dirnames, filenames in os.walk(root):
        for name in (folder, *(os.path.join(folder, n) for n in (*dirnames, *filenames))):
            with contextlib.suppress(OSError):
                mode = os.lstat(name).st_mode
                if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
                    os.chmod(name, stat.S_IMODE(mode) & 0o700)


def private_file(path: Path) -> None:
    """Make an existing file 0600 (a missing one is fine: nothing to tighten)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o600)
