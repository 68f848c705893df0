#!/usr/bin/env python3
"""Checks that the fleet dashboard and alerting rules query only metrics roomrecd exports.

Every PromQL expression of docs/monitoring/roomrec-dashboard.json (panel and annotation queries, the template
variables' queries), of docs/monitoring/roomrec-alerts.yml (expr) and of its unit tests (input series and expr) is
read, and each metric name in it must be one of:
  - exported by roomrecd: a literal name in a `Metric("roomrec_...", ...)` call in Sources/**/*.swift;
  - built into Prometheus or node_exporter and used on purpose (BUILT_IN below);
  - the name of a recording rule of the rules file.
Unknown names are listed with where they are used, and the exit status is 1.

When promtool is on PATH, every dashboard query (Grafana's variables replaced by placeholders) is also parsed by it,
so a query Prometheus would refuse fails here rather than in a panel.

Python 3 standard library only: the YAML files are read for their `expr:`, `series:` and `record:` values, block
scalars (| and >) and quoted or plain one-line values; promtool checks the rest of their syntax.

Usage: scripts/check-dashboard.py [FILE ...]   (default: the three files above; paths from the repository root)
"""
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ["docs/monitoring/roomrec-dashboard.json", "docs/monitoring/roomrec-alerts.yml",
                 "docs/monitoring/roomrec-alerts.test.yml"]

# Metrics the dashboard and rules may use that roomrecd does not export itself.
BUILT_IN = {
    "up": "Prometheus: 1 when the target's last scrape succeeded",
    "ALERTS": "Prometheus: the alerting rules' pending and firing alerts",
    "node_textfile_mtime_seconds": "node_exporter's textfile collector: when each .prom file was last written",
}

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
            "inf", "nan", "atan2"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
TOKEN = re.compile(r'''
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>\d[\w.]*|\.\d[\w.]*)
  | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<space>\s+)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)


def exported_metrics():
    """Names in `Metric("roomrec_...", ...)` calls of the daemon's sources."""
    names = {}
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        for match in re.finditer(r'\bMetric\(\s*"(roomrec_[A-Za-z0-9_:]*)"', path.read_text(encoding="utf-8")):
            names.setdefault(match.group(1), path.relative_to(ROOT))
    return names


def grafana_variable_query(query):
    """The PromQL in a Grafana Prometheus variable query, or None when it names no metric."""
    query = query.strip()
    if match := re.fullmatch(r"label_values\(\s*(.*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)", query, re.DOTALL):
        return match.group(1)
    if re.fullmatch(r"label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)|label_names\(.*\)|metrics\(.*\)", query, re.DOTALL):
        return None
    if match := re.fullmatch(r"query_result\((.*)\)", query, re.DOTALL):
        return match.group(1)
    return query


def without_grafana_variables(expr, placeholder="x"):
    """Grafana's $var, ${var...} and [[var]] replaced: by a duration inside [...], by `placeholder` elsewhere."""
    variable = r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z0-9_:]+\]\]"
    expr = re.sub(r"\[([^\]]*)\]", lambda m: "[" + re.sub(variable, "5m", m.group(1)) + "]", expr)
    return re.sub(variable, placeholder, expr)


def metric_names(expr):
    """Metric names in a PromQL expression: names that are not functions, keywords, label names or inside [...]."""
    tokens = [(m.lastgroup, m.group()) for m in TOKEN.finditer(without_grafana_variables(expr))]
    tokens = [t for t in tokens if t[0] != "space"]
    names = set()
    braces = brackets = 0
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "other":
            braces += {"{": 1, "}": -1}.get(text, 0)
            brackets += {"[": 1, "]": -1}.get(text, 0)
        elif kind == "name" and braces:
            # A label name; {__name__="x"} names metric x.
            if text == "__name__" and following == "=" and i + 2 < len(tokens) and tokens[i + 2][0] == "string":
                names.add(tokens[i + 2][1][1:-1])
        elif kind == "name" and not brackets:
            if text.lower() in LABEL_LISTS and following == "(":
                depth = 0
                while i < len(tokens):
                    depth += {"(": 1, ")": -1}.get(tokens[i][1], 0)
                    if depth == 0 and tokens[i][1] == ")":
                        break
                    i += 1
            elif following != "(" and following.lower() not in ("by", "without") and text.lower() not in KEYWORDS:
                # Not a function, nor an aggregation written `sum by (label) (...)`.
                names.add(text)
        i += 1
    return names


def dashboard_queries(path):
    """(where, PromQL) for every query of a Grafana dashboard."""
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") not in (None, "row", "datasource") and "title" in node:
                where = f'panel "{node["title"]}"'
            if isinstance(node.get("expr"), str) and node["expr"].strip():
                found.append((where, node["expr"]))
            for key, value in node.items():
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(dashboard.get("panels", []), "panels")
    walk(dashboard.get("annotations", {}), "annotations")
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        for text in {query, variable.get("definition")} - {None, ""}:
            if (expr := grafana_variable_query(text)) is not None:
                found.append((f'variable "{variable.get("name")}"', expr))
    return found


def yaml_values(path, keys):
    """(where, key, value) for each `key: value` of the YAML subset the rule and test files use."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    inline = re.compile(r"\b(" + "|".join(keys) + r""")\s*:\s*('(?:[^']|'')*'|"(?:[^"\\]|\\.)*")""")
    i = 0
    while i < len(lines):
        line = lines[i]
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{i + 1}"
        match = re.match(r"^(\s*)(?:-\s+)?(" + "|".join(keys) + r")\s*:\s*(.*?)\s*$", line)
        if match:
            indent, key, value = len(match.group(1)), match.group(2), match.group(3)
            if re.fullmatch(r"[|>][+-]?", value):
                block = []
                while i + 1 < len(lines) and (not lines[i + 1].strip() or len(lines[i + 1]) - len(lines[i + 1].lstrip()) > indent):
                    i += 1
                    block.append(lines[i].strip())
                found.append((where, key, "\n".join(block)))
            else:
                found.append((where, key, unquote(value)))
        else:
            for key, value in inline.findall(line):
                found.append((where, key, unquote(value)))
        i += 1
    return found


def unquote(value):
    if value.startswith("'") and value.endswith("'") and len(value) >= 2:
        return value[1:-1].replace("''", "'")
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value[1:-1]
    return re.sub(r"\s+#.*$", "", value)


def promtool_parse(queries):
    """Problems promtool reports parsing the dashboard's queries; None when promtool is not installed."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as rules:
        rules.write("groups:\n  - name: dashboard\n    rules:\n")
        for number, (where, expr) in enumerate(queries):
            rules.write(f"      - record: query_{number}\n        expr: {json.dumps(without_grafana_variables(expr, '.+'))}\n")
    try:
        result = subprocess.run([promtool, "check", "rules", "--lint=none", rules.name], capture_output=True, text=True)
    finally:
        Path(rules.name).unlink()
    if result.returncode == 0:
        return []
    problems = []
    for line in (result.stdout + result.stderr).splitlines():
        if match := re.search(r'"query_(\d+)": (.*)', line):
            where, expr = queries[int(match.group(1))]
            problems.append(f"{where}: {match.group(2)}\n      {expr}")
    return problems or [(result.stdout + result.stderr).strip()]


def main(argv):
    files = [Path(f) if Path(f).is_absolute() else ROOT / f for f in (argv or DEFAULT_FILES)]
    exported = exported_metrics()
    uses = {}  # metric name -> places
    recorded = set()
    dashboard = []
    for path in files:
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if path.suffix == ".json":
            queries = dashboard_queries(path)
            dashboard += queries
            expressions = [(f"{name} {where}", expr) for where, expr in queries]
        else:
            values = yaml_values(path, ["expr", "series", "record"])
            recorded |= {value for _, key, value in values if key == "record"}
            expressions = [(where, value) for where, key, value in values if key in ("expr", "series")]
        for where, expr in expressions:
            for metric in metric_names(expr):
                uses.setdefault(metric, []).append(where)

    unknown = {m: places for m, places in uses.items() if m not in exported and m not in BUILT_IN and m not in recorded}
    print(f"check-dashboard: {len(uses)} metric names in {len(files)} files; roomrecd exports {len(exported)} "
          f"(Metric(\"roomrec_...\") in Sources/); built in: {', '.join(sorted(m for m in BUILT_IN if m in uses)) or 'none'}")
    status = 0
    if unknown:
        status = 1
        print("Metric names that roomrecd does not export (and that are not built in):", file=sys.stderr)
        for metric in sorted(unknown):
            places = list(dict.fromkeys(unknown[metric]))
            shown = "; ".join(places[:3]) + (f"; and {len(places) - 3} more" if len(places) > 3 else "")
            print(f"  {metric}: {shown}", file=sys.stderr)
    problems = promtool_parse(dashboard)
    if problems is None:
        print("check-dashboard: promtool not found, the dashboard's queries were not parsed")
    elif problems:
        status = 1
        print("Dashboard queries promtool cannot parse:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        print(f"check-dashboard: promtool parsed the dashboard's {len(dashboard)} queries")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
