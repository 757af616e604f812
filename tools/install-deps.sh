#!/usr/bin/env bash
# Install the Debian packages the tests, the demo and the benchmark use, when missing.
# runc and busybox-static run the real-kernel tests; containerd captures a real runtime default;
# gcc and libc6-dev build the benchmark's static lstat loop; libseccomp2 is the library the modules call.
# The lab's own stand-ins (kubelet, crictl) use the system python3 with python3-yaml; the collection's modules
# run on lab nodes with a standard-library-only Python (tests/lab/fleet.py MODULE_PYTHON);
# bpftrace (observe-only tracing of syscalls); util-linux (unshare, nsenter),
# iproute2 (loopback in each node) and openssl (kubelet certificates) build the nodes;
# chromium (headless), fonts-dejavu-core and poppler-utils (pdftotext) render and read the report page.
set -euo pipefail
packages=(runc busybox-static containerd libseccomp2 gcc libc6-dev python3 python3-yaml bpftrace
          util-linux iproute2 openssl chromium fonts-dejavu-core poppler-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages ${missing[*]}: install them as root (apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
