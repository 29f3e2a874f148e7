#!/usr/bin/env python3
"""Checks faultline's Timesketch exports (.csv / .jsonl) the way Timesketch reads them, offline.

Usage: scripts/check_timesketch.py FILE.csv|FILE.jsonl [EXPECTED_ROWS]

Two checks, each written from Timesketch's documentation ("Create timeline from JSON/JSONL/CSV
file": the mandatory fields `message`, `datetime` in ISO 8601, `timestamp_desc`) and a reading of
its code:
1. The server's rules (timesketch/lib/utils.py, read_and_validate_csv / read_and_validate_jsonl):
   a CSV header holds the three mandatory columns and every `datetime` parses (pandas
   to_datetime, which drops rows it cannot read); every JSONL line is an object holding the three
   mandatory keys and a `datetime` dateutil can parse. Needs pandas for CSV.
2. When the package `timesketch-import-client` is installed: its ImportStreamer.add_file, the
   code `timesketch_importer` runs before it uploads, on a streamer whose upload step is replaced
   by one that keeps the rows, so nothing leaves the machine; every row must come through with
   its `datetime` still readable.
Exits 1 with the reason on the first failure; prints one summary line on success.
"""
import csv
import json
import sys

MANDATORY = ("message", "datetime", "timestamp_desc")


def fail(text):
    print(f"check_timesketch: {text}", file=sys.stderr)
    sys.exit(1)


def server_rules_csv(path):
    try:
        import pandas
    except ImportError:
        fail("pandas is needed for the CSV check (pip install pandas)")
    header = pandas.read_csv(path, nrows=0)
    missing = [f for f in MANDATORY if f not in header.columns]
    if missing:
        fail(f"{path}: mandatory CSV headers missing: {missing}")
    rows = 0
    for chunk in pandas.read_csv(path, chunksize=10000):
        if chunk["datetime"].isnull().any():
            fail(f"{path}: rows with an empty datetime")
        try:
            parsed = pandas.to_datetime(chunk["datetime"], errors="coerce")
        except ValueError as e:
            # The server catches this and skips the whole chunk ("malformed datetime values"):
            # a column of mixed UTC offsets does it.
            fail(f"{path}: Timesketch would skip rows: {e}")
        if parsed.isnull().any():
            bad = chunk["datetime"][parsed.isnull()].iloc[0]
            fail(f"{path}: datetime Timesketch would drop: {bad!r}")
        if chunk["message"].isnull().any() or chunk["timestamp_desc"].isnull().any():
            fail(f"{path}: a row without message or timestamp_desc")
        rows += len(chunk)
    return rows


def server_rules_jsonl(path):
    from dateutil import parser

    rows = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail(f"{path}:{lineno}: not JSON: {e}")
            if not isinstance(obj, dict):
                fail(f"{path}:{lineno}: not a JSON object")
            missing = [f for f in MANDATORY if f not in obj]
            if missing:
                fail(f"{path}:{lineno}: missing field(s) {missing}")
            try:
                parsed = parser.parse(obj["datetime"])
            except (ValueError, OverflowError) as e:
                fail(f"{path}:{lineno}: datetime not readable: {e}")
            if parsed.tzinfo is None:
                fail(f"{path}:{lineno}: datetime without a zone: {obj['datetime']!r}")
            if "timestamp" in obj and obj["timestamp"] != int(parsed.timestamp() * 1_000_000):
                fail(f"{path}:{lineno}: timestamp {obj['timestamp']} is not datetime in microseconds")
            rows += 1
    return rows


def import_client(path):
    """Rows as the import client would upload them, or None when it is not installed."""
    try:
        from timesketch_import_client import importer
    except ImportError:
        return None

    class Offline(importer.ImportStreamer):
        def __init__(self):
            super().__init__()
            self.frames = []
            self.lines = []

        def _ready(self):
            pass

        def _upload_data_frame(self, data_frame, end_stream, retry_count=0):
            self.frames.append(data_frame)

        def _upload_data_buffer(self, end_stream, data_lines=None, retry_count=0):
            self.lines.extend(self._data_lines if data_lines is None else data_lines)

    streamer = Offline()
    streamer.add_file(path)
    streamer.flush()
    if path.endswith(".csv"):
        import pandas

        frame = pandas.concat(streamer.frames) if streamer.frames else pandas.DataFrame()
        for f in MANDATORY:
            if f not in frame:
                fail(f"{path}: the import client's rows have no {f}")
        if frame["datetime"].isnull().any() or (frame["datetime"] == "NaT").any():
            fail(f"{path}: the import client could not read some datetimes")
        return len(frame)
    for row in streamer.lines:
        for f in MANDATORY:
            if not row.get(f):
                fail(f"{path}: the import client's row has no {f}: {row}")
    return len(streamer.lines)


def main():
    if len(sys.argv) not in (2, 3):
        fail(__doc__.splitlines()[2])
    path = sys.argv[1]
    if path.endswith(".csv"):
        rows = server_rules_csv(path)
        with open(path, encoding="utf-8", newline="") as fh:
            csv_rows = sum(1 for _ in csv.reader(fh)) - 1
        if rows != csv_rows:
            fail(f"{path}: pandas read {rows} rows, the csv module {csv_rows}")
    elif path.endswith(".jsonl"):
        rows = server_rules_jsonl(path)
    else:
        fail(f"{path}: Timesketch takes .csv or .jsonl files")
    client_rows = import_client(path)
    if client_rows is not None and client_rows != rows:
        fail(f"{path}: the import client kept {client_rows} of {rows} rows")
    if len(sys.argv) == 3 and rows != int(sys.argv[2]):
        fail(f"{path}: {rows} rows, expected {sys.argv[2]}")
    client = "and by timesketch-import-client" if client_rows is not None else "(import client not installed)"
    print(f"{path}: {rows} rows accepted by Timesketch's rules {client}")


if __name__ == "__main__":
    main()
