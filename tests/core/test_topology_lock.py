"""One SQLite database, one process: the lock follows the database file, however the
second process names it (another data folder, a relative path, a symbolic link)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import data_lock
from bot.data_lock import DataFolderUnusable


def test_two_data_folders_on_one_database_file_refuse_the_second(tmp_path: Path) -> None:
    database = tmp_path / "shared" / "community.db"
    same = tmp_path / "b" / ".." / "shared" / "community.db"
    with (
        data_lock.hold(tmp_path / "a", database),
        pytest.raises(DataFolderUnusable, match="another Botschafter process"),
        data_lock.hold(tmp_path / "b", same),
    ):
        pass


def test_a_link_to_the_database_file_is_the_same_database(tmp_path: Path) -> None:
    database = tmp_path / "real" / "community.db"
    database.parent.mkdir()
    database.touch()
    link = tmp_path / "elsewhere" / "linked.db"
    link.parent.mkdir()
    link.symlink_to(database)
    with (
        data_lock.hold(tmp_path / "a", database),
        pytest.raises(DataFolderUnusable, match="another Botschafter process"),
        data_lock.hold(tmp_path / "b", link),
    ):
        pass
    with data_lock.hold(tmp_path / "b", link):  # free again once the first has gone
        pass
