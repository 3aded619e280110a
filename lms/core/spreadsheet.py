"""Cells that spreadsheets will not run: shared by every CSV and XLSX export."""

# A cell starting with one of these may run as a formula in Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Return text that no spreadsheet will run: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
