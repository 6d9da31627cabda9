"""Tinybird's own code as the judge of our datafiles (PyPI `tinybird`, the official CLI package).

    tb-oracle.py check DIR         parse every datafile under DIR with Tinybird's parser; also require each
                                   .datasource to be a fixed point of Tinybird's formatter (`tb fmt`).
                                   Exit 1 naming every file that fails.
    tb-oracle.py describe FILE...  print what Tinybird's parser and template analysis make of each file, as
                                   JSON (one object per line), for the Rust tests to compare with the schema.
    tb-oracle.py format FILE...    print what Tinybird's formatter (`tb fmt`: `format_datasource`, `format_pipe`,
                                   `format_connection` with secrets kept as references) writes
                                   for each file, as JSON (`{"file": ..., "text": ...}`, one object per line).
    tb-oracle.py compare OURS THEIRS
                                   parse two .datasource files and compare what Tinybird makes of them:
                                   every column's name, position, type, JSON path, codec and default, the
                                   engine and its arguments (partition and sorting keys, settings, TTL, …),
                                   the indexes and the tokens. Print one line per difference, naming the
                                   column (or index, or engine key); exit 1 when there is any.
"""

import json
import sys
from pathlib import Path

from tinybird.datafile.parse_connection import parse_connection
from tinybird.datafile.parse_datasource import parse_datasource
from tinybird.datafile.parse_pipe import parse_pipe
from tinybird.sql_template import get_template_and_variables, get_var_names_and_types
from tinybird.tb.modules.datafile.format_datasource import format_datasource
from tinybird.tb.modules.datafile.format_connection import format_connection
from tinybird.tb.modules.datafile.format_pipe import format_pipe


def describe_datasource(path):
    doc = parse_datasource(str(path)).datafile
    node = doc.nodes[0]
    return {
        "kind": "datasource",
        "name": path.stem,
        "description": doc.description,
        "columns": [
            {
                "name": c["name"],
                "type": c["type"],
                "nullable": c["nullable"],
                "jsonpath": c["jsonpath"],
                "default": c["default_value"],
                "codec": c["codec"],
            }
            for c in node["columns"]
        ],
        "engine": {"type": node["engine"]["type"], **dict(node["engine"]["args"])},
    }


def describe_pipe(path):
    doc = parse_pipe(str(path)).datafile
    nodes = []
    params = {}
    for node in doc.nodes:
        sql = node["sql"]
        settings = {
            key: node[key]
            for key in node
            if key in ("datasource", "target_datasource", "mode", "copy_schedule") or key.startswith("export_")
            if node.get(key) is not None
        }
        nodes.append(
            {"name": node["name"], "type": node.get("type"), "templated": sql.lstrip().startswith("%"), **settings}
        )
        if not sql.lstrip().startswith("%"):
            continue
        template, _, _ = get_template_and_variables(sql, node["name"])
        for var in get_var_names_and_types(template):
            seen = params.setdefault(var["name"], {"name": var["name"]})
            for key in ("type", "default", "required"):
                if var.get(key) is not None:
                    seen[key] = var[key]
    return {
        "kind": "pipe",
        "name": path.stem,
        "description": doc.description,
        "nodes": nodes,
        "params": sorted(params.values(), key=lambda p: p["name"]),
        "tokens": [[t["token_name"], t["permission"]] for t in doc.tokens],
    }


def describe_connection(path):
    # Secrets are not set here: Tinybird's parser fills each `tb_secret` with its default, or
    # leaves it as a placeholder.
    doc = parse_connection(str(path), ignore_secrets=True).datafile
    node = doc.nodes[0]
    return {"kind": "connection", "name": path.stem, "settings": {k: v for k, v in node.items() if k != "name"}}


def describe(path):
    path = Path(path)
    if path.suffix == ".datasource":
        return describe_datasource(path)
    if path.suffix == ".connection":
        return describe_connection(path)
    return describe_pipe(path)


def check(root):
    files = (
        sorted(Path(root).rglob("*.datasource"))
        + sorted(Path(root).rglob("*.pipe"))
        + sorted(Path(root).rglob("*.connection"))
    )
    files = [f for f in files if "local" not in f.relative_to(root).parts]
    failures = 0
    for path in files:
        try:
            describe(path)
            if path.suffix == ".datasource":
                text = path.read_text()
                formatted = format_datasource(str(path))
                if formatted != text:
                    raise ValueError(f"not in `tb fmt` layout; Tinybird would write:\n{formatted}")
            print(f"ok   {path}")
        except Exception as error:  # every parser failure is a finding, whatever its class
            failures += 1
            print(f"FAIL {path}: {error}")
    if not files:
        print(f"no datafiles under {root}")
        return 1
    print(f"{len(files) - failures} of {len(files)} datafiles accepted by Tinybird's parser")
    return 1 if failures else 0


def datasource_facts(path):
    """What a .datasource says, as Tinybird's parser reads it, in comparable pieces."""
    doc = parse_datasource(str(path)).datafile
    node = doc.nodes[0]
    columns = {}
    for position, c in enumerate(node["columns"]):
        columns[c["name"]] = {
            "position": position,
            "type": c["type"],
            "nullable": c["nullable"],
            "jsonpath": c["jsonpath"],
            "codec": c["codec"],
            "default": c["default_value"],
        }
    engine = {"type": node["engine"]["type"], **dict(node["engine"]["args"])}
    indexes = {i.name: {"expr": i.expr, "type": i.type_full, "granularity": str(i.granularity)} for i in node.get("indexes") or []}
    tokens = sorted((t["token_name"], t["permission"]) for t in doc.tokens)
    return columns, engine, indexes, tokens


def compare(ours, theirs):
    """Every difference between two datasources, as lines naming what differs."""
    our_columns, our_engine, our_indexes, our_tokens = datasource_facts(ours)
    their_columns, their_engine, their_indexes, their_tokens = datasource_facts(theirs)
    found = []
    for name, theirs_c in their_columns.items():
        ours_c = our_columns.get(name)
        if ours_c is None:
            found.append(f"column `{name}`: missing (theirs: {theirs_c['type']})")
            continue
        for key, value in theirs_c.items():
            if ours_c[key] != value:
                found.append(f"column `{name}`: {key} is {ours_c[key]!r}, theirs {value!r}")
    for name in our_columns.keys() - their_columns.keys():
        found.append(f"column `{name}`: not in theirs")
    for key in sorted(our_engine.keys() | their_engine.keys()):
        if our_engine.get(key) != their_engine.get(key):
            found.append(f"engine `{key}`: {our_engine.get(key)!r}, theirs {their_engine.get(key)!r}")
    for name in sorted(our_indexes.keys() | their_indexes.keys()):
        if our_indexes.get(name) != their_indexes.get(name):
            found.append(f"index `{name}`: {our_indexes.get(name)!r}, theirs {their_indexes.get(name)!r}")
    if list(our_indexes) != list(their_indexes) and set(our_indexes) == set(their_indexes):
        found.append(f"indexes: order {list(our_indexes)}, theirs {list(their_indexes)}")
    if our_tokens != their_tokens:
        found.append(f"tokens: {our_tokens}, theirs {their_tokens}")
    return found


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        return check(Path(argv[1]))
    if len(argv) >= 2 and argv[0] == "describe":
        for path in argv[1:]:
            print(json.dumps(describe(path), default=str))
        return 0
    if len(argv) >= 2 and argv[0] == "format":
        for path in argv[1:]:
            if path.endswith(".datasource"):
                text = format_datasource(path)
            elif path.endswith(".connection"):
                # Secrets stay `tb_secret(...)` references instead of being resolved.
                text = format_connection(path, ignore_secrets=True)
            else:
                text = format_pipe(path)
            print(json.dumps({"file": path, "text": text}))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        found = compare(Path(argv[1]), Path(argv[2]))
        for line in found:
            print(line)
        if not found:
            print(f"{argv[1]} and {argv[2]} define the same datasource")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
