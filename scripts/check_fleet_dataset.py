#!/usr/bin/env python3
"""Reads faultline's partitioned timeline dataset back with DuckDB (an engine that knows nothing of
faultline) and holds it to faultline's own answers: the rows of each host equal the entries of
`faultline timeline HOST_DIR --format jsonl` for that host, and the windows that overlap across
hosts, found with SQL from the dataset's window markers, equal the report's `overlaps`.
Usage: check_fleet_dataset.py DATASET_DIR REPORT.json HOST=TIMELINE.jsonl [HOST=TIMELINE.jsonl ...]"""
import json
import sys

import duckdb


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    dataset, report_path, expected = sys.argv[1], sys.argv[2], sys.argv[3:]
    parts = f"{dataset}/**/*.parquet"
    con = duckdb.connect()
    rows = dict(
        con.execute(
            "SELECT host, count(*) FROM read_parquet(?, hive_partitioning = true) "
            "WHERE source <> 'window' GROUP BY host",
            [parts],
        ).fetchall()
    )
    failed = 0
    for item in expected:
        host, path = item.split("=", 1)
        with open(path, encoding="utf-8") as f:
            want = sum(1 for line in f if line.strip())
        got = rows.get(host, 0)
        status = "ok" if got == want else "MISMATCH"
        failed += got != want
        print(f"{status}: {host}: {got} rows in the dataset, {want} timeline entries")
    time_type = con.execute(
        "SELECT typeof(time) FROM read_parquet(?, hive_partitioning = true) LIMIT 1", [parts]
    ).fetchone()[0]
    if not time_type.startswith("TIMESTAMP"):
        print(f"MISMATCH: time is {time_type}, not a timestamp")
        failed += 1
    # Each host's windows from their markers, then the pairs of hosts whose windows overlap.
    pairs = con.execute(
        """
        WITH w AS (
          SELECT host, "window",
                 min(time) FILTER (WHERE kind = 'start') AS s,
                 max(time) FILTER (WHERE kind = 'recovered') AS e
          FROM read_parquet(?, hive_partitioning = true)
          WHERE source = 'window'
          GROUP BY host, "window")
        SELECT a.host, a."window", a.s, a.e, b.host, b."window", b.s, b.e
        FROM w a JOIN w b ON a.host < b.host AND a.s <= b.e AND b.s <= a.e
        ORDER BY a.s, a.host, b.host
        """,
        [parts],
    ).fetchall()
    # Windows joined through shared overlaps are one group; its span is what all of them share.
    groups = []
    for ah, aw, as_, ae, bh, bw, bs, be in pairs:
        a, b = (ah, aw, as_, ae), (bh, bw, bs, be)
        home = next((g for g in groups if a in g or b in g), None)
        if home is None:
            groups.append({a, b})
        else:
            home.update([a, b])
    found = sorted(
        (
            sorted({w[0] for w in g}),
            max(w[2] for w in g).strftime("%Y-%m-%dT%H:%M:%SZ"),
            min(w[3] for w in g).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for g in groups
    )
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    said = sorted((sorted(o["hosts"]), o["from"], o["to"]) for o in report["overlaps"])
    if found == said:
        print(f"ok: {len(found)} cross-host overlap(s), as the report says: {found}")
    else:
        print(f"MISMATCH: DuckDB finds {found}, the report says {said}")
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
