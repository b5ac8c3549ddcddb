"""Exports as streamed CSV or JSON text: rows go out as the database yields them, never all held in memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula
ROWS_PER_CHUNK = 200


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for lists and objects, empty for None; free text that would start a spreadsheet
    formula (a patient's message can say anything) gets a leading apostrophe, as OWASP advises."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return f"'{text}" if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def csv_chunks(rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> Iterator[str]:
    """The header, then the rows, a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(row.get(name)) for name in fields])
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array of the rows, one per line, a few hundred at a time."""
    yield "["
    batch: list[str] = []
    separator = "\n"  # before the first row; ",\n" between rows
    for row in rows:
        batch.append(json.dumps(row, ensure_ascii=False))
        if len(batch) == ROWS_PER_CHUNK:
            yield separator + ",\n".join(batch)
            batch, separator = [], ",\n"
    if batch:
        yield separator + ",\n".join(batch)
    yield "\n]\n"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
