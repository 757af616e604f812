"""Vendor moby's default seccomp profile into plugins/module_utils/moby_default.py.

Usage: tools/vendor_moby_default.py PATH/TO/default.json SOURCE-REF

The profile is kept as JSON text inside a module_utils file so that modules (shipped to nodes by
AnsiballZ, which only carries Python), filters and `make profiles` all read the same bytes.
"""

import json
import sys

TEMPLATE = '''# -*- coding: utf-8 -*-
# Copyright: Moby project contributors (moby/profiles seccomp/default.json), Apache-2.0. See NOTICE.
# Data copied from {source}, re-indented only.
# Do not edit by hand: tools/vendor_moby_default.py writes this file.
"""The Docker/moby default seccomp profile, the base of the shipped built-in profiles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

SOURCE = "{source}"

MOBY_DEFAULT_JSON = r\'\'\'
{text}
\'\'\'


def moby_default():
    """Return a fresh copy of the moby default profile (moby format)."""
    return json.loads(MOBY_DEFAULT_JSON)
'''


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with open(argv[1]) as handle:
        profile = json.load(handle)
    text = json.dumps(profile, indent=2)
    with open("plugins/module_utils/moby_default.py", "w") as handle:
        handle.write(TEMPLATE.format(source=argv[2], text=text))


if __name__ == "__main__":
    main(sys.argv)
