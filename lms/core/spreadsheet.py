"""Spreadsheets: cells they will not run (every CSV and XLSX export), and reading uploaded CSV files."""

import csv
import io
import re

from flask_babel import gettext as _

# A cell starting with one of these may run as a formula in Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Return text that no spreadsheet will run: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


# In a CSV a formula may also start after a separator or a line break inside a cell: a French or
# Turkish Excel splits "Amal;=1+1" at the semicolon when it reads the file without the quotes.
_CSV_FORMULA = re.compile(r"(?:^|(?<=[,;\r\n]))(?=[ ]*[=+\-@\t\r])")
CSV_SPLITS = frozenset(",;\r\n")


def neutralise_csv(text: str) -> str:
    """Return a CSV cell that no spreadsheet will run, however it splits the cell (write with QUOTE_ALL)."""
    return _CSV_FORMULA.sub("'", text)


# Uploaded CSV files (rosters, attendance reports) ----------------------------------------------

MAX_CSV_UPLOAD_BYTES = 1024 * 1024


class CsvUploadError(ValueError):
    """An uploaded CSV file that cannot be read at all: `line` (0: the whole file) and why."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def csv_upload_reader(data: bytes, max_bytes: int = MAX_CSV_UPLOAD_BYTES):
    """Return a csv.reader over an uploaded file's UTF-8 text (a BOM is allowed).

    Raise CsvUploadError for a file over `max_bytes` or not UTF-8 (with the line it breaks on).
    """
    if len(data) > max_bytes:
        raise CsvUploadError(0, _("The file is larger than 1 MB."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvUploadError(line, _("This line is not UTF-8 text: save the file as CSV UTF-8.")) from None
    return csv.reader(io.StringIO(text, newline=""))
