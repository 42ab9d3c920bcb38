"""One bot process per data folder and SQLite database.

Two processes on one folder each keep their own copy of the state in memory, and the last
to exit overwrites the other's (the local community file, and on the platforms both would
answer every event). So a process that writes holds an OS file lock (``flock``) on
``botschafter.lock`` for its whole life, with its PID, host and start time written inside
for the message the second one shows. The kernel drops the lock when the process ends in
any way, SIGKILL included, so a crash never leaves a stale lock behind; the file itself
stays (removing it would let two processes lock two different files of the same name).

Commands that only read (``config check``, ``export``) take no lock and ignore it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = "botschafter.lock"


class DataFolderUnusable(Exception):
    """The data folder cannot be used: another process holds it, or it is not a folder."""

    def __init__(self, message: str, holder: str = "") -> None:
        super().__init__(message)
        self.holder = holder  # who holds the lock, for a command's own message


@contextmanager
def hold(data_dir: Path | None, database: Path | None) -> Iterator[None]:
    """Hold the data folder's lock and the database's (one file when the database is the
    folder's ``botschafter.db``), or raise `DataFolderUnusable` naming the holder."""
    with ExitStack() as stack:
        for path in lock_paths(data_dir, database):
            stack.enter_context(_locked(path))
        yield


def lock_paths(data_dir: Path | None, database: Path | None) -> list[Path]:
    """The data folder's lock file, and ``<folder>/<db name>.lock`` for the database.

    A database named ``botschafter.db`` in the data folder (the default) shares the
    folder's lock; a process given the same database with another ``--data-dir`` still
    finds it taken, also through a symbolic link (the lock sits beside the real file).
    """
    paths = [] if data_dir is None else [data_dir / LOCK_NAME]
    if database is not None and str(database) != ":memory:":
        real = database.resolve()
        paths.append(real.parent / f"{real.stem}.lock")
    unique: list[Path] = []
    for path in paths:
        if all(path.absolute() != seen.absolute() for seen in unique):
            unique.append(path)
    return unique


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = _open(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            raise DataFolderUnusable(
                f"{path.parent}: another Botschafter process is using this data "
                f"({holder}). Stop it first, or give this one its own --data-dir.",
                holder,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, _describe_self().encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _open(path: Path) -> int:
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise DataFolderUnusable(
            f"{folder}: is a file, not a folder. --data-dir (BOTSCHAFTER_DATA_DIR) names the"
            " folder for the bot's state; give a folder, or a path that does not exist yet."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise DataFolderUnusable(
            f"{path}: cannot create the lock file: {error.strerror}."
        ) from None


def _describe_self() -> str:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started})


def _holder(fd: int) -> str:
    """Who holds the lock, from what it wrote; it may not have written yet."""
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode())
        return f"PID {holder['pid']} on {holder['host']}, started {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "it is just starting"
