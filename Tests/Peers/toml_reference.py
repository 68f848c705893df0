#!/usr/bin/env python3
"""The reference TOML 1.0 reader for TOMLTests' conformance test: Python's tomllib (3.11+).

usage: toml_reference.py FILE
Prints FILE as tagged JSON, the toml-test convention: every scalar as {"type": T, "value": TEXT} with T one of
string, integer, float, bool, datetime, datetime-local, date-local, time-local; tables as objects, arrays as
arrays. Date-times are printed in the one canonical form the Swift test normalises its own to (isoformat: "T"
between date and time, microseconds only when not zero, a zero offset as +00:00).
Exit status: 0 for a valid document, 1 when tomllib rejects it (its message on stderr), 2 when this script
cannot do its work (no tomllib before Python 3.11, no such file), so the test tells a rejection from a failure.
"""
import datetime
import json
import math
import sys

try:
    import tomllib
except ImportError:
    print(f"toml_reference.py needs Python 3.11 or later for tomllib; this is {sys.version.split()[0]}", file=sys.stderr)
    sys.exit(2)


def tagged(value):
    # bool before int: True is an int in Python.
    if isinstance(value, bool):
        return {"type": "bool", "value": "true" if value else "false"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        text = "nan" if math.isnan(value) else repr(value)
        return {"type": "float", "value": text}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    # datetime before date: a datetime is a date in Python.
    if isinstance(value, datetime.datetime):
        kind = "datetime" if value.tzinfo is not None else "datetime-local"
        return {"type": kind, "value": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"type": "date-local", "value": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"type": "time-local", "value": value.isoformat()}
    if isinstance(value, list):
        return [tagged(item) for item in value]
    if isinstance(value, dict):
        return {key: tagged(item) for key, item in value.items()}
    raise TypeError(f"unexpected {type(value).__name__} from tomllib")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        with open(sys.argv[1], "rb") as f:
            data = f.read()
    except OSError as error:
        print(f"toml_reference.py: {error}", file=sys.stderr)
        sys.exit(2)
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        print(f"tomllib: {error}", file=sys.stderr)
        sys.exit(1)
    except UnicodeDecodeError as error:
        print(f"tomllib: not UTF-8: {error}", file=sys.stderr)
        sys.exit(1)
    json.dump(tagged(document), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


main()
