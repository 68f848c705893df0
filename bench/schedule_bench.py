#!/usr/bin/env python3
"""Calendar benchmark: expands a 2,000-event timetable export (a quarter of it recurring) over a year with the
daemon's engine (libical, through `roomrecctl calendar --timing`, release build) and with the independent
reference (Python's icalendar + recurring-ical-events, Tests/Peers/calendar_reference.py), in the same run, and
prints each one's time and peak RSS and their ratio. Each side runs RUNS times as a fresh process; the time is the
median of what each process measured around its own parsing and expansion (process start-up is left out of both).

usage: schedule_bench.py ROOMRECCTL VENV WORKDIR [RUNS]
"""
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FROM, TO = "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"


def measure(command):
    """Runs one process; returns its stdout and its own peak RSS in MiB (ru_maxrss of a child waited for alone)."""
    probe = ("import resource, subprocess, sys\n"
             "out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout\n"
             "print(out.strip()); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    lines = subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True).stdout.splitlines()
    return lines[-2], int(lines[-1]) / 1024


def ms_and_count(line):
    # "roomrecctl: 7854 occurrences in 41.2 ms" / "reference: 7854 occurrences in 1431 ms, max RSS 53.8 MiB"
    words = line.replace(",", "").split()
    return float(words[words.index("in") + 1]), int(words[1])


def main():
    roomrecctl, venv, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    work.mkdir(parents=True, exist_ok=True)
    feed = work / "timetable-2027.ics"
    reference = [str(venv / "bin/python3"), str(ROOT / "Tests/Peers/calendar_reference.py")]
    subprocess.run(reference + ["make-bench-feed", str(feed)], check=True)
    sides = {
        "roomrecd (libical)": [roomrecctl, "calendar", str(feed), "--from", FROM, "--to", TO, "--zone", "Europe/Berlin", "--timing"],
        "reference (Python)": reference + ["bench", str(feed), FROM, TO],
    }
    results = {}
    for name, command in sides.items():
        samples = [measure(command) for _ in range(runs)]
        times = [ms_and_count(line)[0] for line, _ in samples]
        count = ms_and_count(samples[0][0])[1]
        results[name] = (statistics.median(times), max(rss for _, rss in samples), count)
        print(f"{name:20} {count} occurrences  median {results[name][0]:8.1f} ms  (of {runs})  peak RSS {results[name][1]:6.1f} MiB")
    ours, theirs = results["roomrecd (libical)"], results["reference (Python)"]
    if ours[2] != theirs[2]:
        print(f"note: the two count different occurrences ({ours[2]} and {theirs[2]}); compare them with roomrecctl calendar")
    print(f"time ratio reference/roomrecd: {theirs[0] / ours[0]:.1f}x faster; RSS ratio: {theirs[1] / ours[1]:.2f}; "
          f"goal: under 100 ms: {'met' if ours[0] < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
