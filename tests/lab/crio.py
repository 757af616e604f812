"""Lab stand-in for the crio daemon: `crio --version`, and the daemon's handling of its configuration.

CRI-O reads crio.conf and every file of crio.conf.d when it starts and again on SIGHUP (`systemctl reload crio`);
`[crio.runtime] seccomp_profile` "supports live configuration reload" (docs/kubernetes-facts.md#cri-o-knobs). The stand-in
keeps the configuration it loaded in /run/crio/lab-config.json, which the lab runtime uses for
RuntimeDefault, so a drop-in takes effect only once CRI-O has been started or reloaded, as on a real node.
A reload that finds invalid TOML keeps the previous configuration and logs the error, as CRI-O does.
"""

import glob
import json
import os
import signal
import sys
import time
import tomllib

LOADED = "/run/crio/lab-config.json"


def read_configuration():
    value = ""
    # crio.conf, then every file of crio.conf.d by name, whatever its suffix (crio.conf.d(5)).
    drop_ins = sorted(glob.glob("/etc/crio/crio.conf.d/*") + glob.glob("/etc/crio/crio.conf.d/.*"))
    for path in ["/etc/crio/crio.conf"] + drop_ins:
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            document = tomllib.load(handle)  # an invalid file raises: CRI-O refuses it too
        runtime = (document.get("crio") or {}).get("runtime") or {}
        if "seccomp_profile" in runtime:
            value = runtime["seccomp_profile"]
    return {"seccomp_profile": value}


def load(first):
    try:
        configuration = read_configuration()
    except (OSError, ValueError) as exc:
        what = "Failed to load" if first else "Reload failed, keeping the previous"
        sys.stderr.write("level=error msg=\"%s configuration: %s\"\n" % (what, exc))
        sys.stderr.flush()
        if first:
            sys.exit(1)
        return
    os.makedirs(os.path.dirname(LOADED), exist_ok=True)
    with open(LOADED + ".tmp", "w") as handle:
        json.dump(dict(configuration, loaded_at=time.time()), handle)
    os.rename(LOADED + ".tmp", LOADED)
    what = "Started CRI-O" if first else "Reloaded configuration"
    sys.stderr.write("level=info msg=\"%s: seccomp_profile=%r\"\n" % (what, configuration["seccomp_profile"]))
    sys.stderr.flush()


def main(argv):
    version = os.environ.get("LAB_CRIO_VERSION", "1.0.0")
    if argv and argv[0] in ("--version", "version", "-v"):
        sys.stdout.write("crio version %s\nVersion:        %s\nGitCommit:      lab\n" % (version, version))
        return 0
    load(first=True)
    signal.signal(signal.SIGHUP, lambda *_: load(first=False))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
