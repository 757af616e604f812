# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Durations as the roles take them: seconds, or a number with s, m or h."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"^\s*(\d+)\s*([smh]?)\s*$")


class DurationError(ValueError):
    pass


def seconds(value):
    if isinstance(value, bool):
        raise DurationError("is not a duration: give seconds, or a number with s, m or h (such as 90s or 10m)")
    if isinstance(value, int):
        if value < 0:
            raise DurationError("is negative: give 0 or more seconds")
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise DurationError("is not a duration: give seconds, or a number with s, m or h (such as 90s or 10m)")
    return int(match.group(1)) * UNITS[match.group(2)]
