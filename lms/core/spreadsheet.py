"""Cells that spreadsheets will not run: shared by every CSV and XLSX export."""

import re

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
