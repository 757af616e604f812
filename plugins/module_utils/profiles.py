# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Seccomp profiles: parse, resolve, derive the built-in variants, validate and compile.

Formats (docs/kubernetes-facts.md#profile-formats):

* moby format (Docker's ``default.json``, containers/common's ``seccomp.json``): ``archMap`` and
  per-rule ``includes``/``excludes`` by ``caps``, ``arches`` and ``minKernel``.  Runtimes resolve it
  for one architecture, capability bounding set and kernel before handing it to runc.
* plain OCI (``linux.seccomp`` of a runtime spec): what runc receives, what ``crictl inspect``
  prints under ``info.runtimeSpec.linux.seccomp`` and the only format containerd reads from a
  Localhost file.  Everything this module writes is plain OCI.

Nothing here imports Ansible.  The system libseccomp (module_utils/libseccomp, through ctypes) is optional so
that structural checks still run on a node without it; ``validate_profile`` says when it was missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
import tempfile

from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError, type_name
from ansible_collections.k8s.seccomp_default.plugins.module_utils.moby_default import moby_default


# The capability bounding set the CRI runtimes give a container that asks for nothing more:
# containerd's oci.defaultUnixCaps (pkg/oci/spec.go), also Docker's default.  Resolving a moby
# profile for this set yields what a plain, unprivileged pod gets as RuntimeDefault.
CRI_DEFAULT_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

# Every capability of linux/capability.h (0-40). A name outside it matches no rule of a moby profile.
LINUX_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
    "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)

# OCI architecture name -> (AUDIT_ARCH value, which is also libseccomp's token; the name moby's
# includes/excludes "arches" use for it; machine names as `uname -m` prints them).
ARCHITECTURES = {
    "SCMP_ARCH_X86": (0x40000003, "x86", ("i386", "i686")),
    "SCMP_ARCH_X86_64": (0xC000003E, "amd64", ("x86_64", "amd64")),
    "SCMP_ARCH_X32": (0x4000003E, "x32", ()),
    "SCMP_ARCH_ARM": (0x40000028, "arm", ("armv7l", "armv6l", "arm")),
    "SCMP_ARCH_AARCH64": (0xC00000B7, "arm64", ("aarch64", "arm64")),
    "SCMP_ARCH_MIPS": (0x00000008, "mips", ("mips",)),
    "SCMP_ARCH_MIPS64": (0x80000008, "mips64", ("mips64",)),
    "SCMP_ARCH_MIPS64N32": (0xA0000008, "mips64n32", ()),
    "SCMP_ARCH_MIPSEL": (0x40000008, "mipsel", ("mipsel",)),
    "SCMP_ARCH_MIPSEL64": (0xC0000008, "mipsel64", ("mipsel64",)),
    "SCMP_ARCH_MIPSEL64N32": (0xE0000008, "mips3l64n32", ()),
    "SCMP_ARCH_PPC": (0x00000014, "ppc", ("ppc",)),
    "SCMP_ARCH_PPC64": (0x80000015, "ppc64", ("ppc64",)),
    "SCMP_ARCH_PPC64LE": (0xC0000015, "ppc64le", ("ppc64le",)),
    "SCMP_ARCH_S390": (0x00000016, "s390", ("s390",)),
    "SCMP_ARCH_S390X": (0x80000016, "s390x", ("s390x",)),
    "SCMP_ARCH_PARISC": (0x0000000F, "parisc", ("parisc",)),
    "SCMP_ARCH_PARISC64": (0x8000000F, "parisc64", ("parisc64",)),
    "SCMP_ARCH_RISCV64": (0xC00000F3, "riscv64", ("riscv64",)),
    "SCMP_ARCH_LOONGARCH64": (0xC0000102, "loong64", ("loongarch64", "loong64")),
}

ACTIONS = (
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
)
# Actions that refuse the call.  In kubernetes/default-audit they become SCMP_ACT_LOG.
DENY_ACTIONS = ("SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP")
ERRNO_ACTIONS = ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE")

OPERATORS = {
    "SCMP_CMP_NE": 1,
    "SCMP_CMP_LT": 2,
    "SCMP_CMP_LE": 3,
    "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5,
    "SCMP_CMP_GT": 6,
    "SCMP_CMP_MASKED_EQ": 7,
}

FLAGS = (
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
)

OCI_KEYS = ("defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls")
OCI_RULE_KEYS = ("names", "action", "errnoRet", "args")
OCI_ARG_KEYS = ("index", "value", "valueTwo", "op")
MOBY_KEYS = OCI_KEYS + ("archMap", "defaultErrno")
MOBY_RULE_KEYS = OCI_RULE_KEYS + ("name", "comment", "includes", "excludes", "errno")
MOBY_FILTER_KEYS = ("caps", "arches", "minKernel")
MOBY_ONLY_KEYS = tuple(k for k in MOBY_KEYS if k not in OCI_KEYS)
MOBY_ONLY_RULE_KEYS = tuple(k for k in MOBY_RULE_KEYS if k not in OCI_RULE_KEYS)

BUILTIN_PROFILES = ("default", "default-audit", "audit-verbose")

EPERM = 1
MAX_UINT64 = 2 ** 64 - 1
MAX_ERRNO = 0xFFFF
# The kernel refuses a seccomp filter longer than BPF_MAXINSNS (include/uapi/linux/bpf_common.h).
BPF_MAXINSNS = 4096
BPF_INSTRUCTION_BYTES = 8
SYSCALL_ARGUMENTS = 6
# libseccomp's answer for a name it does not know at all (__NR_SCMP_ERROR); names it knows but
# that one architecture lacks come back as other negative pseudo-numbers and are fine.
NR_SCMP_ERROR = libseccomp.NR_SCMP_ERROR

_KERNEL_RE = re.compile(r"^(\d+)\.(\d+)")


class ProfileError(InputError):
    """A profile that cannot be used; ``problems`` are the findings, each naming field and value.

    ``source`` is where the profile came from (a file, a profile name, an option); with ``heading`` None the
    problems are about that option's value rather than about a profile.
    """

    def __init__(self, source, problems, heading="is not a valid seccomp profile"):
        self.source = source
        self.problems = list(problems)
        self.heading = heading
        if heading:
            text = "%s:\n%s" % (heading, "\n".join("- " + p for p in self.problems))
        else:
            text = "; ".join(self.problems)
        super(ProfileError, self).__init__(text, path=source)

    def __str__(self):
        return "%s %s" % (self.source, self.problem) if self.heading else "%s: %s" % (self.source, self.problem)


def _show(value, limit=120):
    """A value as the user wrote it (JSON), cut short: a hostile profile can hold megabytes in one field."""
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_uint(value, limit=MAX_UINT64):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit


# ---------------------------------------------------------------------------------------------
# Parsing


def load_profile_text(text, source):
    """Decode JSON text; a decoding error names the source, line and column."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ProfileError(source, ["not JSON: %s" % exc])
    except RecursionError:
        raise ProfileError(source, ["not a profile: its JSON is nested too deeply to read"])


def unwrap_profile(data, source):
    """Find the seccomp object in what users paste: `crictl inspect`, `ctr containers info`, a spec.

    Returns ``(profile, origin)``; origin says where in the input the profile was found.
    """
    if not isinstance(data, dict):
        raise ProfileError(source, ["top level: expected a JSON object, got %s" % type_name(data)])
    origin = "profile"
    if isinstance(data.get("info"), dict) and isinstance(data["info"].get("runtimeSpec"), dict):
        data, origin = data["info"]["runtimeSpec"], "crictl inspect output"
    elif isinstance(data.get("Spec"), dict):
        data, origin = data["Spec"], "ctr containers info output"
    if "defaultAction" in data or "linux" not in data:
        return data, origin
    if origin == "profile":
        origin = "runtime spec"
    linux = data.get("linux")
    if linux is not None and not isinstance(linux, dict):
        raise ProfileError(source, ["linux: %s in this %s is not an object" % (_show(linux), origin)])
    seccomp = (linux or {}).get("seccomp")
    if seccomp is None:
        raise ProfileError(source, ["linux.seccomp: absent in this %s; the container ran without a seccomp profile "
                                    "(Unconfined or privileged), so there is nothing to copy" % origin])
    if not isinstance(seccomp, dict):
        raise ProfileError(source, ["linux.seccomp: %s in this %s is not an object" % (_show(seccomp), origin)])
    return seccomp, origin + " linux.seccomp"


def profile_format(profile):
    """'moby' if the profile uses moby-only keys, else 'oci'."""
    if any(key in profile for key in MOBY_ONLY_KEYS):
        return "moby"
    for rule in profile.get("syscalls") or []:
        if isinstance(rule, dict) and any(key in rule for key in MOBY_ONLY_RULE_KEYS):
            return "moby"
    return "oci"


def parse_profile(data, source="profile"):
    """Accept a profile as text or object in any supported shape; return ``(profile, format, origin)``.

    The returned profile is a deep copy: callers may change it freely.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProfileError(source, ["not UTF-8 text (byte %d)" % exc.start])
    if isinstance(data, str):
        data = load_profile_text(data, source)
    profile, origin = unwrap_profile(data, source)
    problems = shape_problems(profile)
    if problems:
        raise ProfileError(source, problems)
    profile = copy.deepcopy(profile)
    fmt = profile_format(profile)
    problems = _check_moby_structure(profile) if fmt == "moby" else []
    if problems:
        raise ProfileError(source, problems)
    return profile, fmt, origin


def shape_problems(profile):
    """Fields of the wrong JSON type (a list that is a string, an object that is a number), each named.

    Checked before anything else reads the profile: every later check and the resolution may then rely
    on the types. A field that is null counts as absent, as Go's encoding/json reads it.
    """
    if not isinstance(profile, dict):
        return ["top level: expected a JSON object, got %s" % type_name(profile)]
    problems = []
    for key in ("defaultAction", "listenerPath", "listenerMetadata", "defaultErrno"):
        _expect_string(profile, key, key, problems)
    for key in ("architectures", "flags"):
        _expect_strings(profile, key, key, problems)
    arch_map = profile.get("archMap")
    if arch_map is not None and not isinstance(arch_map, list):
        problems.append("archMap: %s is not a list" % _show(arch_map))
    for i, entry in enumerate(arch_map if isinstance(arch_map, list) else []):
        if not isinstance(entry, dict):
            problems.append("archMap[%d]: %s is not an object with architecture and subArchitectures" % (i, _show(entry)))
            continue
        _expect_string(entry, "architecture", "archMap[%d].architecture" % i, problems)
        _expect_strings(entry, "subArchitectures", "archMap[%d].subArchitectures" % i, problems)
    rules = profile.get("syscalls")
    if rules is not None and not isinstance(rules, list):
        problems.append("syscalls: %s is not a list" % _show(rules))
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            problems.append("syscalls[%d]: expected an object with names and action, got %s" % (i, _show(rule)))
            continue
        _expect_string(rule, "name", "syscalls[%d].name" % i, problems)
        if rule.get("names") is not None and not isinstance(rule["names"], list):
            problems.append("syscalls[%d].names: %s is not a list of syscall names" % (i, _show(rule["names"])))
        if rule.get("args") is not None and not isinstance(rule["args"], list):
            problems.append("syscalls[%d].args: %s is not a list of conditions" % (i, _show(rule["args"])))
        for which in ("includes", "excludes"):
            condition = rule.get(which)
            if condition is None:
                continue
            if not isinstance(condition, dict):
                problems.append("syscalls[%d].%s: expected an object with %s" % (i, which, ", ".join(MOBY_FILTER_KEYS)))
                continue
            for key in ("caps", "arches"):
                _expect_strings(condition, key, "syscalls[%d].%s.%s" % (i, which, key), problems)
    return problems


def _expect_string(data, key, where, problems):
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        problems.append("%s: %s is not a string" % (where, _show(value)))


def _expect_strings(data, key, where, problems):
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        problems.append("%s: %s is not a list" % (where, _show(value)))
        return
    for item in value:
        if not isinstance(item, str):
            problems.append("%s: %s is not a string" % (where, _show(item)))


def capability_warnings(capabilities, where="capabilities", effect="the profiles are resolved as if it were not given"):
    """A warning for names that are not Linux capabilities (a typo, most often), or []."""
    unknown = sorted(set(cap for cap in normalize_capabilities(capabilities) if cap not in LINUX_CAPABILITIES))
    if not unknown:
        return []
    text = "%s %s not a Linux capability; %s" % (", ".join(unknown), "is" if len(unknown) == 1 else "are", effect)
    return ["%s: %s" % (where, text) if where else text]


def profile_warnings(profile):
    """Warnings about a parsed moby profile that do not stop its use: capabilities that do not exist."""
    found = []
    for i, rule in enumerate(profile.get("syscalls") or []):
        for which in ("includes", "excludes"):
            caps = (rule.get(which) or {}).get("caps") or []
            found.extend(capability_warnings([c for c in caps if c.startswith("CAP_")], "syscalls[%d].%s.caps" % (i, which),
                                             "no container has it, so this condition never holds for it"))
    return found


def _check_moby_structure(profile):
    problems = []
    for key in profile:
        if key not in MOBY_KEYS:
            problems.append("%s: unknown key; a moby profile has %s" % (key, ", ".join(MOBY_KEYS)))
    if profile.get("architectures") and profile.get("archMap"):
        problems.append("archMap: both 'architectures' and 'archMap' are set; runtimes refuse that, use one")
    if "defaultErrno" in profile and "defaultErrnoRet" not in profile:
        problems.append("defaultErrno: errno names are not supported; write defaultErrnoRet as a number")
    for i, entry in enumerate(profile.get("archMap") or []):
        arches = [entry.get("architecture")] + list(entry.get("subArchitectures") or []) if isinstance(entry, dict) else [entry]
        for arch in arches:
            if arch not in ARCHITECTURES:
                problems.append("archMap[%d]: %s is not a seccomp architecture; valid: %s"
                                % (i, _show(arch), ", ".join(sorted(ARCHITECTURES))))
    native_names = sorted(spec[1] for spec in ARCHITECTURES.values())
    for i, rule in enumerate(profile.get("syscalls") or []):
        if not isinstance(rule, dict):
            continue  # reported by the OCI checks after resolution
        if rule.get("name") and rule.get("names"):
            problems.append("syscalls[%d]: both 'name' and 'names' are set; runtimes refuse that, use 'names'" % i)
        if "errno" in rule and "errnoRet" not in rule:
            problems.append("syscalls[%d].errno: %s: errno names are not supported; write errnoRet as a number" % (i, _show(rule["errno"])))
        for key in rule:
            if key not in MOBY_RULE_KEYS:
                problems.append("syscalls[%d].%s: unknown key; a moby rule has %s" % (i, key, ", ".join(MOBY_RULE_KEYS)))
        for which in ("includes", "excludes"):
            condition = rule.get(which)
            if condition is None:
                continue
            if not isinstance(condition, dict):
                problems.append("syscalls[%d].%s: expected an object with %s" % (i, which, ", ".join(MOBY_FILTER_KEYS)))
                continue
            for key in condition:
                if key not in MOBY_FILTER_KEYS:
                    problems.append("syscalls[%d].%s.%s: unknown key; valid: %s" % (i, which, key, ", ".join(MOBY_FILTER_KEYS)))
            for arch in condition.get("arches") or []:
                if arch not in native_names:
                    problems.append("syscalls[%d].%s.arches: %s is not an architecture name runtimes match; valid: %s"
                                    % (i, which, _show(arch), ", ".join(native_names)))
            for cap in condition.get("caps") or []:
                if not isinstance(cap, str) or not cap.startswith("CAP_"):
                    problems.append("syscalls[%d].%s.caps: %s is not a capability name (CAP_...)" % (i, which, _show(cap)))
            kernel = condition.get("minKernel")
            if kernel is not None and not (isinstance(kernel, str) and re.match(r"^\d+\.\d+$", kernel)):
                problems.append("syscalls[%d].%s.minKernel: %s is not <kernel>.<major>, e.g. \"4.8\"" % (i, which, _show(kernel)))
    return problems


# ---------------------------------------------------------------------------------------------
# Resolution


def native_architecture(arch):
    """Map 'x86_64', 'amd64', 'aarch64', 'SCMP_ARCH_AARCH64', ... to the OCI architecture name."""
    if not isinstance(arch, str):
        raise ProfileError("arch", ["%s is not an architecture name (a string such as x86_64)" % _show(arch)], heading=None)
    if arch in ARCHITECTURES:
        return arch
    for name, (dummy, native, machines) in ARCHITECTURES.items():
        if arch == native or arch in machines:
            return name
    valid = sorted(set(m for spec in ARCHITECTURES.values() for m in spec[2]))
    raise ProfileError("arch", ["%s is not an architecture; valid: %s or an SCMP_ARCH_* name" % (_show(arch), ", ".join(valid))],
                       heading=None)


def normalize_capabilities(capabilities):
    """'sys_admin', 'SYS_ADMIN' and 'CAP_SYS_ADMIN' all mean CAP_SYS_ADMIN (Kubernetes omits CAP_)."""
    if capabilities is None:
        return list(CRI_DEFAULT_CAPABILITIES)
    if isinstance(capabilities, str):
        capabilities = [c for c in re.split(r"[,\s]+", capabilities) if c]
    result = []
    for cap in capabilities:
        cap = str(cap).upper()
        result.append(cap if cap.startswith("CAP_") else "CAP_" + cap)
    return result


def parse_kernel(kernel):
    """'5.10.0-23-amd64' -> (5, 10); None stays None (meaning: new enough for every condition)."""
    if kernel is None:
        return None
    match = _KERNEL_RE.match(str(kernel))
    if not match:
        raise ProfileError("kernel", ["%s is not a kernel release such as 6.1 or 6.1.0-18-amd64" % _show(kernel)], heading=None)
    return int(match.group(1)), int(match.group(2))


def _kernel_at_least(kernel, wanted):
    return kernel is None or kernel >= parse_kernel(wanted)


def resolve_profile(profile, fmt, arch="x86_64", capabilities=None, kernel=None, source="profile"):
    """Return the plain OCI profile a runtime would hand to runc on this architecture.

    For moby profiles this follows moby's setupSeccomp (docs/kubernetes-facts.md#moby-format): the archMap entry
    of the native architecture gives ``architectures``; a rule is dropped when an ``excludes`` condition
    matches (arch listed, any cap in the bounding set, kernel >= minKernel) or an ``includes``
    condition does not (arch not listed, not all caps present, kernel < minKernel).
    OCI profiles are already resolved; they must cover the requested architecture.
    """
    target = native_architecture(arch)
    if fmt == "oci":
        arches = profile.get("architectures") or []
        if arches and target not in arches and all(a in ARCHITECTURES for a in arches):
            raise ProfileError(source, ["architectures: %s does not include %s; this profile was captured on another "
                                        "architecture" % (_show(arches), target)])
        return normalize_oci(profile)

    bounding = set(normalize_capabilities(capabilities))
    running = parse_kernel(kernel)
    native = ARCHITECTURES[target][1]
    resolved = dict((k, v) for k, v in profile.items() if k in OCI_KEYS and k != "syscalls")
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == target:
            resolved["architectures"] = [target] + list(entry.get("subArchitectures") or [])
            break
    rules = []
    for rule in profile.get("syscalls") or []:
        excludes = rule.get("excludes") or {}
        includes = rule.get("includes") or {}
        if native in (excludes.get("arches") or []):
            continue
        if any(cap in bounding for cap in excludes.get("caps") or []):
            continue
        if excludes.get("minKernel") and _kernel_at_least(running, excludes["minKernel"]):
            continue
        if includes.get("arches") and native not in includes["arches"]:
            continue
        if any(cap not in bounding for cap in includes.get("caps") or []):
            continue
        if includes.get("minKernel") and not _kernel_at_least(running, includes["minKernel"]):
            continue
        oci_rule = dict((k, v) for k, v in rule.items() if k in OCI_RULE_KEYS)
        if rule.get("name"):
            oci_rule["names"] = [rule["name"]]
        rules.append(oci_rule)
    resolved["syscalls"] = rules
    return normalize_oci(resolved)


def normalize_oci(profile):
    """Key order and omissions as Go's specs.LinuxSeccomp marshals them (omitempty fields)."""
    out = {}
    for key in OCI_KEYS:
        value = profile.get(key)
        if key == "syscalls" and isinstance(value, list):
            value = [_normalize_rule(rule) for rule in value]
        if value not in (None, [], {}, "") or key == "defaultAction":
            out[key] = value
    return out


def _normalize_rule(rule):
    if not isinstance(rule, dict):
        return rule
    out = {}
    for key in OCI_RULE_KEYS:
        value = rule.get(key)
        if key == "args" and value and isinstance(value, list):
            value = [_normalize_arg(arg) for arg in value]
        if value not in (None, []) or key in ("names", "action"):
            out[key] = value
    for key in rule:
        if key not in OCI_RULE_KEYS:
            out[key] = rule[key]  # kept so that validation names it
    return out


def _normalize_arg(arg):
    if not isinstance(arg, dict):
        return arg
    out = {}
    for key in OCI_ARG_KEYS:
        if key in arg and not (key == "valueTwo" and arg[key] == 0):
            out[key] = arg[key]
    for key in arg:
        if key not in OCI_ARG_KEYS:
            out[key] = arg[key]
    return out


# ---------------------------------------------------------------------------------------------
# The built-in profiles (docs/kubernetes-facts.md#built-in-profiles; names from kubernetes/enhancements#1257)


def derive_builtin_profiles(resolved):
    """Return {'default': ..., 'default-audit': ..., 'audit-verbose': ...} from a resolved base.

    * default: the base unchanged, a copy of the runtime default.
    * default-audit: the same allow rules, defaultAction SCMP_ACT_LOG; every explicit deny rule
      becomes SCMP_ACT_LOG so that nothing is refused silently in complain mode.  A LOG rule under a
      LOG default is what the default already does (runc drops such rules as redundant), so the
      converted rules are left out of the file rather than written twice.
    * audit-verbose: no rules at all, defaultAction SCMP_ACT_LOG: every syscall is logged.
    """
    default = normalize_oci(resolved)
    audit = dict((k, v) for k, v in default.items() if k not in ("defaultErrnoRet", "syscalls"))
    audit["defaultAction"] = "SCMP_ACT_LOG"
    kept = []
    for rule in default.get("syscalls", []):
        action = rule.get("action")
        if action in DENY_ACTIONS or action == "SCMP_ACT_LOG":
            continue
        kept.append(copy.deepcopy(rule))
    audit["syscalls"] = kept
    verbose = dict((k, v) for k, v in default.items() if k in ("architectures", "flags"))
    verbose["defaultAction"] = "SCMP_ACT_LOG"
    return {
        "default": default,
        "default-audit": normalize_oci(audit),
        "audit-verbose": normalize_oci(verbose),
    }


def builtin_profiles(base=None, arch="x86_64", capabilities=None, kernel=None, source="base profile", warnings=None):
    """Parse and resolve ``base`` (default: moby's default profile) and derive the three profiles.

    ``warnings``, a list, receives (source, text) for what does not stop the derivation.
    """
    if base is None:
        base, source = moby_default(), "moby default profile"
    profile, fmt, dummy = parse_profile(base, source)
    if warnings is not None and fmt == "moby":
        warnings.extend((source, text) for text in profile_warnings(profile))
    resolved = resolve_profile(profile, fmt, arch=arch, capabilities=capabilities, kernel=kernel, source=source)
    ensure_valid(resolved, source, compile_filter=False)
    return derive_builtin_profiles(resolved)


def builtin_file_name(subdir, name):
    """The localhostProfile of a built-in profile, e.g. kubernetes/default-audit.json."""
    return "%s/%s.json" % (subdir, name)


def localhost_profiles(builtin, subdir, custom, base=None, base_source="base", arch="x86_64", capabilities=None, kernel=None,
                       warnings=None):
    """[(localhostProfile name, plain OCI profile)] for the chosen built-ins and the custom profiles.

    Custom profiles in moby format are resolved too: containerd ignores archMap, includes and
    excludes in Localhost files (docs/kubernetes-facts.md#built-in-profiles).  Raises ProfileError.  ``warnings``,
    a list, receives (source, text) for what is installed all the same (capabilities that do not exist).
    """
    warnings = [] if warnings is None else warnings
    if capabilities is not None:
        warnings.extend(("capabilities", text) for text in capability_warnings(capabilities, where=None))
    wanted = []
    if builtin:
        derived = builtin_profiles(base, arch=arch, capabilities=capabilities, kernel=kernel, source=base_source,
                                   warnings=warnings)
        wanted.extend((builtin_file_name(subdir, name), derived[name]) for name in builtin)
    for name, content in sorted(custom.items()):
        profile, fmt, dummy = parse_profile(content, name)
        if fmt == "moby":
            warnings.extend((name, text) for text in profile_warnings(profile))
        wanted.append((name, resolve_profile(profile, fmt, arch=arch, capabilities=capabilities, kernel=kernel, source=name)))
    return wanted


# ---------------------------------------------------------------------------------------------
# Validation and compilation


def check_structure(profile):
    """Errors and warnings about a plain OCI profile that need no libseccomp."""
    warnings = []
    errors = shape_problems(profile)
    if errors:
        return errors, warnings
    for key in profile:
        if key not in OCI_KEYS:
            hint = " (a moby-format key: resolve the profile first, containerd ignores it)" if key in MOBY_KEYS else ""
            errors.append("%s: unknown key%s; plain OCI profiles have %s" % (key, hint, ", ".join(OCI_KEYS)))
    default = profile.get("defaultAction")
    if default is None:
        errors.append("defaultAction: missing; it is required, e.g. SCMP_ACT_ERRNO or SCMP_ACT_LOG")
    elif default not in ACTIONS:
        errors.append("defaultAction: %s is not a seccomp action; valid: %s" % (_show(default), ", ".join(ACTIONS)))
    if "defaultErrnoRet" in profile:
        value = profile["defaultErrnoRet"]
        if not _is_uint(value, MAX_ERRNO):
            errors.append("defaultErrnoRet: %s is not an errno number (0-%d)" % (_show(value), MAX_ERRNO))
        elif default in ACTIONS and default not in ERRNO_ACTIONS:
            errors.append("defaultErrnoRet: %s is set but defaultAction %s returns no errno; it only applies to %s"
                          % (_show(value), default, " and ".join(ERRNO_ACTIONS)))
    arches = profile.get("architectures") or []
    if not isinstance(arches, list):
        errors.append("architectures: %s is not a list" % _show(arches))
        arches = []
    for arch in arches:
        if arch not in ARCHITECTURES:
            errors.append("architectures: %s is not a seccomp architecture; valid: %s" % (_show(arch), ", ".join(sorted(ARCHITECTURES))))
    for flag in profile.get("flags") or []:
        if flag not in FLAGS:
            errors.append("flags: %s is not a seccomp filter flag; valid: %s" % (_show(flag), ", ".join(FLAGS)))
    rules = profile.get("syscalls") or []
    if not isinstance(rules, list):
        return errors + ["syscalls: %s is not a list" % _show(rules)], warnings
    unconditional = {}
    for i, rule in enumerate(rules):
        rule_errors = _check_rule(i, rule, profile)
        errors.extend(rule_errors)
        if rule_errors:
            continue
        if _effective_action(rule["action"], rule.get("errnoRet")) == _effective_action(default, profile.get("defaultErrnoRet")):
            warnings.append("syscalls[%d]: action %s equals defaultAction; runc drops the rule as redundant (names %s)"
                            % (i, default, ", ".join(rule["names"])))
        seen = set()
        for name in rule["names"]:
            if name in seen:
                warnings.append("syscalls[%d].names: %s is listed twice in the same rule" % (i, _show(name)))
                continue
            seen.add(name)
            if rule.get("args"):
                continue
            action = (rule["action"], rule.get("errnoRet"))
            if name in unconditional:
                j, other = unconditional[name]
                if other == action:
                    warnings.append("syscalls[%d].names: %s duplicates syscalls[%d] (same action %s)" % (i, _show(name), j, action[0]))
                else:
                    warnings.append("syscalls[%d].names: %s already has action %s in syscalls[%d]; libseccomp keeps the first "
                                    "rule without argument conditions, so this %s has no effect" % (i, _show(name), other[0], j, action[0]))
            else:
                unconditional[name] = (i, action)
    return errors, warnings


def _effective_action(action, errno_ret):
    """What the kernel is told: ERRNO/TRACE carry their errno (EPERM when unset, as runc does)."""
    if action in ERRNO_ACTIONS:
        return action, EPERM if errno_ret is None else errno_ret
    return ("SCMP_ACT_KILL_THREAD" if action == "SCMP_ACT_KILL" else action), None


def _check_rule(i, rule, profile):
    where = "syscalls[%d]" % i
    if not isinstance(rule, dict):
        return ["%s: expected an object with names and action, got %s" % (where, _show(rule))]
    errors = []
    for key in rule:
        if key not in OCI_RULE_KEYS:
            hint = " (moby format: resolve the profile first)" if key in MOBY_RULE_KEYS else ""
            errors.append("%s.%s: unknown key%s; a rule has %s" % (where, key, hint, ", ".join(OCI_RULE_KEYS)))
    names = rule.get("names")
    if not isinstance(names, list) or not names:
        errors.append("%s.names: %s; it must be a non-empty list of syscall names" % (where, "missing" if names is None else _show(names)))
    else:
        for name in names:
            if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]*$", name):
                errors.append("%s.names: %s is not a syscall name" % (where, _show(name)))
    action = rule.get("action")
    if action is None:
        errors.append("%s.action: missing; valid: %s" % (where, ", ".join(ACTIONS)))
    elif action not in ACTIONS:
        errors.append("%s.action: %s is not a seccomp action; valid: %s" % (where, _show(action), ", ".join(ACTIONS)))
    elif action == "SCMP_ACT_NOTIFY" and not profile.get("listenerPath"):
        errors.append("%s.action: SCMP_ACT_NOTIFY needs listenerPath at the top level" % where)
    if "errnoRet" in rule:
        if not _is_uint(rule["errnoRet"], MAX_ERRNO):
            errors.append("%s.errnoRet: %s is not an errno number (0-%d)" % (where, _show(rule["errnoRet"]), MAX_ERRNO))
        elif action in ACTIONS and action not in ERRNO_ACTIONS:
            errors.append("%s.errnoRet: %s is set but action %s returns no errno; it only applies to %s"
                          % (where, _show(rule["errnoRet"]), action, " and ".join(ERRNO_ACTIONS)))
    args = rule.get("args") or []
    if not isinstance(args, list) or len(args) > SYSCALL_ARGUMENTS:
        errors.append("%s.args: %s; expected a list of at most %d conditions" % (where, _show(args), SYSCALL_ARGUMENTS))
        return errors
    for j, arg in enumerate(args):
        at = "%s.args[%d]" % (where, j)
        if not isinstance(arg, dict):
            errors.append("%s: expected an object with index, value, op" % at)
            continue
        for key in arg:
            if key not in OCI_ARG_KEYS:
                errors.append("%s.%s: unknown key; valid: %s" % (at, key, ", ".join(OCI_ARG_KEYS)))
        if not _is_uint(arg.get("index"), SYSCALL_ARGUMENTS - 1):
            errors.append("%s.index: %s is not an argument index 0-5" % (at, _show(arg.get("index"))))
        for key in ("value", "valueTwo"):
            if key in arg and not _is_uint(arg[key]):
                errors.append("%s.%s: %s is not an unsigned 64-bit number" % (at, key, _show(arg[key])))
        if not isinstance(arg.get("op"), str) or arg["op"] not in OPERATORS:
            errors.append("%s.op: %s is not a comparison operator; valid: %s" % (at, _show(arg.get("op")), ", ".join(OPERATORS)))
    return errors


def libseccomp_available():
    return libseccomp.library() is not None


def _action_value(action, errno_ret):
    """libseccomp's value for what the kernel is told (see _effective_action)."""
    action, errno = _effective_action(action, errno_ret)
    if action == "SCMP_ACT_ERRNO":
        return libseccomp.errno_action(errno)
    if action == "SCMP_ACT_TRACE":
        return libseccomp.trace_action(errno)
    return {
        "SCMP_ACT_KILL_THREAD": libseccomp.KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS": libseccomp.KILL_PROCESS,
        "SCMP_ACT_TRAP": libseccomp.TRAP,
        "SCMP_ACT_LOG": libseccomp.LOG,
        "SCMP_ACT_NOTIFY": libseccomp.NOTIFY,
        "SCMP_ACT_ALLOW": libseccomp.ALLOW,
    }[action]


def unknown_syscalls(profile):
    """{rule index: {name: [architectures]}} for names libseccomp does not know (runc skips them)."""
    arches = profile.get("architectures") or [_native_oci_arch()]
    found = {}
    for i, rule in enumerate(profile.get("syscalls") or []):
        for name in rule["names"]:
            missing = [a for a in arches if _arch_supported(a) and libseccomp.resolve_name(ARCHITECTURES[a][0], name) == NR_SCMP_ERROR]
            if missing:
                found.setdefault(i, {})[name] = missing
    return found


def _native_oci_arch():
    token = libseccomp.native_arch()
    for name, spec in ARCHITECTURES.items():
        if spec[0] == token:
            return name
    return None


_ARCH_SUPPORT = {}


def _arch_supported(arch):
    """Whether the local libseccomp knows this architecture (older ones lack e.g. loongarch64)."""
    if arch not in _ARCH_SUPPORT:
        try:
            with libseccomp.Filter(libseccomp.ALLOW) as probe:
                if ARCHITECTURES[arch][0] != libseccomp.native_arch():
                    probe.add_arch(ARCHITECTURES[arch][0])
            _ARCH_SUPPORT[arch] = True
        except OSError:
            _ARCH_SUPPORT[arch] = False
    return _ARCH_SUPPORT[arch]


def _build(bpf_filter, profile, default):
    """Add the profile's architectures, flags and rules to ``bpf_filter``; return the architectures compiled."""
    problems = []
    native = libseccomp.native_arch()
    arches = [a for a in profile.get("architectures") or [] if _arch_supported(a)]
    for arch in arches:
        if ARCHITECTURES[arch][0] != native:
            bpf_filter.add_arch(ARCHITECTURES[arch][0])
    if arches and native not in [ARCHITECTURES[a][0] for a in arches]:
        bpf_filter.remove_arch(native)
    flags = profile.get("flags") or []
    if "SECCOMP_FILTER_FLAG_LOG" in flags:
        bpf_filter.set_attr(libseccomp.ATTR_CTL_LOG, 1)
    if "SECCOMP_FILTER_FLAG_SPEC_ALLOW" in flags:
        bpf_filter.set_attr(libseccomp.ATTR_CTL_SSB, 1)
    for i, rule in enumerate(profile.get("syscalls") or []):
        action = _action_value(rule["action"], rule.get("errnoRet"))
        if action == default:
            continue
        conditions = [(a["index"], OPERATORS[a["op"]], a.get("value", 0), a.get("valueTwo", 0)) for a in rule.get("args") or []]
        indexes = [a["index"] for a in rule.get("args") or []]
        separate = len(set(indexes)) != len(indexes)
        for name in rule["names"]:
            number = libseccomp.resolve_name(native, name)
            if number == NR_SCMP_ERROR:
                continue
            try:
                if separate:
                    for condition in conditions:
                        bpf_filter.add_rule(action, number, [condition])
                else:
                    bpf_filter.add_rule(action, number, conditions)
            except OSError as exc:
                problems.append("syscalls[%d].names: libseccomp refused %s: %s" % (i, _show(name), exc.strerror))
    if problems:
        raise ProfileError("profile", problems)
    return arches


def compile_profile(profile):
    """Build the profile with libseccomp the way runc does and export it; return BPF size.

    Mirrors runc's libcontainer/seccomp: rules whose action equals the default are skipped, names
    libseccomp does not know are skipped, and conditions on a repeated argument index become one
    rule each (OR) instead of one rule with all conditions (AND).  Raises ProfileError when
    libseccomp refuses a rule or the program exceeds the kernel's BPF_MAXINSNS.
    """
    default = _action_value(profile["defaultAction"], profile.get("defaultErrnoRet"))
    with libseccomp.Filter(default) as bpf_filter:
        arches = _build(bpf_filter, profile, default)
        with tempfile.TemporaryFile() as handle:
            bpf_filter.export_bpf(handle.fileno())
            size = os.fstat(handle.fileno()).st_size
    instructions = size // BPF_INSTRUCTION_BYTES
    if instructions > BPF_MAXINSNS:
        raise ProfileError("profile", ["compiled filter has %d BPF instructions; the kernel loads at most %d" % (instructions, BPF_MAXINSNS)])
    return {"bpf_instructions": instructions, "bpf_bytes": size, "architectures": arches}


def validate_profile(profile, compile_filter=True):
    """Check a plain OCI profile; return {'errors', 'warnings', 'bpf_instructions', 'libseccomp'}.

    Structural errors come first; with libseccomp, unknown syscall names are reported as warnings
    by name (runc ignores them silently, so they fall to defaultAction) and the filter is compiled.
    """
    errors, warnings = check_structure(profile)
    result = {"errors": errors, "warnings": warnings, "bpf_instructions": None, "libseccomp": libseccomp_available()}
    if errors:
        return result
    if not libseccomp_available():
        warnings.append("libseccomp is not available (%s): syscall names were not resolved and the filter was not "
                        "compiled" % libseccomp.load_error())
        return result
    for i, names in sorted(unknown_syscalls(profile).items()):
        arches = sorted(set(a for missing in names.values() for a in missing))
        warnings.append("syscalls[%d].names: %s unknown to libseccomp on %s; runc skips unknown names silently, so "
                        "these calls get defaultAction" % (i, ", ".join(sorted(names)), ", ".join(arches)))
    for arch in profile.get("architectures") or []:
        if not _arch_supported(arch):
            warnings.append("architectures: %s is not supported by this libseccomp; it was not compiled" % arch)
    if compile_filter:
        try:
            result.update(compile_profile(profile))
        except ProfileError as exc:
            errors.extend(exc.problems)
    return result


def ensure_valid(profile, source, compile_filter=True):
    """validate_profile, raising ProfileError on errors; returns the validation result."""
    result = validate_profile(profile, compile_filter=compile_filter)
    if result["errors"]:
        raise ProfileError(source, result["errors"])
    return result


# ---------------------------------------------------------------------------------------------
# Reading a profile's meaning


def syscalls_with_action(profile, actions):
    """Names that appear in a rule with one of ``actions`` (with or without argument conditions)."""
    return sorted(set(n for rule in profile.get("syscalls") or [] if rule.get("action") in actions for n in rule["names"]))


def allowed_syscalls(profile):
    return syscalls_with_action(profile, ("SCMP_ACT_ALLOW",))


def denies_anything(profile):
    """Whether any call can be refused: a deny default or any deny rule."""
    return profile.get("defaultAction") in DENY_ACTIONS or bool(syscalls_with_action(profile, DENY_ACTIONS))


ARG_TESTS = {
    "SCMP_CMP_NE": lambda arg, value, two: arg != value,
    "SCMP_CMP_LT": lambda arg, value, two: arg < value,
    "SCMP_CMP_LE": lambda arg, value, two: arg <= value,
    "SCMP_CMP_EQ": lambda arg, value, two: arg == value,
    "SCMP_CMP_GE": lambda arg, value, two: arg >= value,
    "SCMP_CMP_GT": lambda arg, value, two: arg > value,
    "SCMP_CMP_MASKED_EQ": lambda arg, value, two: (arg & value) == two,
}


def decide(profile, syscall, args=None):
    """(action, certain) an OCI ``profile`` takes for ``syscall`` called with ``args`` ({index: value}).

    The first rule naming the call whose conditions all hold decides, else defaultAction. A condition on
    an argument not in ``args`` cannot be decided: the answer is then the rule's action with certain=False.
    """
    args = args or {}
    for rule in profile.get("syscalls") or []:
        if syscall not in (rule.get("names") or []):
            continue
        certain = True
        holds = True
        for condition in rule.get("args") or []:
            if condition.get("index") not in args:
                certain = False
                continue
            value = args[condition["index"]] & 0xFFFFFFFFFFFFFFFF
            test = ARG_TESTS.get(condition.get("op"))
            if test is None or not test(value, condition.get("value", 0), condition.get("valueTwo", 0)):
                holds = False
                break
        if holds:
            return rule.get("action"), certain
    return profile.get("defaultAction"), True


def blocks(action):
    """Whether a call under ``action`` fails or is killed (ALLOW and LOG let it run)."""
    return action not in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG")


def dumps_profile(profile):
    """The file text: two-space JSON, keys in OCI order, trailing newline; stable for diffs."""
    return json.dumps(profile, indent=2) + "\n"
