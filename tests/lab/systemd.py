"""The node's service manager: a small systemd stand-in, the first process of a lab node.

It reads unit files the way systemd does for the parts kubelet units use (ExecStart=,
Environment=, EnvironmentFile=[-], Restart=, RestartSec=, drop-ins in <unit>.d/*.conf), starts
the units enabled in multi-user.target.wants, restarts them on exit as Restart= says, and
answers `systemctl`/`journalctl` (tests/lab/systemctl.py) over a unix socket. Unit output goes to
a per-unit journal file that `journalctl -u` reads. It also reaps the node's orphans,
as PID 1 does (here as the child subreaper: the node shares the host's PIDs).
"""

import ctypes
import glob
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

SOCKET = "/run/systemd/lab-manager.sock"
JOURNAL_DIR = "/var/log/journal-lab"
UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system")
WANTS = "/etc/systemd/system/multi-user.target.wants"
PR_SET_CHILD_SUBREAPER = 36


def logical_lines(text):
    """systemd.syntax(7): a line ending in a backslash goes on with the next (the backslash read as a space);
    comment lines inside such a continuation are skipped."""
    pending = None
    for raw in text.splitlines():
        line = raw.strip()
        if pending is not None and line.startswith(("#", ";")):
            continue
        if pending is not None:
            line, pending = pending + line, None
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        yield line
    if pending is not None:
        yield pending.strip()


def parse_unit_text(text, unit):
    """Apply one unit file or drop-in to ``unit`` (a dict), as systemd merges them."""
    section = None
    for line in logical_lines(text):
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != "Service" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == "ExecStart":
            # An empty ExecStart= resets the list, which is how kubeadm's drop-in replaces the command.
            unit["ExecStart"] = [] if not value else unit.get("ExecStart", []) + [value]
        elif key == "Environment":
            for item in shlex.split(value):
                name, _sep, val = item.partition("=")
                unit.setdefault("Environment", {})[name] = val
        elif key == "EnvironmentFile":
            unit.setdefault("EnvironmentFile", []).append(value)
        elif key in ("Restart", "RestartSec"):
            unit[key] = value
        elif key == "ExecReload":
            unit["ExecReload"] = [] if not value else unit.get("ExecReload", []) + [value]


def load_unit(name):
    unit = {"Name": name, "FragmentPath": None, "DropInPaths": []}
    for directory in UNIT_DIRS:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            unit["FragmentPath"] = path
            with open(path) as handle:
                parse_unit_text(handle.read(), unit)
            break
    if unit["FragmentPath"] is None:
        return None
    dropins = {}
    for directory in reversed(UNIT_DIRS):
        for path in glob.glob(os.path.join(directory, name + ".d", "*.conf")):
            dropins[os.path.basename(path)] = path
    for base in sorted(dropins):
        unit["DropInPaths"].append(dropins[base])
        with open(dropins[base]) as handle:
            parse_unit_text(handle.read(), unit)
    return unit


def environment_of(unit):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    env.update(unit.get("Environment", {}))
    for spec in unit.get("EnvironmentFile", []):
        optional = spec.startswith("-")
        path = spec[1:] if optional else spec
        try:
            with open(path) as handle:
                text = handle.read()
        except OSError:
            if optional:
                continue
            raise
        env.update(parse_environment_file(text))
    return env


def parse_environment_file(text):
    """systemd.exec(5) EnvironmentFile=: KEY=VALUE lines, shell-like quotes, a backslash before a newline goes on
    with the next line (inside double quotes too), # and ; start comments; later assignments win."""
    values = {}
    text = text.replace("\\\n", "")
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        name, value = line.split("=", 1)
        name = name.strip()
        if not name.replace("_", "a").isalnum() or name[0].isdigit():
            continue  # systemd ignores what is not a valid variable name ("export X=1" among them)
        # The quotes go, what they held stays as it is: one token with no whitespace to split on.
        lexer = shlex.shlex(value.strip(), posix=True)
        lexer.whitespace, lexer.whitespace_split, lexer.commenters = "", True, ""
        try:
            values[name] = "".join(lexer)
        except ValueError:  # an unterminated quote: systemd takes the rest of the file
            values[name] = value.strip()
    return values


def expand_command(command, env):
    """systemd's rule: $VAR splits into words, ${VAR} stays one word."""
    words = []
    for word in shlex.split(command.lstrip("-@+!")):
        # Decided on the word as parsed: "$VAR" in quotes splits too (kops: ExecStart=... "$DAEMON_ARGS").
        if word.startswith("$") and not word.startswith("${") and word[1:] and word[1:].replace("_", "a").isalnum():
            words.extend(shlex.split(env.get(word[1:], "")))
        else:
            for name, value in env.items():
                word = word.replace("${%s}" % name, value)
            words.append(word)
    return words


class Service:
    def __init__(self, manager, name):
        self.manager = manager
        self.name = name
        self.process = None
        self.state = "inactive"
        self.sub_state = "dead"
        self.result = "success"
        self.wanted = False
        self.restarts = 0
        self.started_at = 0.0
        self.exit_status = None
        self.lock = threading.RLock()
        self.restart_timer = None

    def start(self):
        with self.lock:
            self.wanted = True
            self.restarts = 0  # as systemd: an explicit start flushes NRestarts
            if self.process and self.process.poll() is None:
                return 0, ""
            return self._spawn()

    def _spawn(self):
        unit = load_unit(self.name)
        if unit is None or not unit.get("ExecStart"):
            self.state, self.sub_state = "failed", "dead"
            return 5, "Failed to start %s: Unit %s not found.\n" % (self.name, self.name)
        try:
            env = environment_of(unit)
        except OSError as exc:
            self.state, self.sub_state, self.result = "failed", "dead", "resources"
            return 1, "Failed to start %s: %s\n" % (self.name, exc)
        argv = expand_command(unit["ExecStart"][-1], env)
        os.makedirs(JOURNAL_DIR, exist_ok=True)
        log = open(os.path.join(JOURNAL_DIR, self.name + ".log"), "ab")
        log.write(("-- %s Started %s. --\n" % (_stamp(), self.name)).encode())
        log.flush()
        try:
            self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True, cwd="/")
        except OSError as exc:
            log.write(("%s: Failed to execute %s: %s\n" % (self.name, argv[0], exc)).encode())
            log.close()
            self.state, self.sub_state, self.result = "failed", "dead", "exit-code"
            return 0, ""
        log.close()
        self.state, self.sub_state, self.started_at = "active", "running", time.time()
        threading.Thread(target=self._watch, args=(self.process, unit), daemon=True).start()
        return 0, ""

    def _watch(self, process, unit):
        status = process.wait()
        with self.lock:
            if process is not self.process:
                return
            self.exit_status = status
            with open(os.path.join(JOURNAL_DIR, self.name + ".log"), "ab") as log:
                log.write(("-- %s %s: Main process exited, status=%s --\n" % (_stamp(), self.name, status)).encode())
            if not self.wanted:
                self.state, self.sub_state = "inactive", "dead"
                return
            self.result = "exit-code" if status else "success"
            restart = unit.get("Restart", "no")
            if restart == "always" or (restart == "on-failure" and status != 0):
                self.state, self.sub_state = "activating", "auto-restart"
                delay = float(unit.get("RestartSec", "0.1").rstrip("s") or 0.1)
                self.restart_timer = threading.Timer(delay, self._auto_restart, args=(process,))
                self.restart_timer.daemon = True
                self.restart_timer.start()
            else:
                self.state, self.sub_state = "failed", "failed"

    def _journal(self, line):
        os.makedirs(JOURNAL_DIR, exist_ok=True)
        with open(os.path.join(JOURNAL_DIR, self.name + ".log"), "ab") as log:
            log.write(("-- %s %s --\n" % (_stamp(), line)).encode())

    def _auto_restart(self, old):
        with self.lock:
            if self.process is old and self.wanted:
                self.restarts += 1
                # systemd's words for a restart of its own (Restart=), apart from a stop asked for (stop()).
                self._journal("%s: Scheduled restart job, restart counter is at %d." % (self.name, self.restarts))
                self._spawn()

    def stop(self):
        with self.lock:
            self._journal("Stopping %s..." % self.name)
            self.wanted = False
            if self.restart_timer:
                self.restart_timer.cancel()
            process, self.process = self.process, None
            self.state, self.sub_state = "inactive", "dead"
        if process and process.poll() is None:
            # KillMode=process, as kubelet units are effectively run: the containers' shims are in
            # their own sessions and survive, like containerd-shim outside the kubelet's cgroup.
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return 0, ""

    def restart(self):
        self.stop()
        return self.start()

    def reload(self):
        """ExecReload= with $MAINPID, as systemd runs it; units without one cannot be reloaded."""
        unit = load_unit(self.name)
        if unit is None or not unit.get("ExecReload"):
            return 1, "Failed to reload %s: Job type reload is not applicable for unit %s.\n" % (self.name, self.name)
        with self.lock:
            if not (self.process and self.process.poll() is None):
                return 1, "Failed to reload %s: Unit %s is not active.\n" % (self.name, self.name)
            env = dict(environment_of(unit), MAINPID=str(self.process.pid))
        for command in unit["ExecReload"]:
            done = subprocess.run(expand_command(command, env), env=env,
                                  capture_output=True, check=False)
            if done.returncode != 0:
                return 1, "Job for %s failed: the reload command exited with status %d.\n" % (self.name, done.returncode)
        return 0, ""

    def kill(self, signum):
        with self.lock:
            if self.process and self.process.poll() is None:
                self.process.send_signal(signum)
        return 0, ""

    def show(self):
        unit = load_unit(self.name)
        enabled = os.path.exists(os.path.join(WANTS, self.name))
        with self.lock:
            pid = self.process.pid if self.process and self.process.poll() is None else 0
            props = {
                "Id": self.name, "Names": self.name,
                "LoadState": "loaded" if unit else "not-found",
                "ActiveState": self.state if unit else "inactive",
                "SubState": self.sub_state if unit else "dead",
                "Result": self.result,
                "MainPID": str(pid), "ExecMainPID": str(pid),
                "ExecMainStatus": str(self.exit_status or 0),
                "NRestarts": str(self.restarts),
                "UnitFileState": ("enabled" if enabled else "disabled") if unit else "",
                "FragmentPath": (unit or {}).get("FragmentPath") or "",
                "DropInPaths": " ".join((unit or {}).get("DropInPaths", [])),
                "Environment": " ".join("%s=%s" % item for item in sorted((unit or {}).get("Environment", {}).items())),
                "EnvironmentFiles": " ".join("%s (ignore_errors=%s)" % (f.lstrip("-"), "yes" if f.startswith("-") else "no")
                                             for f in (unit or {}).get("EnvironmentFile", [])),
                "ExecStart": "{ path=%s ; argv[]=%s }" % (((unit or {}).get("ExecStart") or [""])[-1].split(" ")[0],
                                                          ((unit or {}).get("ExecStart") or [""])[-1]),
                "Restart": (unit or {}).get("Restart", "no"),
                "ActiveEnterTimestampMonotonic": str(int(self.started_at * 1e6)),
            }
        return props


def _stamp():
    return time.strftime("%b %d %H:%M:%S")


class Manager:
    def __init__(self):
        self.services = {}
        self.lock = threading.Lock()

    def service(self, name):
        if not name.endswith((".service", ".socket", ".target")):
            name += ".service"
        with self.lock:
            if name not in self.services:
                self.services[name] = Service(self, name)
            return self.services[name]

    def boot(self):
        for path in sorted(glob.glob(os.path.join(WANTS, "*.service"))):
            self.service(os.path.basename(path)).start()

    def handle(self, request):
        command, args = request["command"], request.get("args", [])
        names = [arg for arg in args if not arg.startswith("-")]
        if command in ("start", "stop", "restart", "try-restart", "reload-or-restart", "reload"):
            out = []
            code = 0
            for name in names:
                service = self.service(name)
                if load_unit(service.name) is None:
                    return {"rc": 5, "stdout": "", "stderr": "Failed to %s %s: Unit %s not found.\n" % (command, service.name, service.name)}
                method = {"start": service.start, "stop": service.stop, "reload": service.reload}.get(
                    command, service.restart)
                if command == "try-restart" and service.state != "active":
                    continue
                rc, err = method()
                code = code or rc
                out.append(err)
            return {"rc": code, "stdout": "", "stderr": "".join(out)}
        if command == "kill":
            signum = signal.SIGTERM
            for arg in args:
                if arg.startswith("--signal=") or arg.startswith("-s"):
                    signum = getattr(signal, "SIG" + arg.split("=")[-1].replace("SIG", "")) if "=" in arg else signum
            for name in names:
                self.service(name).kill(signum)
            return {"rc": 0, "stdout": "", "stderr": ""}
        if command == "show":
            blocks = []
            wanted = [arg.split("=", 1)[1] for arg in args if arg.startswith("--property=")]
            value_only = "--value" in args
            for name in names:
                props = self.service(name).show()
                keys = [key for item in wanted for key in item.split(",")] or list(props)
                blocks.append("".join((props.get(key, "") if value_only else "%s=%s" % (key, props.get(key, ""))) + "\n"
                                      for key in keys))
            return {"rc": 0, "stdout": "\n".join(blocks), "stderr": ""}
        if command == "is-active":
            states = [self.service(name).show()["ActiveState"] for name in names]
            return {"rc": 0 if all(state == "active" for state in states) else 3,
                    "stdout": "".join(state + "\n" for state in states), "stderr": ""}
        if command == "is-enabled":
            states = [self.service(name).show()["UnitFileState"] or "not-found" for name in names]
            return {"rc": 0 if all(state == "enabled" for state in states) else 1,
                    "stdout": "".join(state + "\n" for state in states), "stderr": ""}
        if command in ("enable", "disable"):
            os.makedirs(WANTS, exist_ok=True)
            for name in names:
                service = self.service(name)
                link = os.path.join(WANTS, service.name)
                if command == "enable" and not os.path.lexists(link):
                    os.symlink(load_unit(service.name)["FragmentPath"], link)
                elif command == "disable" and os.path.lexists(link):
                    os.unlink(link)
            return {"rc": 0, "stdout": "", "stderr": ""}
        if command == "list-unit-files":
            lines = ["UNIT FILE STATE PRESET"]
            for directory in UNIT_DIRS:
                for path in sorted(glob.glob(os.path.join(directory, "*.service"))):
                    name = os.path.basename(path)
                    if not names or any(name.startswith(pattern.rstrip("*")) for pattern in names):
                        state = "enabled" if os.path.exists(os.path.join(WANTS, name)) else "disabled"
                        lines.append("%s %s enabled" % (name, state))
            return {"rc": 0 if len(lines) > 1 else 1, "stdout": "\n".join(lines) + "\n", "stderr": ""}
        if command in ("daemon-reload", "daemon-reexec", "--version", "reset-failed"):
            return {"rc": 0, "stdout": "systemd 252 (lab stand-in)\n" if command == "--version" else "", "stderr": ""}
        if command == "status":
            text = []
            code = 0
            for name in names:
                props = self.service(name).show()
                code = code or (0 if props["ActiveState"] == "active" else 3)
                text.append("* %s\n     Loaded: %s (%s; %s)\n     Active: %s (%s)\n   Main PID: %s\n" % (
                    props["Id"], props["LoadState"], props["FragmentPath"], props["UnitFileState"],
                    props["ActiveState"], props["SubState"], props["MainPID"]))
                text.append(tail(props["Id"], 10))
            return {"rc": code, "stdout": "".join(text), "stderr": ""}
        return {"rc": 1, "stdout": "", "stderr": "Unknown command verb %s.\n" % command}


def tail(unit, lines):
    try:
        with open(os.path.join(JOURNAL_DIR, unit if "." in unit else unit + ".service") + ".log", "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "".join(line + "\n" for line in data.splitlines()[-lines:])


def serve(manager):
    os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
    if os.path.exists(SOCKET):
        os.unlink(SOCKET)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(SOCKET)
    server.listen(16)
    while True:
        conn, _addr = server.accept()
        threading.Thread(target=_answer, args=(manager, conn), daemon=True).start()


def _answer(manager, conn):
    with conn:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        try:
            reply = manager.handle(json.loads(data))
        except Exception as exc:  # the manager must survive any request
            reply = {"rc": 1, "stdout": "", "stderr": "lab systemd: %s\n" % exc}
        conn.sendall(json.dumps(reply).encode() + b"\n")


def main():
    # The node shares the host's PID namespace, so this is not PID 1: become the subreaper that
    # adopts the node's orphans (container processes whose shim died), as PID 1 would.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    manager = Manager()
    signal.signal(signal.SIGTERM, lambda *_: shutdown(manager))
    os.makedirs("/run/systemd/system", exist_ok=True)  # sd_booted(): what tools check to detect systemd
    threading.Thread(target=serve, args=(manager,), daemon=True).start()
    manager.boot()
    # Popen-managed children are waited by their watcher threads; reaping here would steal their
    # status, so only reap processes that are not ours.
    while True:
        time.sleep(1)
        _reap_strangers(manager)


def _reap_strangers(manager):
    ours = {s.process.pid for s in manager.services.values() if s.process is not None}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in ours:
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and fields[1] == str(os.getpid()):
            try:
                os.waitpid(int(entry), os.WNOHANG)
            except ChildProcessError:
                pass


def shutdown(manager):
    for service in list(manager.services.values()):
        service.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
