"""The mode a file written through a temporary file gets: what a plain new file would get.

`tempfile.mkstemp` makes its file private (0600); weights and exports are written that way (then
renamed into place) and must end up with the mode the person's umask gives any new file, or the
mode of the file they replace. The umask is read where it can be read without changing it
(Linux's /proc/self/status): setting it to read it, then back, is a race once saves run in
background threads (another thread creating a file at that instant would get the temporary
value). Elsewhere that set-and-restore remains the only way.
"""

from __future__ import annotations

import os
from pathlib import Path


def current_umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def give_new_file_mode(tmp: str | Path, path: Path) -> None:
    """chmod `tmp` (about to replace `path`) to path's mode, or a new file's mode."""
    os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~current_umask())
