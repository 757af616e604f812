"""Run real ansible-playbook (local connection) and return each task's registered result."""

import json
import re
import os
import subprocess
import sys

import yaml

BIN = os.path.dirname(sys.executable)


class PlaybookRun:
    def __init__(self, completed, results_path):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        if not os.path.exists(results_path):
            raise AssertionError("ansible-playbook did not finish (rc %d):\n%s\n%s" % (completed.returncode, completed.stdout, completed.stderr))
        with open(results_path) as handle:
            self.results = json.load(handle)


def run_tasks(tmp_path, tasks, check=False, diff=False):
    """Run ``tasks`` on localhost; every task's result is registered, failures included.

    A last task (never in check mode) writes the registered results to a JSON file, so that tests
    read exactly what a playbook author would get from ``register``.
    """
    directory = str(tmp_path)
    run_id = len([n for n in os.listdir(directory) if n.startswith("playbook-")])
    results_path = os.path.join(directory, "results-%d.json" % run_id)
    play_tasks = []
    for i, task in enumerate(tasks):
        play_tasks.append(dict(task, register="r%d" % i, ignore_errors=True))
    names = ", ".join("r%d" % i for i in range(len(tasks)))
    play_tasks.append({"name": "write registered results", "check_mode": False, "diff": False,
                       "ansible.builtin.copy": {"content": "{{ [%s] | to_json }}" % names, "dest": results_path}})
    playbook = [{"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": play_tasks}]
    path = os.path.join(directory, "playbook-%d.yml" % run_id)
    with open(path, "w") as handle:
        yaml.safe_dump(playbook, handle)
    command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=600)
    return PlaybookRun(completed, results_path)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The collection that the playbooks run: this checkout (through .build/collections, `make link`), or a copy of the
# built artifact installed with ansible-galaxy (SECCOMP_INSTALLED: the collections path it went into; `make installed`).
INSTALLED = os.environ.get("SECCOMP_INSTALLED")
COLLECTIONS = INSTALLED or os.path.join(ROOT, ".build", "collections")
COLLECTION = os.path.join(INSTALLED, "ansible_collections", "k8s", "seccomp_default") if INSTALLED else ROOT


def playbook_command(playbook, inventory, cwd, extra_vars=None, check=False, diff=False, env=None, limit=None):
    """(argv, environment) of ansible-playbook PLAYBOOK -i INVENTORY as a user runs it from ``cwd`` (``env``:
    variables to set or, with None, to unset; ``limit``: --limit)."""
    command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if limit:
        command += ["--limit", limit]
    environment = dict(os.environ, PWD=str(cwd), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
                       ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return command, environment


def run_playbook(playbook, inventory, cwd, extra_vars=None, check=False, diff=False, timeout=1200, env=None, limit=None):
    """ansible-playbook PLAYBOOK -i INVENTORY as a user runs it, from ``cwd``; returns CompletedProcess."""
    command, environment = playbook_command(playbook, inventory, cwd, extra_vars, check, diff, env, limit)
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=str(cwd), check=False,
                          timeout=timeout)


def start_playbook(playbook, inventory, cwd, extra_vars=None, env=None, limit=None):
    """The same, started in the background (Popen, output piped): for runs that go on at the same time."""
    command, environment = playbook_command(playbook, inventory, cwd, extra_vars, env=env, limit=limit)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, cwd=str(cwd))


def recap(stdout):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP of ansible-playbook's output."""
    counts = {}
    in_recap = False
    for line in stdout.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap, counts = True, {}
            continue
        if in_recap and re.match(r"^\S+\s+: ok=", line):  # not what a callback prints after it
            host, _sep, rest = line.partition(":")
            counts[host.strip()] = dict((key, int(value)) for key, value in
                                        (item.split("=") for item in rest.split()))
    return counts
