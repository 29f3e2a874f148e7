#!/usr/bin/env python3
"""Writes the small committed bad-input CSV corpus beside this script (tests/bad/).

Binary and big cases (damaged EVTX copies, a 10 MB line, random bytes) are made at test time by
tests/e2e/bad_input.rs from fixtures/aug15, so nothing large is committed. Run from anywhere:
    python3 tests/bad/generate.py
Every file is small and deterministic; tests/e2e/bad_input.rs says what each must give.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
H = "timestamp,monitor,status,response_time_ms"


def good(n, start_min=0, monitor="us-west"):
    return [f"2011-08-15T23:{start_min + i:02d}:00Z,{monitor},up,{30 + i}" for i in range(n)]


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


def lines(rows, end="\n"):
    return end.join(rows) + end


probes = {
    # 10 good rows, 2 short, 1 long (extra cells are cut, the row is read)
    "ragged.csv": lines([H] + good(5) + ["2011-08-15T23:05:00Z,us-west", "2011-08-15T23:06:00Z"]
                        + good(5, 7) + ["2011-08-15T23:12:00Z,us-west,up,42,extra,cells"]),
    # a quote left open on line 5 swallows the rest of the file
    "unclosed_quote.csv": lines([H] + good(3) + ['2011-08-15T23:03:00Z,"us-west,up,33'] + good(3, 4)),
    # NUL bytes inside a cell and as a whole line
    "nul_bytes.csv": lines([H] + good(3) + ["2011-08-15T23:03:00Z,us-\x00west,up,33", "\x00\x00\x00"] + good(3, 4)),
    # names in Windows-1252 (é = 0xE9), as Excel saves on a western Windows
    "cp1252.csv": lines([H] + good(3, monitor="montr\xe9al") + good(3, 3)).encode("cp1252"),
    "utf16le.csv": b"\xff\xfe" + lines([H] + good(6), "\r\n").encode("utf-16-le"),
    "utf16be.csv": b"\xfe\xff" + lines([H] + good(6), "\r\n").encode("utf-16-be"),
    "utf8_bom.csv": b"\xef\xbb\xbf" + lines([H] + good(6)).encode(),
    "crlf.csv": lines([H] + good(6), "\r\n"),
    "lone_cr.csv": lines([H] + good(6), "\r"),
    "header_only.csv": lines([H]),
    "empty.csv": b"",
    # rows out of order, one row three times
    "duplicate_unsorted.csv": lines([H] + list(reversed(good(4))) + [good(1)[0]] * 2 + good(2, 4)),
    # the earliest and latest times Windows and most tools can write
    "years_1601_9999.csv": lines([H, "1601-01-01T00:00:00Z,us-west,up,30", "9999-12-31T23:59:59Z,us-west,up,31"] + good(3)),
    # zone-less local times across the fall-back (01:xx twice) and spring-forward (02:xx missing)
    # changes; read with --input-tz America/Los_Angeles
    "dst_change.csv": lines(["time,probe,status"]
                            + [f"2011-11-06 0{h}:{m:02d}:00,local,up" for h in (0, 1) for m in (0, 30)]
                            + ["2011-11-06 01:00:00,local,up", "2011-11-06 01:30:00,local,up"]
                            + ["2011-03-13 01:30:00,local,up", "2011-03-13 02:30:00,local,up", "2011-03-13 03:30:00,local,up"]),
    # cells a spreadsheet or a markdown viewer would run or render
    "injection.csv": lines([H,
                            '2011-08-15T23:00:00Z,=HYPERLINK("http://x.invalid"),up,30',
                            "2011-08-15T23:01:00Z,+cmd|' /C calc'!A0,up,31",
                            "2011-08-15T23:02:00Z,-2+3,up,32",
                            "2011-08-15T23:03:00Z,@SUM(A1),up,33",
                            '2011-08-15T23:04:00Z,"a|b **bold** <script>x</script> [l](http://x.invalid)",up,34',
                            '2011-08-15T23:05:00Z,"line\nbreak",down,',
                            "2011-08-15T23:06:00Z,../../etc/passwd,down,"]),
    # numbers with thousands separators and decimal commas in the latency column
    "number_formats.csv": lines([H, '2011-08-15T23:00:00Z,us-west,up,"1,234"', '2011-08-15T23:01:00Z,us-west,up,"12,5"',
                                 "2011-08-15T23:02:00Z,us-west,up,1.234,5", "2011-08-15T23:03:00Z,us-west,up,40"]),
}

metrics = {
    "thousands_and_decimal_commas.csv": lines(["timestamp,active_calls,cpu_pct",
                                               '2011-08-15T23:00:00Z,"1,234",12.5',
                                               '2011-08-15T23:01:00Z,37,"12,5"',
                                               "2011-08-15T23:02:00Z,38,13.0",
                                               "2011-08-15T23:03:00Z,1 234,14.0"]),
    "ragged.csv": lines(["timestamp,active_calls,cpu_pct", "2011-08-15T23:00:00Z,37,12.5", "2011-08-15T23:01:00Z",
                         "2011-08-15T23:02:00Z,38,13.0,99", "2011-08-15T23:03:00Z,39,14.0"]),
    "nul_bytes.csv": lines(["timestamp,active_calls", "2011-08-15T23:00:00Z,37", "2011-08-15T23:01:00Z,3\x008",
                            "\x00\x00", "2011-08-15T23:03:00Z,39"]),
    "cp1252.csv": lines(["timestamp,d\xe9bit_mo", "2011-08-15T23:00:00Z,37", "2011-08-15T23:01:00Z,38"]).encode("cp1252"),
    "lone_cr.csv": lines(["timestamp,active_calls", "2011-08-15T23:00:00Z,37", "2011-08-15T23:01:00Z,38"], "\r"),
    "header_only.csv": lines(["timestamp,active_calls"]),
    "unclosed_quote.csv": lines(["timestamp,active_calls", "2011-08-15T23:00:00Z,37", '2011-08-15T23:01:00Z,"38',
                                 "2011-08-15T23:02:00Z,39"]),
    "duplicate_unsorted.csv": lines(["timestamp,active_calls", "2011-08-15T23:02:00Z,39", "2011-08-15T23:00:00Z,37",
                                     "2011-08-15T23:00:00Z,37", "2011-08-15T23:01:00Z,38"]),
}

PDH_HEAD = '"(PDH-CSV 4.0) (Pacific Daylight Time)(420)","\\\\SIPSVR01\\Memory\\Available MBytes","\\\\SIPSVR01\\Process(mysqld)\\Handle Count"'
pdh = {
    # no bias in the first cell: unusable without --input-tz
    "no_bias.csv": lines(['"(PDH-CSV 4.0)","\\\\SIPSVR01\\Memory\\Available MBytes"',
                          '"08/15/2011 16:00:00.000","2048"', '"08/15/2011 16:00:15.000","2040"']),
    # the same counter twice (relog of two logs): both columns are kept apart
    "duplicate_counter.csv": lines(['"(PDH-CSV 4.0) (Pacific Daylight Time)(420)","\\\\SIPSVR01\\Memory\\Available MBytes","\\\\SIPSVR01\\Memory\\Available MBytes"',
                                    '"08/15/2011 16:00:00.000","2048","2050"', '"08/15/2011 16:00:15.000","2040","2041"']),
    # typeperf's blank " " cells, a text cell, a short row and a cut-off last row
    "damaged_rows.csv": (lines([PDH_HEAD, '"08/15/2011 16:00:00.000","2048","1200"', '"08/15/2011 16:00:15.000"," ","1201"',
                                '"08/15/2011 16:00:30.000","oops","1202"', '"08/15/2011 16:00:45.000"',
                                '"not a time","2000","1203"', '"08/15/2011 16:01:00.000","2030","1204"'])
                         + '"08/15/2011 16:01:15.000","20'),
    "utf16le.csv": b"\xff\xfe" + lines([PDH_HEAD, '"08/15/2011 16:00:00.000","2048","1200"'], "\r\n").encode("utf-16-le"),
    "header_only.csv": lines([PDH_HEAD]),
    # a zone bias no zone has (adding it overflowed chrono): named, ignored, --input-tz asked for
    "huge_bias.csv": lines(['"(PDH-CSV 4.0) (X)(999999999999999)","\\\\SIPSVR01\\Memory\\Available MBytes"',
                            '"08/15/2011 16:00:00.000","2048"']),
}

for name, data in probes.items():
    write(f"probes/{name}", data)
for name, data in metrics.items():
    write(f"metrics/{name}", data)
for name, data in pdh.items():
    write(f"pdh/{name}", data)
