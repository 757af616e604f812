"""`systemctl` and `journalctl` of a lab node: clients of tests/lab/systemd.py.

Installed in each node (bind-mounted over /usr/bin/systemctl and /usr/bin/journalctl in the
node's mount namespace) so that Ansible's service modules and the roles use the ordinary commands.
"""

import json
import os
import socket
import sys

SOCKET = "/run/systemd/lab-manager.sock"
JOURNAL_DIR = "/var/log/journal-lab"
IGNORED = {"--no-block", "--system", "--force", "-q", "--quiet", "--no-pager", "-l", "--full", "--no-legend"}


def systemctl(argv):
    args = []
    command = None
    items = list(argv)
    while items:
        item = items.pop(0)
        if item in IGNORED:
            continue
        if item in ("-p", "--property"):
            args.append("--property=" + items.pop(0))
        elif item.startswith("-p") and len(item) > 2:
            args.append("--property=" + item[2:])
        elif item in ("-s", "--signal"):
            args.append("--signal=" + items.pop(0))
        elif item == "--version":
            command = command or "--version"
        elif command is None and not item.startswith("-"):
            command = item
        else:
            args.append(item)
    if command is None:
        command = "list-units"
    if not os.path.exists(SOCKET):
        sys.stderr.write("System has not been booted with systemd as init system (PID 1). Can't operate.\n")
        return 1
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(SOCKET)
    client.sendall(json.dumps({"command": command, "args": args}).encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = client.recv(65536)
        if not chunk:
            break
        data += chunk
    reply = json.loads(data)
    sys.stdout.write(reply["stdout"])
    sys.stderr.write(reply["stderr"])
    return reply["rc"]


def journalctl(argv):
    unit = None
    lines = None
    items = list(argv)
    while items:
        item = items.pop(0)
        if item in ("-u", "--unit"):
            unit = items.pop(0)
        elif item.startswith("--unit="):
            unit = item.split("=", 1)[1]
        elif item in ("-n", "--lines"):
            lines = int(items.pop(0))
        elif item.startswith("--lines="):
            lines = int(item.split("=", 1)[1])
        elif item in ("-o", "--output", "--since", "--until"):
            items.pop(0)
    if unit is None:
        sys.stderr.write("journalctl (lab): only -u UNIT is supported\n")
        return 1
    name = unit if "." in unit else unit + ".service"
    try:
        with open(os.path.join(JOURNAL_DIR, name + ".log"), "rb") as handle:
            text = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        text = ["-- No entries --"]
    if lines is not None:
        text = text[-lines:]
    sys.stdout.write("".join(line + "\n" for line in text))
    return 0


if __name__ == "__main__":
    tool = os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else "systemctl"
    sys.exit(journalctl(sys.argv[2:]) if tool == "journalctl" else systemctl(sys.argv[2:]))
