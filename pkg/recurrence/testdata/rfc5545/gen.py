#!/usr/bin/env python3
"""Expected occurrences of cases.json, computed by an independent RFC 5545 implementation.

The tool is python-dateutil's rrule (dateutil.rrule.rrulestr), the implementation that
rrule.js and rrule-go are ports of, with IANA zones from Python's zoneinfo (the system
tzdata). It shares no code and no language with pkg/recurrence, which is why it was
chosen over a Go port. It is run by hand, never by the build:

    python3 pkg/recurrence/testdata/rfc5545/gen.py > pkg/recurrence/testdata/rfc5545/expected.json

(pip package python-dateutil, or Debian's python3-dateutil). The output names the
versions that produced it; review its diff before committing it.

A case is a series as RFC 5545 writes it: DTSTART (a local date-time with TZID=zone,
or a DATE for an all-day series) and an RRULE. Each occurrence is written in the
case's zone with its UTC offset (an instant), or as a date for an all-day series.
dateutil reads a wall-clock time that a daylight-saving gap skips with the offset in
force before the gap and an ambiguous one as the earlier instant (PEP 495 fold=0),
which is what RFC 5545 says; the times are normalized through UTC before printing so
that a skipped 02:30 prints as the 03:30 it is.
"""

import datetime
import itertools
import json
import os
import platform
import sys
import zoneinfo

import dateutil
from dateutil.rrule import rrulestr

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIMIT = 400


def tzdata_version():
    for base in zoneinfo.TZPATH:
        try:
            with open(os.path.join(base, "tzdata.zi")) as f:
                first = f.readline().strip()
                if first.startswith("# version "):
                    return first[len("# version "):]
        except OSError:
            pass
    return "unknown"


def expand(case):
    zone = zoneinfo.ZoneInfo(case["zone"])
    limit = case.get("limit", DEFAULT_LIMIT)
    if "T" in case["dtstart"]:
        start = datetime.datetime.fromisoformat(case["dtstart"]).replace(tzinfo=zone)
        fmt = lambda dt: dt.astimezone(datetime.timezone.utc).astimezone(zone).isoformat()
    else:
        # An all-day series: dateutil works on naive datetimes at midnight.
        start = datetime.datetime.fromisoformat(case["dtstart"])
        fmt = lambda dt: dt.date().isoformat()
    rule = rrulestr(case["rrule"], dtstart=start)
    got = [fmt(dt) for dt in itertools.islice(rule, limit)]
    # RFC 5545 counts DTSTART as the first occurrence even when it does not fit the
    # rule; dateutil does not. Every case starts on a day that fits, checked here.
    if not got or not got[0].startswith(case["dtstart"]):
        sys.exit(f"case {case['name']!r}: dtstart {case['dtstart']} is not the first occurrence {got[:1]}")
    return got


def main():
    with open(os.path.join(HERE, "cases.json")) as f:
        cases = json.load(f)
    out = {
        "generator": (
            f"python-dateutil {dateutil.__version__} (dateutil.rrule.rrulestr) on "
            f"{platform.python_implementation()} {platform.python_version()}, zones from "
            f"zoneinfo with IANA tzdata {tzdata_version()}"
        ),
        "regenerate": "python3 pkg/recurrence/testdata/rfc5545/gen.py > pkg/recurrence/testdata/rfc5545/expected.json",
        "cases": [],
    }
    for case in cases:
        c = dict(case)
        c.setdefault("limit", DEFAULT_LIMIT)
        c["occurrences"] = expand(case)
        out["cases"].append(c)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
