"""Reading an uploaded CSV file: size, encoding, and where it breaks."""

import pytest

from lms.core.spreadsheet import CsvUploadError, csv_upload_reader


def test_a_utf8_file_with_a_bom_is_read_as_rows():
    rows = list(csv_upload_reader("\ufeffusername,minutes\nأمل,45\n".encode()))
    assert rows == [["username", "minutes"], ["أمل", "45"]]


def test_a_file_that_is_not_utf8_names_the_line_it_breaks_on(app):
    with app.test_request_context(), pytest.raises(CsvUploadError) as refused:
        csv_upload_reader("amal\nlayla\nç\n".encode("latin-1"))
    assert refused.value.line == 3
    assert "UTF-8" in refused.value.message


def test_a_file_over_the_limit_is_refused_whole(app):
    with app.test_request_context(), pytest.raises(CsvUploadError) as refused:
        csv_upload_reader(b"x" * 11, max_bytes=10)
    assert refused.value.line == 0
