"""safe_extract refuses hostile zips before writing anything, and unpacks honest ones."""

import io
import stat
import struct
import warnings
import zipfile

import pytest

from lms.courses.archive import ArchiveError, safe_extract


def make_zip(path, entries):
    """Write a zip of (name, data) or (ZipInfo, data) entries; duplicates allowed."""
    with warnings.catch_warnings():
        # zipfile warns on duplicate names, which is exactly what some tests need to build.
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return path


def patch_central_directory(path, field_offset, fmt, value, entry=0):
    """Overwrite one field of the nth central directory record (what infolist() reads)."""
    data = bytearray(path.read_bytes())
    start = -1
    for _ in range(entry + 1):
        start = data.index(b"PK\x01\x02", start + 1)
    struct.pack_into(fmt, data, start + field_offset, value)
    path.write_bytes(bytes(data))


def assert_refused(archive, dest, match, **limits):
    with pytest.raises(ArchiveError, match=match):
        safe_extract(archive, dest, **limits)
    assert not dest.exists() or not any(dest.iterdir())


def test_single_top_folder_is_stripped_and_returned(tmp_path):
    archive = make_zip(
        tmp_path / "c.zip",
        [("course/", ""), ("course/course.toml", "x = 1\n"), ("course/01-a/module.toml", "")],
    )
    top = safe_extract(archive, tmp_path / "out")
    assert top == "course"
    assert (tmp_path / "out" / "course.toml").read_text() == "x = 1\n"
    assert (tmp_path / "out" / "01-a" / "module.toml").exists()


def test_flat_layout_is_extracted_as_is(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("course.toml", "x = 1\n"), ("01-a/module.toml", "")])
    assert safe_extract(archive, tmp_path / "out") is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["01-a", "course.toml"]


def test_file_objects_are_accepted(tmp_path):
    buffer = io.BytesIO(make_zip(tmp_path / "c.zip", [("a/b.md", "hi")]).read_bytes())
    assert safe_extract(buffer, tmp_path / "out") == "a"
    assert (tmp_path / "out" / "b.md").read_text() == "hi"


def test_macos_metadata_is_skipped(tmp_path):
    archive = make_zip(
        tmp_path / "c.zip",
        [("c/course.toml", ""), ("__MACOSX/c/._course.toml", "junk"), ("c/.DS_Store", "junk")],
    )
    assert safe_extract(archive, tmp_path / "out") == "c"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["course.toml"]


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../evil.txt", r"'\.\.' path components"),
        ("course/../../evil.txt", r"'\.\.' path components"),
        ("course/./x.md", r"'\.' and '\.\.'"),
        ("/etc/passwd", "absolute paths"),
        ("C:/Windows/evil.txt", "absolute paths"),
        ("c:evil.txt", "absolute paths"),
        ("course\\..\\evil.txt", "backslashes"),
        ("course//x.md", "empty"),
        ("course/x\x01.md", "control characters"),
    ],
)
def test_hostile_names_are_refused_before_anything_is_written(tmp_path, name, match):
    # The good entry comes first: it must not be extracted either.
    archive = make_zip(tmp_path / "c.zip", [("course/ok.md", "fine"), (name, "evil")])
    assert_refused(archive, tmp_path / "out", match)
    assert not (tmp_path / "evil.txt").exists()


def test_symlinks_are_refused(tmp_path):
    link = zipfile.ZipInfo("course/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "c.zip", [("course/ok.md", "fine"), (link, "/etc/passwd")])
    assert_refused(archive, tmp_path / "out", "symbolic links")


def test_device_files_are_refused(tmp_path):
    fifo = zipfile.ZipInfo("course/fifo")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    archive = make_zip(tmp_path / "c.zip", [(fifo, "")])
    assert_refused(archive, tmp_path / "out", "only files and folders")


def test_encrypted_entries_are_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("course/a.md", "secret")])
    patch_central_directory(archive, 8, "<H", 0x1)
    assert_refused(archive, tmp_path / "out", "encrypted")


@pytest.mark.parametrize(
    "names",
    [
        ["course/a.md", "course/a.md"],
        ["course/A.md", "course/a.md"],
    ],
)
def test_duplicate_names_are_refused(tmp_path, names):
    archive = make_zip(tmp_path / "c.zip", [(name, "x") for name in names])
    assert_refused(archive, tmp_path / "out", "appears twice")


def test_a_name_used_as_file_and_folder_is_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("course/a", "x"), ("course/a/b.md", "y")])
    assert_refused(archive, tmp_path / "out", "both a file and a folder")


def test_declared_size_over_the_cap_is_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("c/a.md", "x" * 600), ("c/b.md", "y" * 600)])
    assert_refused(archive, tmp_path / "out", "more than 1000 bytes", max_bytes=1000)


def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("c/bomb.md", b"\0" * (2 * 1024 * 1024))])
    assert archive.stat().st_size < 10_000
    assert_refused(archive, tmp_path / "out", "more than", max_bytes=1024 * 1024)


def test_sizes_that_lie_are_caught_while_extracting(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("c/a.md", "honest"), ("c/bomb.md", b"\0" * 100_000)])
    # Claim 10 bytes for 100,000: the declared total passes the cap, the real bytes do not.
    patch_central_directory(archive, 24, "<I", 10, entry=1)
    assert_refused(archive, tmp_path / "out", "damaged|more than it declares", max_bytes=1000)


def test_names_the_file_system_cannot_hold_are_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("c/a.md", "x"), ("c/" + "n" * 300 + ".md", "y")])
    assert_refused(archive, tmp_path / "out", "could not be unpacked")


def test_too_many_entries_are_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [(f"c/{n}.md", "x") for n in range(6)])
    assert_refused(archive, tmp_path / "out", "6 entries; the limit is 5", max_files=5)


def test_something_that_is_not_a_zip_is_refused(tmp_path):
    fake = tmp_path / "c.zip"
    fake.write_bytes(b"this is not a zip")
    assert_refused(fake, tmp_path / "out", "not a readable zip")


def test_a_non_empty_destination_is_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("c/a.md", "x")])
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="not an empty folder"):
        safe_extract(archive, dest)
    assert (dest / "keep.txt").read_text() == "mine"


def test_an_existing_empty_destination_is_emptied_again_on_failure(tmp_path):
    archive = make_zip(tmp_path / "c.zip", [("c/a.md", "honest"), ("c/bomb.md", b"\0" * 100_000)])
    patch_central_directory(archive, 24, "<I", 10, entry=1)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ArchiveError):
        safe_extract(archive, dest)
    assert dest.is_dir()
    assert list(dest.iterdir()) == []
