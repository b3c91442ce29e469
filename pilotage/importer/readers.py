"""Read the files users actually have, as text tables: CSV in any usual encoding and delimiter, .xlsx, JSON.

Every reader returns :class:`Sheet` objects: the header (cleaned), every value as
text in an Arrow table, and the line (CSV), row (Excel) or record (JSON) each
row came from, for error messages. Nothing is typed here: values are parsed in
bulk in DuckDB afterwards (:mod:`pilotage.importer.values`).

What is sniffed and handled:
- encodings: UTF-8 with or without BOM, UTF-16 (Excel "Unicode text", with or
  without BOM), otherwise Windows-1252;
- delimiters ``,`` ``;`` tab ``|`` (and Excel's ``sep=;`` first line);
- quoted line breaks, blank lines, rows of empty cells, trailing empty columns,
  padded or duplicated headers, report footers (Salesforce's "Confidential
  Information" lines);
- .xlsx: every sheet, title rows above the header, merged (group) header cells,
  formulas read as their computed values;
- Salesforce CLI tree-import JSON (``{"records": [{"attributes": ...}]}``);
- Salesforce CLI tree JSON with child records nested under their parent
  (``"Opportunities": {"records": [...]}``, a query with a subquery): each
  relationship becomes a sheet of its own, each child carrying its parent's
  reference (``AccountId``), as the flat tree export writes it;
- a .zip: files of the same name in different folders are all kept.

What is refused, with a message and without reading the whole file into memory:
binaries named .csv (NUL bytes, ZIP/PDF/image signatures), files with no line
break in their first MiB, rows above :data:`MAX_ROW_BYTES`, zip bombs (in .xlsx
or .zip), sheets with tens of thousands of empty rows in a row, JSON files above
:data:`MAX_JSON_BYTES` or nested deeper than Python's JSON reader goes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pilotage.errors import ImportRejected, PilotageError

# --------------------------------------------------------------------------- limits
SNIFF_BYTES = 1 << 16  # what the encoding and delimiter are guessed from
MAX_HEADER_BYTES = 1 << 20  # a header line longer than this: not a CSV export
CHUNK = 1 << 24
MAX_ROW_BYTES = 16 << 20  # a row (its values, in UTF-8) longer than this: not a CRM export
MAX_ZIP_UNCOMPRESSED = 2 << 30  # an .xlsx or .zip expanding beyond this is refused
MAX_SHARED_STRINGS = 256 << 20  # openpyxl keeps sharedStrings.xml in memory
MAX_ZIP_RATIO = 200  # a large member compressed more than this is a bomb
MAX_ZIP_MEMBERS = 10_000
MAX_EMPTY_ROWS = 10_000  # consecutive empty rows in a sheet
MAX_COLUMNS = 2_000
MAX_JSON_BYTES = 64 << 20
MAX_JSON_NESTING = 8  # levels of child records (Account > Opportunities) flattened into sheets of their own
MAX_SHOWN_MESSAGE = 300  # a library's error message quoted in ours (it can hold a whole row): cut beyond this
SOURCES_FILE = ".pilotage-sources.json"  # written by extract_zip: extracted file name -> name shown in messages
HEADER_SCAN_ROWS = 30  # rows of a sheet searched for the header

# the csv module (line numbers, the header, the delimiter sniffing) refuses fields above 128 KiB by default: a CRM
# note or an e-mail body can be longer (rows above MAX_ROW_BYTES are refused, with their line, after reading)
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
JSON_SUFFIXES = {".json"}
DATA_SUFFIXES = TEXT_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES

MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls?)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3", "an SQLite database"),
)


@dataclass
class Sheet:
    """One table of text read from a file (a CSV file, an Excel sheet, a JSON record list)."""

    source: str  # shown in messages: "deals.csv", "export.xlsx [Deals]"
    headers: list[str]
    data: pa.Table  # one string column per header
    lines: pa.Array  # int64: the line / row / record of each row
    kind: str = "csv"  # csv, xlsx, json
    encoding: str | None = None
    delimiter: str | None = None
    sobject: str | None = None  # Salesforce tree JSON: attributes.type
    notes: list[str] = field(default_factory=list)
    # rows that could not be read (wrong number of fields...): (line, reason)
    bad_rows: list[tuple[int | None, str]] = field(default_factory=list)
    # cells that cannot be used (an Excel formula without a computed value): (line, header, value, reason, hint)
    cell_errors: list[tuple[int, str, str | None, str, str]] = field(default_factory=list)
    # Excel columns whose every filled cell is a number cell: written as 1234.5 (decimal point, no grouping),
    # so the decimal mark is never inferred from them (a French workbook's 1.125 is not 1125)
    number_columns: set[str] = field(default_factory=set)

    _clean: set = field(default_factory=set)

    @property
    def num_rows(self) -> int:
        return self.data.num_rows

    def clean(self, names) -> None:
        """Trim the named columns (Unicode spaces, non-breaking ones too) and make blank cells NULL: only the
        columns a mapping reads pay for it. Vectorised (Arrow compute), not per row."""
        for name in names:
            if name in self._clean or name not in self.data.column_names:
                continue
            self._clean.add(name)
            col = pc.utf8_trim_whitespace(self.data.column(name))
            blank = pc.equal(col, "")
            if pc.any(blank).as_py():
                col = pc.if_else(blank, pa.scalar(None, pa.string()), col)
            self.data = self.data.set_column(self.data.schema.get_field_index(name), name, col)


def _reject(source: str, reason: str, line: int | None = None, column: str | None = None) -> ImportRejected:
    return ImportRejected([(source, line, column, reason)])


def _brief(message: object) -> str:
    """A library's error message quoted in ours: its first line, cut (a CSV parser's can hold the whole row)."""
    text = str(message).splitlines()[0] if str(message) else ""
    return text if len(text) <= MAX_SHOWN_MESSAGE else f"{text[:MAX_SHOWN_MESSAGE]}…"


# --------------------------------------------------------------------------- dispatch
MAX_FILE_BYTES = 16 << 30  # a data file larger than this is refused before it is opened


def check_regular(path: Path, source: str | None = None, limit: int = MAX_FILE_BYTES) -> int:
    """The size of ``path`` if it is a regular file (a link to one is followed) under ``limit`` bytes.

    Anything else is refused before it is opened: a device (a link to /dev/zero would be read without end),
    a FIFO (would wait for a writer), a symbolic link loop or a dangling link."""
    import stat

    source = source or Path(path).name
    try:
        st = Path(path).stat()
    except OSError as exc:
        why = "a symbolic link loop" if exc.errno == 40 else "a link to nothing" if exc.errno == 2 else (
            exc.strerror or "unreadable")
        raise _reject(source, f"cannot be read: {why}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a folder" if stat.S_ISDIR(st.st_mode)
                else "a socket or special file")
        raise _reject(source, f"not a regular file ({kind}): only files are read")
    if st.st_size > limit:
        raise _reject(source, f"{st.st_size:,} bytes: larger than the {limit:,} bytes a data file may hold")
    return st.st_size


def read_path(path: Path, source: str | None = None) -> list[Sheet]:
    """Read one data file (by its extension, checked against its content).

    ``source``: the name shown in messages; by default the file's name, or for a file extracted from a .zip
    the name it had there when its folder is needed to tell it apart (``jan/deals.csv``, see :func:`extract_zip`).
    """
    path = Path(path)
    source = source or shown_name(path)
    check_regular(path, source)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        sheets = read_xlsx(path, source)
    elif suffix == ".xls":
        raise _reject(source, "old Excel format (.xls): save it as .xlsx or as CSV")
    elif suffix in JSON_SUFFIXES:
        sheets = read_json(path, source)
    else:
        sheets = [read_text(path, source)]
    for sheet in sheets:
        _check_row_bytes(sheet)
    return sheets


def _check_row_bytes(sheet: Sheet, limit: int | None = None) -> None:
    """Refuse a row whose values add up to more than :data:`MAX_ROW_BYTES` (a whole file in one cell, or an
    unclosed quote running to the end of the file), naming its line and its longest value's column.

    Costs nothing on normal files: a batch whose value bytes (read from the offsets buffers, not the values)
    stay under the limit cannot hold such a row; only a batch above it is looked at row by row."""
    limit = MAX_ROW_BYTES if limit is None else limit
    start = 0
    for batch in sheet.data.to_batches():
        if sum(_value_bytes(col) for col in batch.columns) > limit:
            widths = [pc.fill_null(pc.binary_length(col), 0) for col in batch.columns if _value_bytes(col)]
            names = [name for name, col in zip(batch.schema.names, batch.columns, strict=True) if _value_bytes(col)]
            row_bytes = widths[0]
            for w in widths[1:]:
                row_bytes = pc.add(row_bytes, w)
            big = pc.greater(row_bytes, limit)
            if pc.any(big).as_py():
                i = pc.index(big, True).as_py()
                column = names[max(range(len(names)), key=lambda j: widths[j][i].as_py())]
                line = sheet.lines[start + i].as_py() if start + i < len(sheet.lines) else None
                total = row_bytes[i].as_py()
                raise _reject(sheet.source, f"a row of {total / 2**20:,.1f} MiB: above the {limit / 2**20:,.0f} MiB "
                                            f"a CRM export's row holds (a whole file in one cell, or an unclosed "
                                            f"quote from that line on)", line, column)
        start += batch.num_rows


def _value_bytes(col: pa.Array) -> int:
    """The bytes of a string column's values, from its offsets (no pass over the values)."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
            or pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type)) or not len(col):
        return 0
    large = pa.types.is_large_string(col.type) or pa.types.is_large_binary(col.type)
    offsets = memoryview(col.buffers()[1]).cast("q" if large else "i")
    return offsets[col.offset + len(col)] - offsets[col.offset]


# --------------------------------------------------------------------------- text files
def _refuse_binary(source: str, head: bytes) -> None:
    for magic, what in MAGIC:
        if head.startswith(magic):
            hint = " (rename it .xlsx)" if magic == b"PK\x03\x04" else ""
            raise _reject(source, f"not a text file: it is {what}{hint}")


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return "utf-8"


def _scan(path: Path, source: str, encoding: str) -> tuple[int, bool, bool]:
    """One pass over the bytes: refuse binaries (a NUL byte), count line breaks, look for quotes.

    Returns (number of line breaks, ends with a line break, has a double quote). Memory: one chunk.
    UTF-8 validity is checked by the CSV reader itself (see :func:`read_text`).
    """
    utf16 = encoding.startswith("utf-16")
    newlines, offset, last, quotes = 0, 0, b"", False
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            quotes = quotes or b'"' in chunk
            if not utf16:
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    raise _reject(source, f"not a text file: binary content (a NUL byte) at byte {offset + nul:,}")
            newlines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk[-1:]
    return newlines, last == b"\n", quotes


def _single_byte_encoding(path: Path) -> str:
    """Windows-1252, unless the file holds bytes it leaves undefined: then Latin-1."""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            if any(b in chunk for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
                return "latin-1"
    return "cp1252"


DELIMITERS = (",", ";", "\t", "|")


def _sniff_delimiter(text: str) -> tuple[str, int]:
    """(delimiter, rows to skip before the header: 1 for Excel's ``sep=;`` line)."""
    first = text.split("\n", 1)[0].strip().strip('"')
    m = re.fullmatch(r"sep=(.)", first)
    if m:
        return m.group(1), 1
    lines = text.splitlines()
    if len(text) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines[:60])), delimiter=d))
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        same = sum(1 for r in rows[1:] if len(r) == width) / max(1, len(rows) - 1)
        score = same * 10 + min(width, 50) / 50
        if score > best_score:
            best, best_score = d, score
    return best, 0


def clean_header(h: str | None) -> str:
    """Spaces normalised, a BOM dropped, one pair of quotes around the whole header removed (a quote inside or
    at one end only is kept: 'Date entered "Closed Won (Sales Pipeline)"')."""
    h = re.sub(r"\s+", " ", (h or "").replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "")).strip()
    if len(h) >= 2 and h[0] == h[-1] == '"':
        h = h[1:-1].strip()
    return h


def unique_headers(headers: list[str], groups: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Padded headers stripped, empty ones named, duplicates told apart; returns (headers, notes)."""
    notes = []
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        h = clean_header(h)
        if not h:
            h = f"column {_col_letter(i)}"
        key = h.casefold()
        if key in seen:
            group = groups[i] if groups and i < len(groups) and groups[i] else None
            alt = f"{group} / {h}" if group and f"{group} / {h}".casefold() not in seen else None
            n = 2
            while alt is None or alt.casefold() in seen:
                alt = f"{h} ({n})"
                n += 1
            notes.append(f"duplicated header {h!r}: the later column is read as {alt!r}")
            h, key = alt, alt.casefold()
        seen[key] = i
        out.append(h)
    return out, notes


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def read_text(path: Path, source: str) -> Sheet:
    """A delimited text file, every value as text."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe") or head in (codecs.BOM_UTF16_LE + b"\r\x00\n\x00",):
        raise _reject(source, "empty file: a header row is expected")
    _refuse_binary(source, head)
    encoding = _sniff_encoding(head)
    if not encoding.startswith("utf-16") and b"\x00" in head:
        nul = head.find(b"\x00")
        raise _reject(source, f"not a text file: binary content (a NUL byte) at byte {nul:,}")
    newlines, ends_nl, quotes = _scan(path, source, encoding)
    if encoding == "utf-8":
        try:
            head[:head.rfind(b"\n") + 1 or len(head)].decode("utf-8")
        except UnicodeDecodeError:
            encoding = _single_byte_encoding(path)
    try:
        return _read_text(path, source, encoding, newlines, ends_nl, quotes)
    except _NotUtf8:
        return _read_text(path, source, _single_byte_encoding(path), newlines, ends_nl, quotes)


class _NotUtf8(Exception):
    pass


def _read_text(path: Path, source: str, encoding: str, newlines: int, ends_nl: bool, quotes: bool) -> Sheet:
    # line breaks as CR alone (Excel for the old Mac) read like LF: the csv module needs them translated;
    # the Arrow reader and the line count (csv module over the file opened with newline="") take all three
    text_head = _decoded_head(path, encoding).replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text_head and "\r" not in text_head and path.stat().st_size > MAX_HEADER_BYTES:
        raise _reject(source, f"no line break in the first {MAX_HEADER_BYTES >> 20} MiB: not a CSV export")
    delimiter, skip = _sniff_delimiter(text_head)
    reader = csv.reader(io.StringIO(text_head), delimiter=delimiter)
    for _ in range(skip):
        next(reader, None)
    raw_header = next(reader, None) or []
    header_rows = skip + 1
    header_line_end = reader.line_num  # lines used by the sep= line and the header
    if not any(clean_header(h) for h in raw_header):
        raise _reject(source, "empty header row: the first line must name the columns", header_line_end)
    # every data row one field longer than the header, ending empty: a trailing delimiter, not data
    sample = [r for r in reader if r][:50]
    extra = 0
    if sample and all(len(r) > len(raw_header) and not any(c.strip() for c in r[len(raw_header):]) for r in sample):
        extra = len(sample[0]) - len(raw_header)
        raw_header = raw_header + [""] * extra
    if len(raw_header) > MAX_COLUMNS:
        raise _reject(source, f"{len(raw_header)} columns: more than {MAX_COLUMNS}, not a CRM export", 1)
    headers, notes = unique_headers(raw_header)
    tmp_names = [f"c{i}" for i in range(len(headers))]
    bad: list[str] = []

    def on_invalid(row):
        bad.append(row.text)
        return "skip"

    read_opts = pacsv.ReadOptions(column_names=tmp_names, skip_rows=header_rows, block_size=CHUNK,
                                  encoding="utf8" if encoding.startswith("utf-8") else encoding)
    try:
        data = pacsv.read_csv(
            path, read_options=read_opts,
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quotes,
                                              invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in tmp_names},
                                                 null_values=[""], strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        msg = _brief(exc)
        if encoding.startswith("utf-8") and ("UTF8" in msg or "utf8" in msg.lower() or "utf-8" in msg.lower()):
            raise _NotUtf8 from None  # valid UTF-8 at the top, not further down: a Windows-1252 file
        if "straddling" in msg or "block" in msg:
            msg = f"a row longer than {CHUNK >> 20} MiB: not a CSV export (or an unclosed quote)"
        raise _reject(source, f"cannot be read as CSV: {msg}") from None
    data = data.rename_columns(headers)
    lines_in_file = newlines + (0 if ends_nl else 1)
    if not bad and lines_in_file == data.num_rows + header_line_end:
        lines = pa.array(range(header_line_end + 1, header_line_end + 1 + data.num_rows), pa.int64())
        bad_rows: list[tuple[int | None, str]] = []
    else:
        lines, bad_rows, footer = _line_numbers(path, encoding, delimiter, header_rows, len(headers),
                                                data.num_rows)
        if footer:
            notes.append(f"{footer} footer line(s) after the data ignored")
    sheet = Sheet(source, headers, data, lines, "csv", encoding, delimiter, notes=notes, bad_rows=bad_rows)
    if encoding not in ("utf-8", "utf-8-sig"):
        sheet.notes.append(f"read as {'Windows-1252' if encoding == 'cp1252' else encoding.upper()}")
    return _drop_empty(sheet)


def _decoded_head(path: Path, encoding: str) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(SNIFF_BYTES)
        while b"\n" not in raw and b"\r" not in raw and len(raw) < MAX_HEADER_BYTES:
            more = fh.read(SNIFF_BYTES)
            if not more:
                break
            raw += more
    enc = "utf-16" if encoding == "utf-16" else encoding
    text = raw.decode(enc, errors="ignore")
    return text.lstrip("\ufeff")


def _line_numbers(path: Path, encoding: str, delimiter: str, header_rows: int, width: int,
                  n: int) -> tuple[pa.Array, list[tuple[int | None, str]], int]:
    """Lines of the rows the fast reader kept, and the rows it could not read (slow path: csv module)."""
    good: list[int] = []
    bad: list[tuple[int, str, int]] = []  # (line, reason, non-empty fields)
    with open(path, newline="", encoding=encoding, errors="replace") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        for _ in range(header_rows):
            next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            if row:
                if len(row) == width:
                    good.append(start)
                else:
                    filled = sum(1 for c in row if c.strip())
                    reason = f"{len(row)} fields where the header has {width}"
                    span = reader.line_num - start + 1
                    if span > 1 and len(row) < width and any("\n" in c or "\r" in c for c in row):
                        reason += (f": a double quote opened on this line takes in the next {span - 1} line(s) "
                                   f"(an unclosed quote?)")
                    bad.append((start, reason, filled))
            start = reader.line_num + 1
    footer = 0
    last_good = good[-1] if good else 0
    trailing = [b for b in bad if b[0] > last_good]
    if trailing and all(b[2] <= 1 for b in trailing):
        footer = len(trailing)
        bad = [b for b in bad if b[0] <= last_good]
    if len(good) != n:  # the two parsers disagree (odd quoting): fall back to row order
        good = list(range(header_rows + 1, header_rows + 1 + n))
    return pa.array(good[:n], pa.int64()), [(b[0], b[1]) for b in bad], footer


def _drop_empty(sheet: Sheet) -> Sheet:
    """Drop rows whose cells are all empty (Excel's trailing ;;;; lines) and unnamed columns with no value.
    Null bitmaps only: cheap on a million rows. Values are trimmed later, column by column (:meth:`Sheet.clean`)."""
    t = sheet.data
    if t.num_columns == 0:
        return sheet
    keep = None
    filled_cols = []
    for name in t.column_names:
        col = t.column(name)
        filled = pc.is_valid(col)
        keep = filled if keep is None else pc.or_(keep, filled)
        filled_cols.append(col.null_count < len(col))
    n_empty = t.num_rows - (pc.sum(keep).as_py() or 0) if t.num_rows else 0
    if n_empty:
        t = t.filter(keep)
        sheet.lines = sheet.lines.filter(keep.combine_chunks() if isinstance(keep, pa.ChunkedArray) else keep)
        sheet.notes.append(f"{n_empty} empty row(s) ignored")
    drop = [name for name, filled in zip(t.column_names, filled_cols, strict=True)
            if not filled and name.startswith("column ")]
    if drop:
        t = t.drop_columns(drop)
        sheet.headers = [h for h in sheet.headers if h not in drop]
    sheet.data = t
    return sheet


# --------------------------------------------------------------------------- zip archives
def check_zip(zf: zipfile.ZipFile, source: str, *, limit: int | None = None) -> list[zipfile.ZipInfo]:
    """Refuse zip bombs from the archive's directory, before expanding anything."""
    limit = MAX_ZIP_UNCOMPRESSED if limit is None else limit
    members = [m for m in zf.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise _reject(source, f"the archive holds {len(members):,} files: refused")
    total = sum(m.file_size for m in members)
    if total > limit:
        raise _reject(source, f"the archive expands beyond the {limit / 2**20:,.0f} MiB allowed "
                              f"({total / 2**20:,.0f} MiB): refused (a zip bomb?)")
    for m in members:
        if m.file_size > (16 << 20) and m.file_size > MAX_ZIP_RATIO * max(1, m.compress_size):
            raise _reject(source, f"{m.filename} expands {m.file_size / max(1, m.compress_size):,.0f} times "
                                  f"({m.compress_size / 2**10:,.0f} KiB to {m.file_size / 2**20:,.0f} MiB): "
                                  f"refused as a zip bomb")
    return members


def extract_zip(archive: Path | bytes, into: Path, source: str = "archive.zip",
                limit: int | None = None) -> list[Path]:
    """Expand the data files of a .zip into ``into`` (flat), refusing bombs; returns the paths written.

    A file is written under its own name, unless another data file of the archive (or a file already in
    ``into``: several uploads) has that name: then under its path in the archive, the folder all its data
    files share left out, with ``__`` for ``/`` (``jan/deals.csv`` and ``feb/deals.csv`` become
    ``jan__deals.csv`` and ``feb__deals.csv``). Those names are recorded in ``into/.pilotage-sources.json``,
    so that :func:`read_path` shows ``jan/deals.csv`` in messages and in the summary.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(archive) if isinstance(archive, bytes) else archive)
    except zipfile.BadZipFile:
        raise _reject(source, "not a valid zip archive") from None
    out = []
    with zf:
        wanted = []
        for m in check_zip(zf, source, limit=limit):
            parts = [p for p in m.filename.replace("\\", "/").split("/") if p not in ("", ".", "..")]
            if not parts or parts[-1].startswith(".") or Path(parts[-1]).suffix.lower() not in \
                    DATA_SUFFIXES | {".yaml", ".yml"}:
                continue
            wanted.append((m, parts))
        shared = _shared_folder([parts for _, parts in wanted])
        count: dict[str, int] = {}
        for _, parts in wanted:
            count[parts[-1].casefold()] = count.get(parts[-1].casefold(), 0) + 1
        sources = _read_sources(into)
        taken = {p.name.casefold() for p in into.iterdir()} if into.is_dir() else set()
        for m, parts in wanted:
            name = parts[-1]
            shown = name
            if count[name.casefold()] > 1 or name.casefold() in taken:
                shown = "/".join(parts[shared:]) if count[name.casefold()] > 1 else f"{source}/{name}"
                name = _unique_name(re.sub(r'[<>:"|?*\x00-\x1f]', "_", shown.replace("/", "__")), taken)
                sources[name] = shown
            taken.add(name.casefold())
            target = into / name
            with zf.open(m) as src, open(target, "wb") as dst:
                copied = 0
                while chunk := src.read(1 << 20):  # the directory can lie: count what really comes out
                    copied += len(chunk)
                    if copied > m.file_size + (1 << 20):
                        raise _reject(source, f"{m.filename} expands beyond its declared size: refused")
                    dst.write(chunk)
            out.append(target)
    if sources:
        (into / SOURCES_FILE).write_text(json.dumps(sources, ensure_ascii=False), encoding="utf-8")
    return out


def _shared_folder(paths: list[list[str]]) -> int:
    """How many leading folders every path shares (a zipped folder: ``exports/...``)."""
    if not paths:
        return 0
    n = 0
    while all(len(p) > n + 1 and p[n] == paths[0][n] for p in paths):
        n += 1
    return n


def _unique_name(name: str, taken: set[str]) -> str:
    stem, suffix = Path(name).stem, Path(name).suffix
    k = 2
    while name.casefold() in taken:
        name = f"{stem} ({k}){suffix}"
        k += 1
    return name


def _read_sources(folder: Path) -> dict[str, str]:
    try:
        sources = json.loads((folder / SOURCES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return sources if isinstance(sources, dict) else {}


def shown_name(path: Path) -> str:
    """The name of a file in messages: its name, or the one it had in a .zip (``jan/deals.csv``)."""
    path = Path(path)
    if (path.parent / SOURCES_FILE).is_file():
        shown = _read_sources(path.parent).get(path.name)
        if isinstance(shown, str) and shown:
            return shown
    return path.name


# --------------------------------------------------------------------------- Excel
def read_xlsx(path: Path, source: str) -> list[Sheet]:
    import openpyxl

    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head.startswith(b"PK\x03\x04"):
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise _reject(source, "old Excel format (.xls) named .xlsx: save it as .xlsx or as CSV")
        raise _reject(source, "not an Excel workbook (.xlsx files are ZIP archives)")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _reject(source, "damaged Excel workbook (not a valid ZIP archive)") from None
    with zf:
        check_zip(zf, source)
        for m in zf.infolist():
            if m.filename.endswith("sharedStrings.xml") and m.file_size > MAX_SHARED_STRINGS:
                raise _reject(source, f"{m.file_size >> 20} MiB of distinct texts: too large for an Excel "
                                      f"import, save the sheet as CSV")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on damaged files
        raise _reject(source, f"cannot be read as an Excel workbook: {_brief(exc)}") from None
    sheets = []
    try:
        for ws in wb.worksheets:
            sheet = _read_sheet(ws, f"{source} [{ws.title}]", wb)
            if sheet is not None:
                sheets.append(sheet)
    finally:
        wb.close()
    if not sheets:
        raise _reject(source, "no sheet with a header row and data")
    return sheets


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        r = repr(v)
        return format(Decimal(r), "f") if "e" in r or "E" in r else r
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) and v.tzinfo is None else v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


def _read_sheet(ws, source: str, wb) -> Sheet | None:
    ws.reset_dimensions()  # the declared size can claim a million rows that are not there
    rows = ws.iter_rows(values_only=True)
    scanned: list[tuple[int, tuple]] = []
    empty_run = 0
    rowno = 0
    for row in rows:
        rowno += 1
        if row and any(_cell_text(c) is not None for c in row):
            scanned.append((rowno, row))
            empty_run = 0
            if len(scanned) >= HEADER_SCAN_ROWS:
                break
        else:
            empty_run += 1
            if empty_run > MAX_EMPTY_ROWS:
                raise _too_many_empty(source, rowno - empty_run)
    if not scanned:
        return None
    widest = max(sum(1 for c in r if _cell_text(c) is not None) for _, r in scanned)
    header_at = None
    for i, (_, r) in enumerate(scanned):
        cells = [c for c in r if _cell_text(c) is not None]
        if len(cells) >= max(2, 0.8 * widest) and all(isinstance(c, str) for c in cells):
            header_at = i
            break
    if header_at is None:
        header_at = 0
    header_row_no, header = scanned[header_at]
    header = list(header) + [None] * max(0, max(len(r) for _, r in scanned) - len(header))
    notes = []
    if header_row_no > 1:
        notes.append(f"header on row {header_row_no}: {header_row_no - 1} row(s) above it ignored")
    # group (merged) header cells on the row just above: carried right across the merged range
    groups = None
    if header_at > 0 and scanned[header_at - 1][0] == header_row_no - 1:
        above = list(scanned[header_at - 1][1])
        groups, current = [], None
        for i in range(len(header)):
            v = _cell_text(above[i]) if i < len(above) else None
            current = v if v is not None else current
            groups.append(current or "")
    cols: list[list[str | None]] = [[] for _ in range(len(header))]
    lines: list[int] = []
    numbers: list[int] = [0] * len(header)  # per column: number cells, or -1 once a text cell is met

    def add(rowno: int, row: tuple) -> None:
        lines.append(rowno)
        for i in range(len(cols)):
            v = _cell_text(row[i]) if i < len(row) else None
            cols[i].append(v)
            if v is not None and numbers[i] >= 0:
                numbers[i] = numbers[i] + 1 if isinstance(row[i], (int, float)) and not isinstance(row[i], bool) \
                    else -1

    for rno, r in scanned[header_at + 1:]:
        add(rno, r)
    empty_run = 0
    for row in rows:
        rowno += 1
        if row and any(c is not None and (not isinstance(c, str) or c.strip()) for c in row):
            empty_run = 0
            if len(row) > len(cols) and any(_cell_text(c) is not None for c in row[len(cols):]):
                for _ in range(len(row) - len(cols)):  # data right of the header: unnamed columns
                    cols.append([None] * len(lines))
                    header.append(None)
                    numbers.append(0)
            add(rowno, row)
        else:
            empty_run += 1
            if empty_run > MAX_EMPTY_ROWS:
                raise _too_many_empty(source, rowno - empty_run)
    footer = _xlsx_footer(cols, len(lines))
    if footer:
        del lines[-footer:]
        for c in cols:
            del c[-footer:]
        notes.append(f"{footer} footer line(s) after the data ignored")
    # name the header cells left empty by a merge, keep unnamed columns only if they hold data
    names: list[str | None] = []
    for i, h in enumerate(header):
        t = _cell_text(h)
        if t is None and any(v is not None for v in cols[i]):
            left = next((j for j in range(i - 1, -1, -1) if _cell_text(header[j]) is not None), None)
            t = f"{_cell_text(header[left])} ({i - left + 1})" if left is not None else f"column {_col_letter(i)}"
        names.append(t)
    keep = [i for i, n in enumerate(names) if n is not None]
    headers, dup_notes = unique_headers([names[i] for i in keep], [groups[i] if groups and i < len(groups)
                                                                   else "" for i in keep])
    notes += dup_notes
    data = pa.table({h: pa.array(cols[i], pa.string()) for h, i in zip(headers, keep, strict=True)})
    sheet = Sheet(source, headers, data, pa.array(lines, pa.int64()), "xlsx", notes=notes,
                  number_columns={h for h, i in zip(headers, keep, strict=True) if numbers[i] > 0})
    sheet.cell_errors = _uncomputed_formulas(wb, ws, headers, keep, header_row_no)
    return sheet


_TOTAL_RE = re.compile(r"(?i)^\s*(grand\s+total|total(\s+g[ée]n[ée]ral)?|sous-total|subtotal|sum|somme)\b")
_NUMBER_RE = re.compile(r"^[\s\d.,()+\-$€£%\u00a0\u202f]+$")


def _xlsx_footer(cols: list[list[str | None]], n: int) -> int:
    """How many rows at the end of a sheet are a report's footer, not data: a line of text alone (Salesforce's
    "Confidential Information" and copyright lines) or a totals row ("Total" then numbers), after data rows
    filling at least two cells. The same footers are left out of CSV files (:func:`_line_numbers`)."""
    if len(cols) < 2:
        return 0
    k = n
    while k > 0:
        filled = [v for c in cols if (v := c[k - 1]) is not None]
        lone_text = len(filled) == 1 and not _NUMBER_RE.match(filled[0])
        totals = (len(filled) >= 1 and _TOTAL_RE.match(filled[0]) is not None
                  and all(_NUMBER_RE.match(v) for v in filled[1:]))
        if not (lone_text or totals):
            break
        k -= 1
    if k == n or k == 0:
        return 0
    return n - k


def _too_many_empty(source: str, from_row: int) -> ImportRejected:
    return _reject(source, f"more than {MAX_EMPTY_ROWS:,} empty rows in a row after row {from_row:,}: "
                           f"refused (delete the empty rows, or save the sheet as CSV)")


_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"[^>]*>\s*<f[^>]*?(?:/>|>([^<]*)</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')


def _uncomputed_formulas(wb, ws, headers, keep, header_row_no) -> list[tuple[int, str, str | None, str, str]]:
    """Formula cells saved without their computed value (files written by scripts, never opened)."""
    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if not path or archive is None:
        return []
    letters = {_col_letter(i): headers[k] for k, i in enumerate(keep)}
    found = []
    tail = b""
    with archive.open(path) as src:
        while chunk := src.read(1 << 22):
            buf = tail + chunk
            if b"<f" in buf:
                for m in _FORMULA_NO_VALUE.finditer(buf):
                    col, row = m.group(1).decode(), int(m.group(2))
                    if col in letters and row > header_row_no:
                        formula = (m.group(3) or b"").decode("utf-8", "replace")
                        found.append((row, letters[col], f"={formula}" if formula else None,
                                      "formula without a computed value",
                                      "the file was saved by a program that does not compute formulas: "
                                      "open it in Excel or LibreOffice and save it again"))
                        if len(found) >= 1000:
                            return found
            tail = buf[-4096:]
    return sorted(set(found))


# --------------------------------------------------------------------------- JSON
def read_json(path: Path, source: str) -> list[Sheet]:
    """Salesforce CLI tree-import JSON: ``{"records": [{"attributes": {"type", "referenceId"}, ...}]}``.

    One sheet for the records, and one per relationship of child records nested in them (``sf data export tree``
    of a query with a subquery writes ``"Opportunities": {"records": [...]}`` in each account): the children of
    ``Accounts.json`` are the sheet ``Accounts.json [Opportunities]`` (its sobject from the children's
    ``attributes.type``), each child carrying its parent's reference as the flat export writes it
    (``AccountId``: the account's referenceId). A sheet's line is the record's position in its list.
    """
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise _reject(source, f"{size >> 20} MiB of JSON: above the {MAX_JSON_BYTES >> 20} MiB accepted "
                              f"(export as CSV instead)")
    with open(path, "rb") as fh:
        head = fh.read(64)
    _refuse_binary(source, head)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _reject(source, f"not valid JSON: {_brief(exc)}") from None
    except RecursionError:  # [[[[... : the parser gives up at Python's recursion limit
        raise _reject(source, f"JSON nested deeper than {sys.getrecursionlimit():,} levels: not a CRM export "
                              f"(a Salesforce tree export is a few levels deep)") from None
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise _reject(source, "not a Salesforce tree-import file: a {\"records\": [...]} object is expected")
    sheets: list[Sheet] = []
    _json_sheets(source, "", records, list(range(1, len(records) + 1)), None, sheets, 0)
    return sheets


def _parent_field(sobject: str | None) -> str | None:
    """The field of a child record naming its parent of that type: ``AccountId`` (a standard lookup), the type's
    own name for a custom object (``Project__c``)."""
    if not isinstance(sobject, str) or not sobject:
        return None
    return sobject if sobject.endswith("__c") else f"{sobject}Id"


def _json_sheets(source: str, path: str, records: list, lines: list[int], parents: list | None,
                 out: list[Sheet], depth: int) -> None:
    """The sheet of ``records`` (``parents``: each record's (parent field, parent reference), for children),
    then the sheets of their child records, depth first."""
    names: list[str] = ["Id"]
    sobjects = set()
    rows = []
    kept_lines = []
    nested = set()
    children: dict[str, tuple[list, list]] = {}  # relationship -> (child records, (parent field, parent id) each)
    for k, rec in enumerate(records):
        if not isinstance(rec, dict):
            continue
        attrs = rec.get("attributes") if isinstance(rec.get("attributes"), dict) else {}
        sobject = attrs.get("type") if isinstance(attrs.get("type"), str) else None
        sobjects.add(sobject)
        row = {"Id": attrs.get("referenceId") or rec.get("Id") or rec.get("id")}
        parent_field, parent_id = parents[k] if parents else (None, None)
        if parent_field and parent_id is not None and not any(key.casefold() == parent_field.casefold()
                                                              for key in rec):
            row[parent_field] = parent_id  # as the flat export writes it: "AccountId": "@AccountRef1"
            if parent_field not in names:
                names.append(parent_field)
        for key, v in rec.items():
            if key == "attributes":
                continue
            if isinstance(v, dict) and isinstance(v.get("records"), list) and depth < MAX_JSON_NESTING:
                got = children.setdefault(key, ([], []))
                got[0].extend(v["records"])
                got[1].extend([(_parent_field(sobject), row["Id"])] * len(v["records"]))
                continue
            if isinstance(v, (dict, list)):
                nested.add(key)
                continue
            if key.casefold() == "id":
                continue
            if isinstance(v, str) and v.startswith("@"):
                v = v[1:]  # @AccountRef1: a reference to another record's referenceId
            if key not in names:
                names.append(key)
            row[key] = v
        rows.append(row)
        kept_lines.append(lines[k])
    cols = {n: pa.array([_cell_text(r.get(n)) for r in rows], pa.string()) for n in names}
    sobjects.discard(None)
    notes = [f"nested field(s) ignored: {', '.join(sorted(nested))}"] if nested else []
    if parents:
        fields = sorted({f for f, _ in parents if f})
        notes.append(f"child records nested in {source.split(' [')[0]}"
                     + (f", each linked to its parent by {', '.join(fields)}" if fields else ""))
    shown = f"{source} [{path}]" if path else source
    if rows or not path:
        out.append(Sheet(shown, names, pa.table(cols), pa.array(kept_lines, pa.int64()), "json",
                         sobject=next(iter(sobjects)) if len(sobjects) == 1 else None, notes=notes))
    for relation, (child_records, child_parents) in children.items():
        _json_sheets(source, f"{path}/{relation}" if path else relation, child_records,
                     list(range(1, len(child_records) + 1)), child_parents, out, depth + 1)


# --------------------------------------------------------------------------- folders
def data_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The files of a folder to import, and notes on what was left out.

    A Salesforce data plan (``*plan*.json`` listing ``files``) restricts the
    import to the files it lists (its CSV twins are left out).
    """
    notes: list[str] = []
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith((".", "~$")))
    files = [p for p in entries if p.is_file()]  # follows links; False for devices, FIFOs and link loops
    special = [p.name for p in entries if not p.is_file() and not p.is_dir() and p.suffix.lower() in DATA_SUFFIXES]
    if special:
        notes.append(f"not regular files (a device, a FIFO or a broken link), left out: {', '.join(special)}")
    plans = [p for p in files if p.suffix.lower() == ".json" and "plan" in p.stem.lower()]
    listed: list[Path] = []
    for plan in plans:
        try:
            if plan.stat().st_size > MAX_JSON_BYTES:
                continue
            steps = json.loads(plan.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # an unreadable plan restricts nothing
            continue
        if isinstance(steps, list):
            for step in steps:
                listed_files = step.get("files") if isinstance(step, dict) else None
                for f in listed_files if isinstance(listed_files, list) else []:
                    p = folder / f if isinstance(f, str) else None
                    if p in files:  # a file of this folder only: never ../secret or /etc/passwd
                        if p not in listed:
                            listed.append(p)
                    else:
                        notes.append(f"{plan.name} lists {f}, which is not in the folder")
    if listed:
        left = [shown_name(p) for p in files if p not in listed and p not in plans
                and p.suffix.lower() in DATA_SUFFIXES]
        if left:
            notes.append(f"not in the data plan, not imported: {', '.join(left)}")
        return listed, notes
    out = [p for p in files if p.suffix.lower() in DATA_SUFFIXES | {".xls"} and p not in plans]
    other = [shown_name(p) for p in files if p not in out and p not in plans]
    if other:
        notes.append(f"ignored (not .csv, .tsv, .txt, .xlsx or .json): {', '.join(other)}")
    return out, notes


def copy_upload(src, target: Path, limit: int) -> int:
    """Copy a file-like upload to disk by chunks, refusing it beyond ``limit`` bytes; returns its size."""
    size = 0
    with open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise PilotageError(f"upload larger than {limit >> 20} MiB: import from the command line")
            dst.write(chunk)
    return size


__all__ = ["Sheet", "read_path", "read_text", "read_xlsx", "read_json", "data_files", "extract_zip",
           "check_zip", "copy_upload", "clean_header"]
