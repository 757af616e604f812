"""The lab fleet's one entry point.

    python -m tests.lab create [--description FILE] [--restart-sec N]   (prints the inventory path)
    python -m tests.lab list [--name NAME]
    python -m tests.lab destroy [--name NAME]
    python -m tests.lab snapshot --name NAME                           (JSON: config file sha256, kubelet PID, health)
    python -m tests.lab recap LOG                                      (JSON: an ansible-playbook log's PLAY RECAP)
    python -m tests.lab partition --name NAME --node NODE             (the node keeps running; Ansible cannot reach it)
    python -m tests.lab reconnect --name NAME --node NODE             (reachable again; the inventory is rewritten)
    python -m tests.lab check-clean                                    (exit 1 if anything is left)
"""

import argparse
import json
import os
import sys

import yaml

from tests.lab import fleet
from tests.lib.ansible_run import recap


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description="Local lab fleet of namespaced nodes")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a fleet from a description (YAML) and write its inventory")
    create.add_argument("--description", help="YAML: name, nodes[{name, version, runtime, layout, ...}]")
    create.add_argument("--restart-sec", default="2", help="RestartSec= of the kubelet unit (kubeadm ships 10)")
    for name in ("list", "destroy", "snapshot"):
        command = sub.add_parser(name)
        command.add_argument("--name", default="lab")
    for name in ("partition", "reconnect"):
        command = sub.add_parser(name)
        command.add_argument("--name", default="lab")
        command.add_argument("--node", required=True)
    sub.add_parser("recap").add_argument("log")
    sub.add_parser("check-clean", help="with no fleet up: report processes, mounts or cgroups that destroyed fleets left")
    args = parser.parse_args(argv)
    if os.geteuid() != 0 and args.command != "recap":
        parser.error("the lab needs root (namespaces, mounts, runc)")
    if args.command == "create":
        description = fleet.DEFAULT_DESCRIPTION
        if args.description:
            with open(args.description) as handle:
                description = yaml.safe_load(handle)
        state = fleet.create(description, restart_sec=args.restart_sec)
        print(state["inventory"])
        return 0
    if args.command == "list":
        rows = fleet.listing(args.name)
        print("%-10s %-9s %-11s %-8s %-8s %-8s %s" % ("NODE", "VERSION", "RUNTIME", "LAYOUT", "PID", "RUNNING", "HEALTHY"))
        for row in rows:
            print("%-10s %-9s %-11s %-8s %-8d %-8s %s" % (
                row["name"], row["version"], row["runtime"], row["layout"], row["pid"], row["running"], row["healthy"]))
        return 0
    if args.command == "destroy":
        left = fleet.destroy(args.name)
        if any(left.values()):
            print(json.dumps(left, indent=1))
            return 1
        return 0
    if args.command == "recap":
        with open(args.log) as handle:
            print(json.dumps(recap(handle.read()), sort_keys=True))
        return 0
    if args.command == "snapshot":
        print(json.dumps(fleet.snapshot(args.name), indent=1, sort_keys=True))
        return 0
    if args.command == "partition":
        fleet.partition(args.name, args.node)
        return 0
    if args.command == "reconnect":
        print(fleet.reconnect(args.name, args.node)["inventory"])
        return 0
    leftovers = fleet.leftovers()
    print(json.dumps(leftovers, indent=1))
    return 1 if any(leftovers.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
