"""Development secrets kept in files: created once, private from the first byte, safe when
several processes (each possibly PID 1 in its container) start at the same moment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def read_or_create_private_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's content, written first from ``make()`` (mode 0600) if it does not exist.

    The content goes to a uniquely named temporary file opened 0600, then is linked into place:
    the first process to link wins and every other one reads what it wrote."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(make())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process created it first: its content is the one to use
    finally:
        tmp.unlink()
    return path.read_bytes()
