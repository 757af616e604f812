# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Filters answer bad input with AnsibleFilterError naming the filter, the object, the field and the value."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError


def filter_errors(name):
    """Decorate a filter function: ``InputError`` becomes ``AnsibleFilterError`` prefixed with ``name``.

    Any other exception is a shape we did not check for; it is reported the same way, as a bug, instead of
    Jinja's bare "'str' object has no attribute 'get'".
    """
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except AnsibleFilterError:
                raise
            except InputError as exc:
                raise AnsibleFilterError("k8s.seccomp_default.%s: %s" % (name, exc))
            except Exception as exc:  # pylint: disable=broad-except
                raise AnsibleFilterError("k8s.seccomp_default.%s: unexpected input (%s: %s); this is a bug, please report it"
                                         % (name, type(exc).__name__, str(exc)[:300]))
        return wrapper
    return decorate
