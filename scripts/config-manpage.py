#!/usr/bin/env python3
"""roomrec.toml(5), made from config/roomrec.toml: the commented configuration is the one description of every
key, so the man page is generated from it, never written twice.

    scripts/config-manpage.py config/roomrec.toml VERSION > roomrec.toml.5

How the file reads: comment lines above a key describe it; comment lines above a [section] describe the section;
a commented-out key ("# key = value   # note") is an optional key with its default or an example, and the lines
aligned under its note continue it; "# # text" inside a commented-out block is text; a comment line indented
by two or more spaces keeps its own line (the lists of choices).
"""
import re
import sys

SECTION = re.compile(r"^\[\[?[A-Za-z0-9_.]+\]\]?$")
KEY = re.compile(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$")


def escape(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return text if not text.startswith((".", "'")) else "\\&" + text


def split_note(value):
    """'"x"   # note' -> ('"x"', 'note'), leaving a # inside quotes alone."""
    quoted = False
    for i, ch in enumerate(value):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return value[:i].rstrip(), value[i + 1:].strip()
    return value.rstrip(), ""


class Page:
    def __init__(self):
        self.out = []
        self.pending = []  # comment lines waiting for what they describe

    def text(self, lines):
        for line in lines:
            if line.startswith("  "):
                self.out += [".br", escape(line.strip())]
            elif line:
                self.out.append(escape(line))
            else:
                self.out.append(".PP")

    def flush(self):
        if self.pending:
            self.out.append(".PP")
            self.text(self.pending)
            self.pending = []

    def section(self, name, optional):
        self.out += [".SS " + escape(name) + (" (optional)" if optional else "")]
        if self.pending:
            self.text(self.pending)
            self.pending = []

    def key(self, name, value, note):
        self.out += [".TP", "\\fB" + escape(name) + "\\fR = " + escape(value)]
        self.text(self.pending + ([note] if note else []))
        self.pending = []
        self.last_key_column = None

    def note_more(self, line):
        self.out.append(escape(line))


def render(path, version):
    lines = open(path, encoding="utf-8").read().splitlines()
    header = []
    while lines and lines[0].startswith("#"):
        header.append(lines.pop(0)[1:].strip())
    page = Page()
    page.out += [
        '.TH ROOMREC.TOML 5 "" "roomrecorder %s" "File Formats Manual"' % escape(version),
        ".SH NAME",
        "roomrec.toml \\- the RoomRecorder daemon's configuration",
        ".SH SYNOPSIS",
        "/etc/roomrec/roomrec.toml",
        ".SH DESCRIPTION",
    ]
    page.text([h for h in header[1:] if h or True])
    page.out.append(".SH SETTINGS")
    continuation_column = None
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            page.flush()
            continuation_column = None
            continue
        if not stripped.startswith("#"):
            continuation_column = None
            if SECTION.match(stripped):
                page.section(stripped, optional=False)
            elif (m := KEY.match(stripped)):
                value, note = split_note(m.group(2))
                page.key(m.group(1), value, note)
                continuation_column = raw.find("#") if note else None
            continue
        body = raw[raw.index("#") + 1:]
        text = body.strip()
        # "#                          # more of the note above"
        if continuation_column is not None and text.startswith("#") and raw.find("#", 1) == continuation_column:
            page.note_more(text[1:].strip())
            continue
        continuation_column = None
        if SECTION.match(text):
            page.section(text, optional=True)
        elif (m := KEY.match(text)) and not text.startswith("#"):
            value, note = split_note(m.group(2))
            page.key(m.group(1), value, note)
            if note:
                continuation_column = raw.find("#", raw.index("#") + 1)
        elif text.startswith("#"):
            page.pending.append(text[1:].rstrip()[1:] if text[1:].startswith(" ") else text[1:])
        else:
            page.pending.append(body[1:].rstrip() if body.startswith(" ") else body.rstrip())
    page.flush()
    page.out += [
        ".SH FILES",
        "/etc/roomrec/roomrec.toml, /var/lib/roomrec (the catalog, recordings and the default library), /run/roomrec/control.sock",
        ".SH SEE ALSO",
        "roomrecd(8), roomrecctl(1), systemd.service(5)",
    ]
    return "\n".join(page.out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""))
