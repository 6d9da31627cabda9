"""Tinybird's own code as the judge of our datafiles (PyPI `tinybird`, the official CLI package).

    tb-oracle.py check DIR         parse every datafile under DIR with Tinybird's parser; also require each
                                   .datasource to be a fixed point of Tinybird's formatter (`tb fmt`).
                                   Exit 1 naming every file that fails.
    tb-oracle.py describe FILE...  print what Tinybird's parser and template analysis make of each file, as
                                   JSON (one object per line), for the Rust tests to compare with the schema.
"""

import json
import sys
from pathlib import Path

from tinybird.datafile.parse_datasource import parse_datasource
from tinybird.datafile.parse_pipe import parse_pipe
from tinybird.sql_template import get_template_and_variables, get_var_names_and_types
from tinybird.tb.modules.datafile.format_datasource import format_datasource


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


def describe(path):
    path = Path(path)
    return describe_datasource(path) if path.suffix == ".datasource" else describe_pipe(path)


def check(root):
    files = sorted(Path(root).rglob("*.datasource")) + sorted(Path(root).rglob("*.pipe"))
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


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        return check(Path(argv[1]))
    if len(argv) >= 2 and argv[0] == "describe":
        for path in argv[1:]:
            print(json.dumps(describe(path), default=str))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
