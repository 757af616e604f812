# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Durations as the roles take them: seconds, or a number with s, m or h."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
# At most 9 digits (over 31 years in seconds): enough for any soak, and never a number too long to convert.
_DURATION = re.compile(r"^\s*([0-9]{1,9})\s*([smh]?)\s*$")
FORMS = "seconds, or a number with s, m or h (such as 90s or 10m)"


class DurationError(InputError):
    pass


def seconds(value):
    if isinstance(value, bool):
        raise DurationError("is not a duration: give " + FORMS, value=value, expected=FORMS)
    if isinstance(value, int):
        if value < 0:
            raise DurationError("is negative: give 0 or more seconds", value=value, expected=FORMS)
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise DurationError("is not a duration: give " + FORMS, value=value, expected=FORMS)
    return int(match.group(1)) * UNITS[match.group(2)]
