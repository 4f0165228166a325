"""List the tuning logs the kernels can find, where, and which one this host uses.

  lookup-tvm logs
  lookup-tvm logs --json

Per log: the folder it was found in (the checkout's tuning_logs/, the copy installed with the
package, the user's folder where ``lookup-tvm tune`` writes outside a checkout, or
$LOOKUP_TVM_TUNING_LOGS), its target, the CPU it was measured on, cores and date; the log this
host's kernels take is marked, with the reason when it is not an exact match.
"""
from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    args = p.parse_args(argv)
    from tabulate import tabulate

    from lookup_tvm.sources.logs import TuningLogError, measured_model, read_target_file
    from lookup_tvm.sources.selection import log_directories, log_roots, select_host_log, tuning_home

    roots, explicit = log_roots()
    selection = select_host_log()
    chosen = selection.log.directory if selection.log is not None else None
    rows = []
    for root in roots:
        for directory in log_directories(root):
            try:
                target, info = read_target_file(directory)
                measured = info.get("measured_on") or {}
                row = {"log": str(directory), "target": target.mcpu, "measured_on": measured_model(info),
                       "cores": measured.get("cores"), "date": measured.get("date"), "error": None}
            except TuningLogError as err:
                row = {"log": str(directory), "target": None, "measured_on": None, "cores": None, "date": None,
                       "error": str(err)}
            row["used_here"] = directory == chosen
            rows.append(row)
    logs_home, _ = tuning_home()
    summary = {"roots": [str(r) for r in roots], "explicit": explicit, "tune_writes_to": str(logs_home),
               "host_target": selection.target.key, "used": None if chosen is None else str(chosen),
               "warning": selection.warning, "logs": rows}
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    table = [["*" if r["used_here"] else "", r["log"], r["target"] or "-", r["measured_on"] or r["error"] or "-",
              r["cores"] or "-", r["date"] or "-"] for r in rows]
    print(tabulate(table, headers=["used", "log", "target", "measured on", "cores", "date"], disable_numparse=True))
    print(f"\nthis host's target: {selection.target.key}; looked in: {', '.join(map(str, roots)) or 'no folder'}"
          f"{' ($LOOKUP_TVM_TUNING_LOGS)' if explicit else ''}")
    print(f"lookup-tvm tune writes to: {logs_home}")
    if selection.warning:
        print(f"note: {selection.warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
