# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The run's report directory, kept up to date: a node's records written, report.json and summary.md rebuilt.

The work of k8s.seccomp_default.rollout_report, without an AnsibleModule: the action plugin runs it in the Ansible
worker process on the controller, and the module (for whoever runs it as one) hands it its params. ``report`` takes
the params - checked against ``ARGUMENT_SPEC``, ``REQUIRED_BY`` and ``MUTUALLY_EXCLUSIVE``, the one copy of the
options both use - and a ``warn`` callable, returns the result, and raises ``InputError`` for what the user can fix.

The hosts of a batch (the forks of one controller) call it at the same time: each writes its own record, then the
calls are serialised with a flock of ``.lock``; every file is written atomically, and nothing through a symlink out
of the directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import fcntl
import hashlib
import json
import os
import stat
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files
from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_html, rollout_report, spo
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_report import build, markdown

# The options, for the module's AnsibleModule and the action's validate_argument_spec alike.
ARGUMENT_SPEC = dict(
    dir=dict(type="path", required=True),
    start=dict(type="dict"),
    host=dict(type="str"),
    record=dict(type="dict"),
    records=dict(type="list", elements="dict"),
    batch=dict(type="list", elements="str", default=[]),
    readiness=dict(type="dict"),
    merge=dict(type="list", elements="path"),
)
REQUIRED_BY = dict(record="host", records="host")
# One host's records for the report, as rollout_state's report option takes them (its action writes them).
HOST_RECORDS_SPEC = dict(type="dict", options=dict(
    dir=dict(ARGUMENT_SPEC["dir"]), host=dict(ARGUMENT_SPEC["host"], required=True), batch=dict(ARGUMENT_SPEC["batch"]),
    records=dict(ARGUMENT_SPEC["records"])))
# The records built from the roles' variables (``facts``, seccomp_record_facts) by the action that writes them, such as
# enforce_containers' once it recorded a passed enforcement on the node.
HOST_FACTS_SPEC = dict(type="dict", options=dict(
    dir=dict(ARGUMENT_SPEC["dir"]), host=dict(ARGUMENT_SPEC["host"], required=True), batch=dict(ARGUMENT_SPEC["batch"]),
    facts=dict(type="dict", required=True)))
MUTUALLY_EXCLUSIVE = [("record", "records"), ("merge", "start"), ("merge", "record"), ("merge", "records")]

RUN_ENTRIES = ("run.json", "readiness.json", "report.json", "summary.md", "report.html", "nodes", "suggested-profiles")
SECCOMP_PROFILES = "seccompprofiles.yaml"  # under suggested-profiles/: every SPO object of the run
SNIPPET = ".security-context.yaml"  # beside each suggested Localhost profile
BUILT = ".built"  # the boot and CLOCK_MONOTONIC time at which the last rebuild began reading the records
LOCK = ".lock"
WRITTEN = ("report.json", "summary.md", "report.html", BUILT, LOCK, rollout_report.RUN_FILE, rollout_report.READINESS_FILE)
INSIDE = "a file or directory inside the report directory (a symlink to elsewhere is never written through)"


def clock():
    """A time that never goes back on this machine: (boot id, CLOCK_MONOTONIC in ns)."""
    with open("/proc/sys/kernel/random/boot_id") as handle:
        return handle.read().strip(), time.monotonic_ns()


def rebuilt_since(directory, written):
    """Whether a rebuild began after ``written`` (a clock() taken once a record was in place), so that it read it."""
    try:
        with open(os.path.join(directory, BUILT)) as handle:
            boot, began = handle.read().split()
        return boot == written[0] and int(began) > written[1]
    except (IOError, OSError, ValueError):
        return False


def inside(directory, name, kind="file"):
    """The path of ``name`` in the report directory, refused when it leads out of it through a symlink, or when what
    is there is not a ``kind`` ('file' or 'directory') that can be replaced or written into."""
    path = os.path.join(directory, name)
    try:
        files.path_under(directory, name)
    except files.UnsafePathError:
        raise InputError("is a symlink to %s, outside the report directory %s" % (os.path.realpath(path), os.path.realpath(directory)),
                         path=path, expected=INSIDE)
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return path
        raise errors.os_error(exc, path, "used")
    if kind == "directory" and not stat.S_ISDIR(info.st_mode):
        raise InputError("is not a directory", path=path, expected="a directory (move what is there aside)")
    if kind == "file" and not stat.S_ISREG(info.st_mode):
        raise InputError("is a directory, not a file" if stat.S_ISDIR(info.st_mode) else "is not a regular file", path=path,
                         expected="a regular file, rewritten by each rebuild (move what is there aside)")
    return path


def write(path, data):
    try:
        files.atomic_write(path, data)
    except (IOError, OSError) as exc:
        raise errors.os_error(exc, path, "written")


def rebuild(directory, warn):
    began = clock()
    shipped = []
    report = build(directory, now(), warn=warn, shipped=shipped)
    write(inside(directory, "report.json"), dump(report))
    write(inside(directory, "summary.md"), markdown(report).encode("utf-8"))
    write(inside(directory, "report.html"), report_html.page(report).encode("utf-8"))
    write_shippable(directory, report, shipped)
    write(inside(directory, BUILT), ("%s %d\n" % began).encode("utf-8"))
    return report


def write_shippable(directory, report, shipped):
    """The suggestions as users ship them (``shipped``, as ``build`` made them): every SPO object in one YAML stream, and
    beside each Localhost profile the securityContext that uses it (as the Localhost file, or as the SPO object)."""
    objects = rollout_report.seccomp_profiles(shipped)
    if objects:
        write(inside(directory, os.path.join(rollout_report.SUGGESTED_DIR, SECCOMP_PROFILES)),
              spo.yaml_documents(objects).encode("utf-8"))
    for suggestion in report["suggested_profiles"]:
        if suggestion["security_context"]:
            name = spo.localhost_file(suggestion["namespace"], suggestion["pod"], suggestion["container"])
            write(inside(directory, os.path.join(rollout_report.SUGGESTED_DIR, suggestion["host"], name[:-len(".json")] + SNIPPET)),
                  spo.snippet(suggestion).encode("utf-8"))


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def dump(value):
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def earlier_run_id(directory):
    """The id of the run whose report is in ``directory`` (None without run.json): it names a directory in history/."""
    path = os.path.join(directory, rollout_report.RUN_FILE)
    earlier = rollout_report.read_json(path, missing_ok=True)
    if earlier is None:
        return None
    if not isinstance(earlier, dict):
        raise InputError("is not a mapping", path=path, value=earlier, expected="the run this collection writes; move the file aside")
    return rollout_report.check_name(earlier.get("id") or "unknown", "id", path)


def history_target(directory, name):
    """history/<name>, or history/<name>.N when that is taken: an earlier move is never mixed with this one."""
    inside(directory, "history", "directory")
    candidate, number = name, 1
    while os.path.lexists(os.path.join(directory, "history", candidate)):
        number += 1
        candidate = "%s.%d" % (name, number)
    return os.path.join(directory, "history", candidate)


def start_run(directory, run, earlier):
    """Move an earlier run's report (of run ``earlier``) under history/<its id>/, then write run.json."""
    loose = [name for name in RUN_ENTRIES if os.path.lexists(os.path.join(directory, name))]
    if earlier is not None and earlier == run["id"]:
        loose = []
    if loose:
        # Records of a rollout without run.json (an older version, or the roles used on their own) go too.
        target = history_target(directory, earlier if earlier is not None else "before-" + run["id"])
        try:
            os.makedirs(target)
        except (IOError, OSError) as exc:
            raise errors.os_error(exc, target, "created")
        for name in loose:
            try:
                os.rename(os.path.join(directory, name), os.path.join(target, name))
            except (IOError, OSError) as exc:
                raise InputError("cannot be moved to %s: %s" % (target, exc.strerror or exc), path=os.path.join(directory, name))
    write(inside(directory, rollout_report.RUN_FILE), dump(run))


def check_params(params):
    """The parameters, checked: what becomes a file name, and each document as the report reads it back."""
    given = [("record", params["record"])] if params["record"] is not None else []
    given += [("records[%d]" % number, record) for number, record in enumerate(params["records"] or [])]
    if given:
        rollout_report.check_name(params["host"], "host")
    params["records"] = [rollout_report.check_record(dict(record, host=params["host"], recorded_at=now(),
                                                          batch=params["batch"] or [params["host"]]), field)
                         for field, record in given]
    if params["start"] is not None:
        rollout_report.check_run(params["start"], "start")
    if params["readiness"] is not None:
        rollout_report.check_readiness(params["readiness"], "readiness")


def check_directory(directory, params):
    """Refuse, before anything is written, a report directory the call could not finish in."""
    try:
        info = os.stat(directory)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise errors.os_error(exc, directory, "used")
    else:
        if not stat.S_ISDIR(info.st_mode):
            raise InputError("is not a directory", path=directory, field="dir", expected="a directory, or a path where one can be made")
    for name in WRITTEN:
        inside(directory, name)
    inside(directory, "nodes", "directory")
    for record in params["records"]:
        inside(directory, os.path.join("nodes", rollout_report.record_name(params["host"], record["stage"])))
    if params["start"] is not None:
        inside(directory, "history", "directory")
        return earlier_run_id(directory)
    # The reports to merge, read as the merge reads them: one that cannot be merged fails here, with nothing written.
    for field, source in merge_sources(directory, params["merge"] or []):
        read_source(source, field)
    # What the rebuild reads of the run: a broken run.json or readiness.json fails here, with nothing written.
    rollout_report.read_run(directory)
    if params["readiness"] is None:
        rollout_report.read_readiness(directory)
    return None


def make_directories(directory):
    for path in (directory, inside(directory, "nodes", "directory")):
        try:
            os.makedirs(path, exist_ok=True)
        except (IOError, OSError) as exc:
            raise errors.os_error(exc, path, "created")


def lock(directory):
    path = inside(directory, LOCK)
    try:
        # O_NOFOLLOW: a symlink put there after the check is not followed either.
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("is a symlink", path=path, expected="a regular file (the lock of concurrent calls)")
        raise errors.os_error(exc, path, "written")


def merge(directory, sources):
    """The reports of other runs or slices (report directories) merged into ``directory``: of each node's record of
    each stage, the latest (``recorded_at``) of them all and of ``directory``'s own; the suggested profiles of the
    run whose audit record is kept; one run.json over them all (``merged_from``: each report's run id, directory and
    hosts) and one readiness. What was merged from where: [{dir, run, records}]."""
    own = os.path.realpath(directory)
    chosen, runs, readiness, merged = {}, [], [], []
    for field, source in [("dir", directory)] + merge_sources(directory, sources):
        if field == "dir" and not os.path.isdir(os.path.join(source, "nodes")):
            continue  # a report made by this merge
        nodes, run, assessed = read_source(source, field)
        if run is not None:
            runs.append((source, run))
        if assessed is not None:
            readiness.append(assessed)
        for host, stages in nodes.items():
            for stage, record in stages.items():
                kept = chosen.get((host, stage))
                if kept is None or record.get("recorded_at", "") >= kept[1].get("recorded_at", ""):
                    chosen[(host, stage)] = (source, record)
        if field != "dir":
            merged.append(dict(dir=source, run=run and run["id"]))
    for item in merged:
        item["records"] = sum(1 for source, _record in chosen.values() if source == item["dir"])
    for (host, stage), (source, record) in sorted(chosen.items()):
        if os.path.realpath(source) == own:
            continue
        if stage == "audit" and copy_suggestions(source, directory, host):
            # The merged report names its own copy: the slice's directory may be gone (an AWX job's, thrown away).
            record = dict(record, suggested_profiles=os.path.join(directory, rollout_report.SUGGESTED_DIR, host))
        write(inside(directory, os.path.join("nodes", rollout_report.record_name(host, stage))), dump(record))
    if runs:
        write(inside(directory, rollout_report.RUN_FILE), dump(merged_run(runs)))
    if readiness:
        write(inside(directory, rollout_report.READINESS_FILE), dump(merged_readiness(readiness)))
    return merged


def merge_sources(directory, sources):
    """[(field, report directory)] of the reports to merge into ``directory``, without ``directory`` itself."""
    own = os.path.realpath(directory)
    return [("merge[%d]" % index, path) for index, path in enumerate(sources) if os.path.realpath(path) != own]


def read_source(source, field):
    """(records by host and stage, run, readiness) of a report to merge, refused when it is not one or has a record
    that cannot be read."""
    if not os.path.isdir(os.path.join(source, "nodes")):
        raise InputError("is not a report directory (it has no nodes/)", path=source, field=field,
                         expected="the seccomp_report_dir of a run or slice (with nodes/, run.json and report.json)")
    nodes, unreadable = rollout_report.read_records(source)
    if unreadable:
        problem = unreadable[0]
        raise InputError("has a record that cannot be merged: %s" % problem["problem"], path=problem["path"], field=field)
    return nodes, rollout_report.read_run(source), rollout_report.read_readiness(source)


def copy_suggestions(source, directory, host):
    """The suggested profiles of ``host`` as ``source``'s run wrote them, instead of any ``directory`` had; whether
    ``source`` had any."""
    origin = os.path.join(source, rollout_report.SUGGESTED_DIR, host)
    if not os.path.isdir(origin):
        return False
    target = inside(directory, os.path.join(rollout_report.SUGGESTED_DIR, host), "directory")
    try:
        os.makedirs(target, exist_ok=True)
        for name in sorted(os.listdir(origin)):
            if not name.startswith(".") and os.path.isfile(os.path.join(origin, name)):
                with open(os.path.join(origin, name), "rb") as handle:
                    write(inside(directory, os.path.join(rollout_report.SUGGESTED_DIR, host, name)), handle.read())
    except (IOError, OSError) as exc:
        raise errors.os_error(exc, origin, "copied")
    return True


def merged_run(runs):
    """One run over several: the earliest start, every stage and host, check mode if any was, and where each came from."""
    ids = sorted(set(run["id"] for _source, run in runs))
    stages = [stage for stage in ("feature_gate", "audit", "enforce") if any(stage in run["stages"] for _source, run in runs)]
    first = min(runs, key=lambda item: item[1]["started"])[1]
    sources = []
    for source, run in runs:
        # A report merged before says where its own parts came from: those, not the merged report, are listed.
        sources += run.get("merged_from") or [dict(id=run["id"], dir=source, hosts=sorted(run["hosts"]))]
    return dict(first, id="merged-%s" % hashlib.sha256(" ".join(ids).encode("utf-8")).hexdigest()[:12],
                started=first["started"], stages=stages, check_mode=any(run.get("check_mode") for _s, run in runs),
                hosts=sorted(set(host for _source, run in runs for host in run["hosts"])),
                serial=first["serial"] if all(run["serial"] == first["serial"] for _s, run in runs) else [run["serial"] for _s, run in runs],
                merged_from=sorted(dict((item["id"], item) for item in sources).values(), key=lambda item: item["id"]))


def merged_readiness(all_readiness):
    first = all_readiness[0]
    nodes = {}
    for readiness in all_readiness:
        nodes.update(readiness["nodes"])
    merged = dict(first, nodes=nodes, left_out=sorted(set(host for readiness in all_readiness for host in readiness.get("left_out") or [])))
    checked = sorted(readiness["checked_at"] for readiness in all_readiness if readiness.get("checked_at"))
    if checked:
        merged["checked_at"] = checked[0]
    return merged


def report(params, warn):
    """Write the records, run and readiness in ``params`` into the report directory ``params["dir"]`` and rebuild the
    report unless a rebuild that began after the records were written has read them; the result (``changed`` false).
    ``warn(text)`` is told of each record left out of the report. ``params`` is not changed."""
    params = dict(params)
    for name, spec in ARGUMENT_SPEC.items():
        params.setdefault(name, spec.get("default"))
    directory = params["dir"]
    check_params(params)
    earlier = check_directory(directory, params)
    make_directories(directory)
    written = None
    for record in params["records"]:
        # Written before the lock is taken: every host of a batch writes its own file, and one rebuild that
        # begins after several of them were written reads them all.
        write(inside(directory, os.path.join("nodes", rollout_report.record_name(params["host"], record["stage"]))), dump(record))
        written = clock()
    handle = lock(directory)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if params["start"] is not None:
            start_run(directory, params["start"], earlier)
            make_directories(directory)
        if params["readiness"] is not None:
            write(inside(directory, rollout_report.READINESS_FILE), dump(params["readiness"]))
        merged = merge(directory, params["merge"]) if params["merge"] else None
        result = None
        if written and rebuilt_since(directory, written):
            try:
                result = rollout_report.read_json(inside(directory, "report.json"))
                errors.expect_type(result.get("totals"), dict, "totals")
            except (InputError, AttributeError):
                result = None
        rebuilt = result is None
        if rebuilt:
            result = rebuild(directory, warn)
    finally:
        os.close(handle)
    extra = {}
    if merged is not None:
        extra["merged"] = merged
    if params["readiness"] is not None:
        extra["table"] = rollout_report.readiness_table(params["readiness"])
    return dict(changed=False, report=os.path.join(directory, "report.json"), summary=os.path.join(directory, "summary.md"),
                totals=result["totals"], rebuilt=rebuilt, unreadable=result.get("unreadable") or [],
                outcome=outcome(directory, result), **extra)


def outcome(directory, report):
    """What a workflow branches on (AWX's job artifacts, through set_stats): the run, the totals, each node's status,
    the held and failed nodes, and where the report and the shippable profiles are."""
    nodes = report.get("nodes") or {}
    profiles = os.path.join(directory, rollout_report.SUGGESTED_DIR, SECCOMP_PROFILES)
    return dict(run_id=(report.get("run") or {}).get("id"), report_dir=directory, report=os.path.join(directory, "report.json"),
                summary=os.path.join(directory, "summary.md"), html=os.path.join(directory, "report.html"),
                seccomp_profiles=profiles if os.path.exists(profiles) else None, totals=report.get("totals"),
                nodes=dict((host, entry.get("status")) for host, entry in sorted(nodes.items())),
                held=sorted(host for host, entry in nodes.items() if entry.get("held")),
                failed=sorted(host for host, entry in nodes.items() if entry.get("failed")))
