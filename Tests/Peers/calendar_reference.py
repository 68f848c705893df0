#!/usr/bin/env python3
"""The reference expansion of iCalendar feeds for the calendar tests and the calendar benchmark: an
implementation independent of the daemon's (libical), built on Python's icalendar, recurring-ical-events and
x-wr-timezone. Install them once (the versions the fixtures were generated with):

    python3 -m venv /tmp/calvenv
    /tmp/calvenv/bin/pip install icalendar==7.3.2 recurring-ical-events==3.8.2 x-wr-timezone==2.0.1

usage:
  calendar_reference.py expand FEED.ics FROM TO [--zone IANA]
      Prints {"from": FROM, "to": TO, "occurrences": [{"uid", "start", "end", "summary"}, ...]} as JSON,
      occurrences sorted by (start, uid), times as YYYY-MM-DDTHH:MM:SSZ. FROM and TO are UTC, ISO 8601 with Z.
  calendar_reference.py write-expected DIR
      For every DIR/NAME.ics with a sibling NAME.window (one line: FROM TO [ZONE]) writes DIR/NAME.expected.json:
      the output of expand plus "generator" (the library versions) and, when events could not be read,
      "skipped": [their UIDs, sorted].
  calendar_reference.py bench FEED.ics FROM TO
      Expands FEED over the window and prints one line
      "reference: <N> occurrences in <ms> ms, max RSS <MiB> MiB" (the time covers parsing and expansion only).
  calendar_reference.py make-bench-feed OUT.ics
      Writes a deterministic 2,000-event university timetable export for Europe/Berlin (see make_bench_feed).

The rules of an expansion (what the daemon's engine is expected to do as well):
  - An occurrence is listed when it overlaps [FROM, TO): end > FROM and start < TO. An event without DTEND or
    DURATION takes no time (end == start), so it is listed when FROM < start < TO.
  - Timed events only: an event whose DTSTART is a DATE (all day) is left out with all its occurrences.
  - An occurrence whose STATUS is CANCELLED is left out: a cancelled event with all its occurrences, or one
    occurrence cancelled by an override (RECURRENCE-ID) of its own.
  - Floating times (no TZID, no Z) are taken in the calendar's X-WR-TIMEZONE when it has one, else in --zone (the
    window file's ZONE; UTC when not given). This is done with x-wr-timezone's calendar walker restricted to
    floating times: x_wr_timezone.to_standard() -- which recurring_ical_events.of() applies on its own, so this
    script builds its CalendarQuery directly -- would also move UTC times (DTSTART:...Z) into X-WR-TIMEZONE, which
    for a recurring series anchored in UTC changes its wall-clock time across a DST change. The fixtures hold no
    such series, so both readings give them the same occurrences; write-expected checks that and warns if not.
  - Output times are UTC.
  - An event (all components sharing a UID) that cannot be read -- no DTSTART or a broken one, an RRULE dateutil
    rejects, a broken EXDATE -- is skipped with a message on stderr naming its UID; the rest of the feed is
    expanded. recurring-ical-events groups components into a series per UID; this script builds and expands each
    series on its own, so one bad series does not take the feed down. (A DTEND before its DTSTART is not an
    error to recurring-ical-events: it swaps the two.)
Exit status: 0 when the work was done (even with skipped events), 1 when the feed cannot be parsed at all, 2 on a
usage error.
"""
import argparse
import contextlib
import datetime
import io
import json
import random
import resource
import sys
import time
import zoneinfo
from pathlib import Path

try:
    import icalendar
    import recurring_ical_events
    import x_wr_timezone
    from recurring_ical_events.selection.name import ComponentsWithName
except ImportError as error:
    print(f"calendar_reference.py needs icalendar, recurring-ical-events and x-wr-timezone ({error}); "
          "see the docstring for the one pip command", file=sys.stderr)
    sys.exit(2)

GENERATOR = "icalendar 7.3.2 + recurring-ical-events 3.8.2 + x-wr-timezone 2.0.1"
UTC = datetime.timezone.utc


def parse_utc(text):
    """FROM/TO: ISO 8601 in UTC with a Z."""
    if not text.endswith("Z"):
        raise argparse.ArgumentTypeError(f"{text!r}: a UTC time ending in Z, e.g. 2026-11-02T00:00:00Z")
    return datetime.datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def utc_text(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FloatingTimesIn(x_wr_timezone.UTCChangingWalker):
    """x-wr-timezone's walker, but only floating date-times are placed in the zone; UTC times stay UTC.
    Floating means no tzinfo: x-wr-timezone's own is_Floating tests tzname() is None, which is also true of a zone
    built from a VTIMEZONE without TZNAME (Outlook writes none), and would put those times in the wrong zone."""

    def walk_value_datetime(self, dt):
        if dt.tzinfo is None:
            return dt.replace(tzinfo=self.new_timezone)
        return dt


class SeriesPerUID(ComponentsWithName):
    """recurring-ical-events' VEVENT selection, with each UID's series built on its own: one that fails is
    reported (on stderr, by UID) and left out rather than failing the whole calendar."""

    def __init__(self, skipped):
        super().__init__("VEVENT")
        self.skipped = skipped

    def collect_series_from(self, source, suppress_errors):
        by_uid = {}
        for component in source.walk("VEVENT"):
            try:
                adapter = self._adapter(component)
                by_uid.setdefault(adapter.uid, []).append(adapter)
            except Exception as error:  # noqa: BLE001 -- any failure of one event is that event's
                report(self.skipped, str(component.get("UID", "?")), error)
        result = []
        for uid, adapters in by_uid.items():
            try:
                result.append(self._series(adapters))
            except Exception as error:  # noqa: BLE001
                report(self.skipped, uid, error)
        return result


def report(skipped, uid, error):
    uid = str(uid)
    if uid not in skipped:
        skipped.append(uid)
        print(f"calendar_reference.py: skipped event {uid}: {type(error).__name__}: {error}", file=sys.stderr)


def read_calendar(data, zone_name):
    calendar = icalendar.Calendar.from_ical(data)
    calendar_zone = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    if calendar_zone:
        try:
            zone = zoneinfo.ZoneInfo(calendar_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            print(f"calendar_reference.py: X-WR-TIMEZONE {calendar_zone!r} is no IANA zone; floating times are taken "
                  f"in {zone.key}", file=sys.stderr)
    return FloatingTimesIn(zone).walk(calendar)


def expand_calendar(calendar, start, stop, skipped, fallback_zone="UTC"):
    """The occurrences of calendar's timed, not cancelled events that overlap [start, stop), as dicts."""
    # CalendarQuery rather than recurring_ical_events.of(), which first applies x_wr_timezone.to_standard itself.
    query = recurring_ical_events.CalendarQuery(calendar, components=[SeriesPerUID(skipped)])
    zone = zoneinfo.ZoneInfo(fallback_zone)
    found = []
    for series in query.series:
        try:
            occurrences = list(series.between(start, stop))
            rows = []
            for occurrence in occurrences:
                component = occurrence.as_component(False)
                begin, end = occurrence.start, occurrence.end
                if not isinstance(begin, datetime.datetime):
                    continue  # all day
                if str(component.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                if not isinstance(end, datetime.datetime):  # DTEND as a DATE after a DATE-TIME start: not RFC 5545
                    end = datetime.datetime.combine(end, datetime.time(), begin.tzinfo)
                begin = begin if begin.tzinfo else begin.replace(tzinfo=zone)
                end = end if end.tzinfo else end.replace(tzinfo=zone)
                if not (end > start and begin < stop):
                    continue
                summary = component.get("SUMMARY")
                rows.append({"uid": str(series.uid), "start": utc_text(begin), "end": utc_text(end),
                             "summary": None if summary is None else str(summary)})
            found.extend(rows)
        except Exception as error:  # noqa: BLE001
            report(skipped, str(series.uid), error)
    found.sort(key=lambda row: (row["start"], row["uid"], row["end"]))
    return found


def expand_file(path, start, stop, zone_name=None):
    skipped = []
    calendar = read_calendar(Path(path).read_bytes(), zone_name)
    return expand_calendar(calendar, start, stop, skipped, zone_name or "UTC"), skipped


def result_json(start_text, stop_text, occurrences):
    return {"from": start_text, "to": stop_text, "occurrences": occurrences}


def cmd_expand(args):
    occurrences, _ = expand_file(args.feed, parse_utc(args.start), parse_utc(args.stop), args.zone)
    json.dump(result_json(args.start, args.stop, occurrences), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def cmd_write_expected(args):
    directory = Path(args.dir)
    windows = sorted(directory.glob("*.window"))
    if not windows:
        print(f"calendar_reference.py: no *.window files in {directory}", file=sys.stderr)
        return 1
    for window in windows:
        feed = window.with_suffix(".ics")
        if not feed.exists():
            continue
        fields = window.read_text().split()
        start_text, stop_text = fields[0], fields[1]
        zone_name = fields[2] if len(fields) > 2 else None
        start, stop = parse_utc(start_text), parse_utc(stop_text)
        occurrences, skipped = expand_file(feed, start, stop, zone_name)
        document = result_json(start_text, stop_text, occurrences)
        if skipped:
            document["skipped"] = sorted(skipped)
        document["generator"] = GENERATOR
        target = window.with_name(window.stem + ".expected.json")
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"{target.name}: {len(occurrences)} occurrences" + (f", skipped {sorted(skipped)}" if skipped else ""))
        check_x_wr_timezone_reading(feed, start, stop, zone_name, occurrences)
    return 0


def check_x_wr_timezone_reading(feed, start, stop, zone_name, occurrences):
    """Warn when x_wr_timezone.to_standard (which also moves UTC times into X-WR-TIMEZONE) would give the feed
    other occurrences: the fixture would then depend on which reading of X-WR-TIMEZONE an engine takes."""
    calendar = icalendar.Calendar.from_ical(feed.read_bytes())
    if "X-WR-TIMEZONE" not in calendar:
        return
    with contextlib.redirect_stderr(io.StringIO()):  # its skipped events were reported already
        other = expand_calendar(x_wr_timezone.to_standard(calendar), start, stop, [], zone_name or "UTC")
    if other != occurrences:
        print(f"warning: {feed.name}: x_wr_timezone.to_standard gives other occurrences than the floating-only "
              "reading (a recurring series anchored in UTC?)", file=sys.stderr)


def cmd_bench(args):
    start, stop = parse_utc(args.start), parse_utc(args.stop)
    data = Path(args.feed).read_bytes()
    began = time.perf_counter()
    calendar = read_calendar(data, None)
    occurrences = expand_calendar(calendar, start, stop, [])
    elapsed = (time.perf_counter() - began) * 1000
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"reference: {len(occurrences)} occurrences in {elapsed:.0f} ms, max RSS {rss_mib:.1f} MiB")


# --- the benchmark feed -----------------------------------------------------------------------------------------

BERLIN_VTIMEZONE = [
    "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
]


def fold(line):
    """RFC 5545 3.1: lines of at most 75 octets, continued after CRLF and a space, never inside a UTF-8 character."""
    data = line.encode("utf-8")
    pieces, limit = [], 75
    while len(data) > limit:
        cut = limit
        while (data[cut] & 0xC0) == 0x80:
            cut -= 1
        pieces.append(data[:cut])
        data, limit = data[cut:], 74
    pieces.append(data)
    return b"\r\n ".join(pieces).decode("utf-8")


def escape_text(text):
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def make_bench_feed(out):
    """2,000 VEVENTs of a university timetable export (Europe/Berlin, 2027): a quarter recurring -- weekly lectures
    on one or two weekdays until the end of a semester, daily block courses with COUNT, monthly meetings on the
    second Tuesday, yearly events, some with EXDATE (holidays) and RDATE (extra sessions) -- and the rest single
    sessions, about one in twenty all day and one in forty cancelled. Seeded, so the same bytes every time."""
    rng = random.Random(20270101)
    subjects = ["Analysis", "Lineare Algebra", "Theoretische Informatik", "Datenbanken", "Rechnernetze",
                "Experimentalphysik", "Organische Chemie", "Mikroökonomik", "Statistik", "Softwaretechnik",
                "Signale und Systeme", "Werkstoffkunde", "Thermodynamik", "Europarecht", "Neuere Geschichte"]
    kinds = ["Vorlesung", "Übung", "Tutorium", "Seminar", "Praktikum"]
    rooms = [f"{b}.{f}.{n:02d}" for b in ("HS1", "HS2", "G", "N", "M") for f in range(1, 4) for n in (1, 5, 12)]
    weekdays = ["MO", "TU", "WE", "TH", "FR"]
    year_start = datetime.date(2027, 1, 4)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Universität Musterstadt//Stundenplan-Export 4.2//DE",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Stundenplan 2027", "X-WR-TIMEZONE:Europe/Berlin",
             *BERLIN_VTIMEZONE]
    stamp = "20261215T080000Z"
    for number in range(2000):
        subject, kind, room = rng.choice(subjects), rng.choice(kinds), rng.choice(rooms)
        day = year_start + datetime.timedelta(days=rng.randrange(0, 357))
        while day.weekday() > 4:
            day += datetime.timedelta(days=1)
        all_day = number % 20 == 7
        pattern = (number // 4) % 8 if number % 4 == 0 else None  # a quarter recur; none of them all day
        if pattern in (5, 6):  # on the second Tuesday: DTSTART in step with its rule
            day = nth_weekday(day, 0, 1, 2)
        hour = rng.choice([8, 10, 12, 14, 16, 18])
        begin = datetime.datetime(day.year, day.month, day.day, hour, 15 if hour == 8 else 0)
        end = begin + datetime.timedelta(minutes=rng.choice([90, 90, 90, 45, 120, 180]))
        uid = f"lv-{number:05d}-{begin:%Y%m%d}@stundenplan.uni-musterstadt.de"
        event = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", "CREATED:20260901T120000Z",
                 f"LAST-MODIFIED:{stamp}", "SEQUENCE:0"]
        if all_day:
            event += [f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}", "TRANSP:TRANSPARENT"]
        else:
            event += [f"DTSTART;TZID=Europe/Berlin:{begin:%Y%m%dT%H%M%S}",
                      f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}", "TRANSP:OPAQUE"]
        if pattern in (0, 1, 2):  # weekly on one or two weekdays until the end of the semester
            days = sorted({weekdays[day.weekday()], rng.choice(weekdays)}, key=weekdays.index)
            until = datetime.datetime(2027, 7, 16, 21, 59, 59) if day.month < 7 else datetime.datetime(2028, 2, 11, 22, 59, 59)
            event.append(f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ};BYDAY={','.join(days)}")
            if pattern == 1:  # a holiday
                holiday = begin + datetime.timedelta(weeks=rng.randrange(1, 6))
                event.append(f"EXDATE;TZID=Europe/Berlin:{holiday:%Y%m%dT%H%M%S}")
            if pattern == 2:  # an extra session
                extra = begin + datetime.timedelta(days=rng.randrange(2, 30), hours=2)
                event.append(f"RDATE;TZID=Europe/Berlin:{extra:%Y%m%dT%H%M%S}")
        elif pattern in (3, 4):  # a block course on working days
            event.append(f"RRULE:FREQ=DAILY;COUNT={rng.randrange(3, 11)};BYDAY=MO,TU,WE,TH,FR")
        elif pattern in (5, 6):  # a meeting on the second Tuesday
            event.append(f"RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT={rng.randrange(4, 13)}")
            if pattern == 6:
                event.append(f"EXDATE;TZID=Europe/Berlin:{nth_weekday(begin, 1, 1, 2):%Y%m%dT%H%M%S}")
        elif pattern == 7:  # a yearly lecture
            event.append("RRULE:FREQ=YEARLY;COUNT=5")
        event.append(f"SUMMARY:{escape_text(f'{subject} ({kind})')}")
        event.append(f"LOCATION:{escape_text(f'Raum {room}, Campus Mitte')}")
        event.append("DESCRIPTION:" + escape_text(f"{kind} {subject}, Gruppe {rng.randrange(1, 9)}\n"
                                                  f"Dozent: Prof. Dr. {rng.choice(['Weber', 'Schulz', 'Öztürk', 'Nowak'])}\n"
                                                  "Änderungen vorbehalten, siehe Stundenplan-Portal."))
        event.append(f"CATEGORIES:{kind}")
        if number % 40 == 13 or number % 200 == 100:  # a few single sessions and series
            event.append("STATUS:CANCELLED")
        else:
            event.append("STATUS:CONFIRMED")
        if number % 10 == 3:
            event += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Erinnerung", "TRIGGER:-PT15M", "END:VALARM"]
        event.append("END:VEVENT")
        lines += event
    lines.append("END:VCALENDAR")
    Path(out).write_bytes(("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8"))


def nth_weekday(moment, months_ahead, weekday, nth):
    """The nth weekday (0 = Monday) of the month months_ahead after moment's, at moment's time."""
    month = moment.month - 1 + months_ahead
    first = moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=1)
    offset = (weekday - first.weekday()) % 7
    return first + datetime.timedelta(days=offset + 7 * (nth - 1))


def main():
    parser = argparse.ArgumentParser(description="Reference iCalendar expansion (see the module docstring).")
    commands = parser.add_subparsers(dest="command", required=True)
    expand = commands.add_parser("expand")
    expand.add_argument("feed")
    expand.add_argument("start", metavar="FROM")
    expand.add_argument("stop", metavar="TO")
    expand.add_argument("--zone", default=None, help="IANA zone for floating times without X-WR-TIMEZONE")
    write = commands.add_parser("write-expected")
    write.add_argument("dir")
    bench = commands.add_parser("bench")
    bench.add_argument("feed")
    bench.add_argument("start", metavar="FROM")
    bench.add_argument("stop", metavar="TO")
    make = commands.add_parser("make-bench-feed")
    make.add_argument("out")
    args = parser.parse_args()
    if hasattr(args, "start"):
        try:
            if parse_utc(args.start) > parse_utc(args.stop):
                parser.error(f"FROM {args.start} is after TO {args.stop}")
        except (argparse.ArgumentTypeError, ValueError) as error:
            parser.error(str(error))
    if getattr(args, "zone", None):
        try:
            zoneinfo.ZoneInfo(args.zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            parser.error(f"--zone {args.zone!r} is no IANA zone")
    try:
        if args.command == "expand":
            return cmd_expand(args) or 0
        if args.command == "write-expected":
            return cmd_write_expected(args)
        if args.command == "bench":
            return cmd_bench(args) or 0
        return make_bench_feed(args.out) or 0
    except (ValueError, OSError) as error:
        print(f"calendar_reference.py: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
