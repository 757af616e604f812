"""Write profiles/<arch>/kubernetes/*.json from the moby default profile (`make profiles`).

With --check, write nothing and exit 1 listing the files that differ from what would be generated.
Run with the collection importable as ansible_collections.k8s.seccomp_default (the Makefile does).
"""

import argparse
import os
import sys

from ansible_collections.k8s.seccomp_default.plugins.module_utils.profiles import builtin_profiles, dumps_profile

ARCHES = ("x86_64", "aarch64")


def generated_files(root):
    """{path: text} of every shipped profile."""
    out = {}
    for arch in ARCHES:
        for name, profile in builtin_profiles(None, arch=arch).items():
            out[os.path.join(root, "profiles", arch, "kubernetes", name + ".json")] = dumps_profile(profile)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=".", help="collection root")
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 when stale")
    args = parser.parse_args()
    stale = []
    for path, text in sorted(generated_files(args.root).items()):
        current = open(path).read() if os.path.exists(path) else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(text)
            print("wrote %s" % path)
    if args.check and stale:
        sys.exit("stale, run `make profiles`: " + ", ".join(stale))


if __name__ == "__main__":
    main()
