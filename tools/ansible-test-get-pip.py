"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), for machines that reach PyPI only.

ansible-test creates a virtual environment per sanity test and bootstraps pip in it with a get-pip.py
it downloads from its own CI host, which such machines cannot reach. ansible-test takes the script
from its cache when present (~/.ansible/test/cache/get_pip_<version>.py); the Makefile puts this file
there. It does what get-pip.py does: put pip into the running interpreter's environment (here from
the copy bundled with CPython, through ensurepip) and then install the requested packages with it.
"""

import ensurepip
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")

ensurepip.bootstrap(upgrade=True)
arguments = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_OPTIONS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + arguments))
