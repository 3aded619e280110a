"""Durable writes: the old file or the new one, never half of either."""

import os
import stat

import pytest

from lms.core.files import write_durably


def test_a_write_replaces_the_file_whole_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "deep" / "file.pdf"
    write_durably(target, b"first")
    write_durably(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["file.pdf"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "file.json"
    write_durably(target, b"old")
    with pytest.raises(TypeError):
        write_durably(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.json"]


def test_a_secret_is_written_readable_by_its_owner_only(tmp_path):
    target = tmp_path / "key.json"
    write_durably(target, b"{}", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
