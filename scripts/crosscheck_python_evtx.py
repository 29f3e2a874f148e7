#!/usr/bin/env python3
"""Cross-checks events read from an EVTX file against python-evtx, an independent parser.

Usage: crosscheck_python_evtx.py FILE.evtx EXPECTED.jsonl

EXPECTED.jsonl holds one JSON object per record, in file order, with the keys
  record_id   the record's id
  time        System/TimeCreated SystemTime, RFC 3339 in UTC ("2024-03-01T12:00:00.123456Z");
              compared to the precision given (up to 7 fractional digits, 100 ns), truncated
              or rounded
  provider    System/Provider Name
  event_id    System/EventID
  level       System/Level
  channel     System/Channel
  computer    System/Computer
  data        EventData: {"name": "value", ...} for <Data Name="name">, and the unnamed <Data>
              values in order as a list under "Data"
and optionally `qualifiers` (System/EventID Qualifiers; null when there are none). Other keys
are ignored.

Values are taken from python-evtx's node tree (the tokens and substitutions that `record.xml()`
renders from), not from its XML text: that text drops control characters and does not escape
quotes in attributes, so it cannot carry every value exactly. Each record must also render with
`record.xml()`. UTF-16 strings are decoded as UTF-16LE from the bytes python-evtx locates,
because its own decoding drops a leading U+FEFF.

Also checks the file header and every chunk with python-evtx's own `verify()` (magic, version,
CRC32s). Prints one line per difference and a final line "N passed, M failed" (records). Exits
0 when every record matches and the checks pass, 1 otherwise, 2 when the inputs cannot be read.

Needs `pip install python-evtx`.
"""

import datetime
import json
import re
import sys

try:
    import Evtx.Evtx as evtx
    import Evtx.Nodes as nodes
except ImportError:
    sys.exit("crosscheck_python_evtx.py: needs python-evtx (pip install python-evtx)")

FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)
TICKS_PER_SECOND = 10_000_000
ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
TIME_PATTERN = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]00:00)$"
)


class Element:
    """An XML element rebuilt from python-evtx nodes; `text` holds its direct text."""

    def __init__(self, tag):
        self.tag = tag
        self.attributes = {}
        self.children = []
        self.text = []

    def child(self, tag):
        return next((c for c in self.children if c.tag == tag), None)


class Text(str):
    """A text value; `ticks` is set when it came from a FILETIME substitution."""

    ticks = None


def wstring(value):
    """A UTF-16 string value's text.

    python-evtx decodes with Python's "utf16" codec, which takes a leading U+FEFF for a byte
    order mark and drops it; this decodes the bytes python-evtx found as UTF-16LE instead.
    """
    if value._length is None:
        start, size = 2, value.string_length() * 2
    else:
        start, size = 0, value._length
    try:
        text = value.unpack_binary(start, size).decode("utf-16-le")
    except UnicodeDecodeError:
        return value.string()
    return text.rstrip("\x00")


def value_text(value):
    if isinstance(value, nodes.WstringTypeNode):
        return Text(wstring(value))
    if isinstance(value, nodes.FiletimeTypeNode):
        text = Text(value.string())
        text.ticks = value.unpack_qword(0)
        return text
    return Text(value.string())


def build(node, subs, parent, attribute=None):
    """Adds what `node` renders to `parent` (or to attribute `attribute` of it)."""

    def emit(text):
        if attribute is None:
            parent.text.append(text)
        else:
            parent.attributes[attribute].append(text)

    if isinstance(node, nodes.OpenStartElementNode):
        element = Element(node.tag_name())
        parent.children.append(element)
        for child in node.children():
            if isinstance(child, nodes.AttributeNode):
                name = child.attribute_name().string()
                element.attributes[name] = []
                build(child.attribute_value(), subs, element, name)
            else:
                build(child, subs, element)
    elif isinstance(node, nodes.ValueNode):
        emit(value_text(node.children()[0]))
    elif isinstance(node, (nodes.NormalSubstitutionNode, nodes.ConditionalSubstitutionNode)):
        sub = subs[node.index()]
        if isinstance(sub, nodes.BXmlTypeNode):
            root = sub.root()
            for child in root.template().children():
                build(child, root.substitutions(), parent, attribute)
        elif isinstance(sub, nodes.NullTypeNode):
            if isinstance(node, nodes.NormalSubstitutionNode):
                emit(Text(""))
        else:
            emit(value_text(sub))
    elif isinstance(node, nodes.CDataSectionNode):
        emit(Text(node.cdata()))
    elif isinstance(node, nodes.CharacterReferenceNode):
        emit(Text(chr(node.entity())))
    elif isinstance(node, nodes.EntityReferenceNode):
        name = node._chunk.strings()[node.string_offset()].string()
        emit(Text(ENTITIES.get(name, "&%s;" % name)))


def join(parts):
    """The text of several parts; a lone FILETIME keeps its ticks."""
    if parts is None:
        return None
    if len(parts) == 1:
        return parts[0]
    return Text("".join(parts))


def read_record(record):
    """The fields the JSONL holds, as python-evtx reads them from `record`."""
    root = record.root()
    document = Element("#document")
    subs = root.substitutions()
    for child in root.template().children():
        build(child, subs, document)
    event = document.child("Event")
    system = event.child("System") if event else None
    if system is None:
        raise ValueError("no Event/System element")

    def text(tag):
        element = system.child(tag)
        return join(element.text) if element else None

    def attribute(tag, name):
        element = system.child(tag)
        return join(element.attributes.get(name)) if element else None

    named, unnamed, duplicates = {}, [], []
    event_data = event.child("EventData")
    for data in event_data.children if event_data else []:
        if data.tag != "Data":
            continue
        value = join(data.text)
        if "Name" in data.attributes:
            name = join(data.attributes["Name"])
            if name in named:
                duplicates.append(name)
            named[name] = value
        else:
            unnamed.append(value)
    return {
        "record_id": record.record_num(),
        "event_record_id": text("EventRecordID"),
        "time": attribute("TimeCreated", "SystemTime"),
        "provider": attribute("Provider", "Name"),
        "event_id": text("EventID"),
        "qualifiers": attribute("EventID", "Qualifiers"),
        "level": text("Level"),
        "channel": text("Channel"),
        "computer": text("Computer"),
        "named": named,
        "unnamed": unnamed,
        "duplicates": duplicates,
    }


def parse_time(text):
    """(ticks since 1601, ticks per unit of the precision given) of an RFC 3339 UTC time."""
    match = TIME_PATTERN.match(text)
    if not match:
        raise ValueError("not an RFC 3339 UTC time: %r" % text)
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7) or ""
    whole = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)
    delta = whole - FILETIME_EPOCH
    ticks = (delta.days * 86400 + delta.seconds) * TICKS_PER_SECOND
    digits = min(len(fraction), 7)
    unit = 10 ** (7 - digits)
    ticks += int(fraction[:digits] or "0") * unit
    return ticks, unit


def as_text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def short(value, limit=120):
    """repr of `value`, cut down to about `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...(%d characters)" % len(text)


def compare(expected, actual):
    """The differences between one JSONL object and one record, as strings."""
    problems = []

    def check(field, want, got):
        if as_text(want) != as_text(got):
            problems.append("%s: expected %s, got %s" % (field, short(want), short(got)))

    check("record_id", expected.get("record_id"), actual["record_id"])
    if actual["event_record_id"] is not None:
        check("EventRecordID", expected.get("record_id"), actual["event_record_id"])
    for field in ("provider", "event_id", "level", "channel", "computer"):
        check(field, expected.get(field), actual[field])
    if "qualifiers" in expected:
        check("qualifiers", expected["qualifiers"], actual["qualifiers"])

    got_time = actual["time"]
    try:
        want_ticks, unit = parse_time(str(expected.get("time")))
        if got_time is None or got_time.ticks is None:
            problems.append("time: expected %r, got no FILETIME (%r)" % (expected.get("time"), got_time))
        elif want_ticks not in (
            got_time.ticks // unit * unit,  # truncated to the precision given
            (got_time.ticks + unit // 2) // unit * unit,  # or rounded
        ):
            problems.append(
                "time: expected %r, got %s (%d ticks, %d apart)"
                % (expected.get("time"), got_time, got_time.ticks, got_time.ticks - want_ticks)
            )
    except ValueError as error:
        problems.append("time: %s" % error)

    data = expected.get("data") or {}
    want_unnamed = data.get("Data") if isinstance(data.get("Data"), list) else []
    want_named = {k: v for k, v in data.items() if not (k == "Data" and isinstance(v, list))}
    for name in actual["duplicates"]:
        problems.append("data: Data Name %r occurs more than once" % name)
    for name in sorted(set(want_named) | set(actual["named"])):
        if name not in actual["named"]:
            problems.append("data[%r]: expected %s, missing" % (name, short(want_named[name])))
        elif name not in want_named:
            problems.append("data[%r]: unexpected %s" % (name, short(actual["named"][name])))
        else:
            check("data[%r]" % name, want_named[name], actual["named"][name])
    if [as_text(v) for v in want_unnamed] != [as_text(v) for v in actual["unnamed"]]:
        problems.append("data unnamed: expected %s, got %s" % (short(want_unnamed), short(actual["unnamed"])))
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    evtx_path, jsonl_path = argv[1], argv[2]
    try:
        with open(jsonl_path, encoding="utf-8") as jsonl:
            expected = [json.loads(line) for line in jsonl if line.strip()]
    except (OSError, ValueError) as error:
        print("%s: %s" % (jsonl_path, error), file=sys.stderr)
        return 2

    passed = failed = 0
    broken = False
    try:
        with evtx.Evtx(evtx_path) as log:
            header = log.get_file_header()
            if not header.verify():
                print("%s: file header fails python-evtx's checks (magic, version, CRC32)" % evtx_path)
                broken = True
            for number, chunk in enumerate(header.chunks()):
                if not chunk.verify():
                    print("%s: chunk %d fails python-evtx's checks (magic, CRC32s)" % (evtx_path, number))
                    broken = True
            records = log.records()
            # faultline lists events in time order; the file holds them in record order, which
            # differs where a clock was corrected or the kernel wrote its records late.
            expected.sort(key=lambda e: e.get("record_id") or 0)
            for index, want in enumerate(expected):
                record = next(records, None)
                if record is None:
                    print("line %d (record %s): no such record in the file" % (index + 1, want.get("record_id")))
                    failed += 1
                    continue
                try:
                    problems = compare(want, read_record(record))
                    record.xml()
                except Exception as error:  # python-evtx raises many kinds on bad BinXML
                    problems = ["python-evtx cannot read it: %s: %s" % (type(error).__name__, error)]
                for problem in problems:
                    print("record %s: %s" % (want.get("record_id"), problem))
                if problems:
                    failed += 1
                else:
                    passed += 1
            for record in records:
                print("record %d: in the file but not in %s" % (record.record_num(), jsonl_path))
                failed += 1
    except OSError as error:
        print("%s: %s" % (evtx_path, error), file=sys.stderr)
        return 2

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
