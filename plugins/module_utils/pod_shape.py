# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The shape of what users hand the filters and modules, checked once where it comes in.

Pods come from ``kubectl get -o json`` dumps, the kubelet's /pods, kubernetes.core.k8s_info and API servers of
many versions. Only the fields the seccomp rules read are checked; an absent field, and null where the API allows
null, are fine. A wrong shape is a ``ShapeError`` naming the object (``Pod shop/web at items[2]``), the field
path (``spec.containers[1].securityContext``), the value found and what would be valid, so the rules behind the
check read plain dicts without guarding every ``.get``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError, short_repr, type_name

CONTAINER_LISTS = (("init", "initContainers"), ("regular", "containers"), ("ephemeral", "ephemeralContainers"))
# Workload kind -> path of keys from the object to its pod template.
POD_TEMPLATES = {
    "Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"), "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"), "ReplicationController": ("spec", "template"), "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"), "PodTemplate": ("template",),
}
COLLECTIONS_TAKEN = "a Pod, a workload object, a List of them or a k8s_info result"
# Lists of lists of Lists: a few levels are how users gather pods; far more is not a collection of pods.
MAX_NESTING = 32


class ShapeError(InputError):
    """An object, a collection or an argument that does not have the shape the filter or module takes."""


# ---------------------------------------------------------------------------------------------
# One value: its type, or an error naming where it is


def mapping(value, field, where=None, expected="a mapping or null", required=False):
    """``value`` as a dict; null is an empty one unless ``required``."""
    if value is None and not required:
        return {}
    if isinstance(value, dict):
        return value
    raise ShapeError("is not a mapping", path=where, field=field, value=value, expected=expected)


def sequence(value, field, where=None, expected="a list or null"):
    """``value`` as a list; null is an empty one. A string is refused: iterating it would give its letters."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ShapeError("is not a list", path=where, field=field, value=value, expected=expected)


def text(value, field, where=None, expected="a string or null", required=False):
    """``value`` if it is a string (or null, unless ``required``); a required string must not be empty."""
    if value is None and not required:
        return None
    if isinstance(value, str) and (value or not required):
        return value
    problem = "is empty" if isinstance(value, str) else "is missing" if value is None else "is not a string"
    raise ShapeError(problem, path=where, field=field, value=value, expected=expected)


def flag(value, field, where=None, expected="true, false or null"):
    if value is None or isinstance(value, bool):
        return value
    raise ShapeError("is not a boolean", path=where, field=field, value=value, expected=expected)


def count(value, field, where=None, expected="a whole number of 0 or more, or null"):
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ShapeError("is not a count", path=where, field=field, value=value, expected=expected)


def names(value, field, where=None, what="name"):
    """A list of non-empty strings. A string alone is refused, not read as a list of its letters."""
    if isinstance(value, str):
        raise ShapeError("is a string, not a list of %ss" % what, path=where, field=field, value=value,
                         expected="a list of %ss, such as [%s]" % (what, short_repr(value)))
    found = sequence(value, field, where, expected="a list of %ss" % what)
    for index, name in enumerate(found):
        text(name, "%s[%d]" % (field, index), where, expected="a %s (a non-empty string)" % what, required=True)
    return found


def argument_bool(value, field, default=False):
    """A filter or module argument that is true or false. The strings Ansible reads as booleans are taken too:
    ``-e name=false`` hands a filter the string "false", which Python would take for true."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in BOOLEANS_TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in BOOLEANS_FALSE:
        return False
    raise ShapeError("is not a boolean", field=field, value=value, expected="true or false")


def argument_path(value, field, default):
    """A directory argument such as kubelet_root_dir: a non-empty string, or null for ``default``."""
    if value is None:
        return default
    return text(value, field, expected="a directory path (a non-empty string)", required=True)


# ---------------------------------------------------------------------------------------------
# Kubernetes objects


def describe(obj, where=None):
    """``Pod shop/web``, ``Deployment web at items[2]``, ``Pod at [0]``: the object as a user finds it."""
    kind = obj.get("kind", "Pod") or "Pod"
    kind = kind if isinstance(kind, str) else "object"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name, namespace = meta.get("name"), meta.get("namespace")
    label = kind
    if isinstance(name, str) and name:
        label += " %s/%s" % (namespace, name) if isinstance(namespace, str) and namespace else " " + name
    if where:
        label += " at " + where
    elif label == kind:
        label += " without metadata.name"
    return label


def objects(data, name="input"):
    """Every Pod or workload object in ``data``, each checked: one object; a ``v1 List`` or typed list (PodList,
    DeploymentList) as ``kubectl get -o json`` gives it; a k8s_info result (its ``resources``); or a list of these.
    Objects of other kinds inside a collection (Services in ``kubectl get all``) carry no containers and are
    skipped. An object whose kind is taken from its list gets it set, so the rules see its kind.
    """
    found = []
    _collect(data, None, found, "", name, top=True)
    return found


def _join(where, step):
    return where + step if step.startswith("[") or not where else where + "." + step


def _collect(data, list_kind, found, where, name, top=False, depth=0):
    if depth > MAX_NESTING:
        raise ShapeError("is nested more than %d lists or Lists deep" % MAX_NESTING, path=name, field=where[:200] + "...")
    if isinstance(data, (list, tuple)):
        for index, item in enumerate(data):
            _collect(item, list_kind, found, _join(where, "[%d]" % index), name, depth=depth + 1)
        return
    if not isinstance(data, dict):
        raise ShapeError("expected %s, got %s %s%s" % (COLLECTIONS_TAKEN, type_name(data), short_repr(data), _json_hint(data)),
                         path=name if not where else "%s %s" % (name, where))
    kind = text(data.get("kind"), "kind", describe(data, where), expected="a kind such as Pod or PodList, or null")
    if "resources" in data and kind is None:
        _collect(sequence(data["resources"], _join(where, "resources"), name, expected="the list of objects k8s_info found"),
                 None, found, _join(where, "resources"), name, depth=depth + 1)
        return
    if "items" in data and (kind is None or kind == "List" or kind.endswith("List")):
        items = sequence(data["items"], _join(where, "items"), kind or name, expected="a list of objects, or null")
        item_kind = kind[:-len("List")] if kind and kind != "List" else None
        _collect(items, item_kind or None, found, _join(where, "items"), name, depth=depth + 1)
        return
    kind = kind or list_kind or ("Pod" if _looks_like_a_pod(data) else None)
    if kind == "Pod" or kind in POD_TEMPLATES:
        obj = data if data.get("kind") == kind else dict(data, kind=kind)
        check_object(obj, where)
        found.append(obj)
    elif top and kind is None:
        keys = ", ".join(sorted(str(key) for key in data)[:10]) or "none"
        raise ShapeError("expected %s, got a mapping without kind, items, resources, spec or metadata (its keys: %s)"
                         % (COLLECTIONS_TAKEN, short_repr(keys)), path=name)
    elif top:
        check_object(data, where)  # raises with the kinds that would do


def _looks_like_a_pod(data):
    """An object without a kind is taken for a Pod when it has what a Pod has; a mapping of something else (a failed
    task's result, an empty dict) is refused instead of read as a Pod without containers."""
    return "spec" in data or "metadata" in data


def _json_hint(value):
    """Output of ``kubectl get -o json`` read as text by command or slurp is a string until it is parsed."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        return " (JSON text: parse it first with from_json)"
    return ""


def check_object(obj, where=None):
    """Check one Pod or workload object (``where``: its place in a collection); returns it."""
    if not isinstance(obj, dict):
        raise ShapeError("expected a Pod or a workload object, got %s %s%s" % (type_name(obj), short_repr(obj), _json_hint(obj)),
                         path="input" if not where else "input " + where)
    label = describe(obj, where)
    if obj.get("kind") is None and not _looks_like_a_pod(obj):
        keys = ", ".join(sorted(str(key) for key in obj)[:10]) or "none"
        raise ShapeError("expected a Pod or a workload object, got a mapping without kind, spec or metadata (its keys: "
                         "%s)" % short_repr(keys), path="input" if not where else "input " + where)
    kind = text(obj.get("kind"), "kind", label, expected="a kind such as Pod or Deployment, or null") or "Pod"
    text(obj.get("apiVersion"), "apiVersion", label)
    _metadata(obj.get("metadata"), "metadata", label)
    if kind == "Pod":
        _pod(obj, "", label)
        status = mapping(obj.get("status"), "status", label)
        text(status.get("phase"), "status.phase", label)
        return obj
    if kind not in POD_TEMPLATES:
        name = (obj.get("metadata") or {}).get("name") or ""
        raise ShapeError("%s %s has no pod template" % (kind, name), path=where, field="kind", value=kind,
                         expected="a Pod or one of %s" % ", ".join(sorted(POD_TEMPLATES)))
    template, field = obj, ""
    for key in POD_TEMPLATES[kind]:
        field = _join(field, key)
        template = mapping(template.get(key), field, label, expected="a mapping (the %s's %s) or null" % (kind, key))
    _metadata(template.get("metadata"), field + ".metadata", label)
    _pod(template, field + ".", label)
    return obj


def _metadata(value, field, label):
    meta = mapping(value, field, label, expected="the object's metadata (a mapping with name and namespace) or null")
    for key in ("name", "namespace", "uid"):
        text(meta.get(key), "%s.%s" % (field, key), label)
    annotations = mapping(meta.get("annotations"), field + ".annotations", label,
                          expected="a mapping of strings to strings, or null")
    for key, value in annotations.items():
        text(key, "%s.annotations" % field, label, expected="annotation names that are strings", required=True)
        text(value, "%s.annotations[%s]" % (field, short_repr(key)), label,
             expected="a string (annotation values are strings: quote numbers and booleans)", required=False)
    for index, owner in enumerate(sequence(meta.get("ownerReferences"), field + ".ownerReferences", label,
                                           expected="a list of owner references, or null")):
        where = "%s.ownerReferences[%d]" % (field, index)
        owner = mapping(owner, where, label, expected="an owner reference (a mapping with kind and name)", required=True)
        text(owner.get("kind"), where + ".kind", label)
        text(owner.get("name"), where + ".name", label)
        flag(owner.get("controller"), where + ".controller", label)


def _pod(pod, prefix, label):
    """The pod spec the seccomp rules read, at ``prefix`` (``spec.template.`` in a Deployment)."""
    field = prefix + "spec"
    spec = mapping(pod.get("spec"), field, label, expected="a pod spec (a mapping with containers) or null")
    for key in ("nodeName", "runtimeClassName"):
        text(spec.get(key), "%s.%s" % (field, key), label)
    os_spec = mapping(spec.get("os"), field + ".os", label, expected="a mapping such as {name: linux}, or null")
    text(os_spec.get("name"), field + ".os.name", label, expected="linux, windows or null")
    context = mapping(spec.get("securityContext"), field + ".securityContext", label,
                      expected="a pod securityContext (a mapping such as {seccompProfile: {type: RuntimeDefault}}) or null")
    _seccomp_profile(context.get("seccompProfile"), field + ".securityContext.seccompProfile", label)
    for _kind, key in CONTAINER_LISTS:
        where = "%s.%s" % (field, key)
        for index, container in enumerate(sequence(spec.get(key), where, label, expected="a list of containers, or null")):
            _container(container, "%s[%d]" % (where, index), label)


def _container(container, field, label):
    container = mapping(container, field, label, expected="a container (a mapping with a name)", required=True)
    text(container.get("name"), field + ".name", label, expected="the container's name (a non-empty string)", required=True)
    context = mapping(container.get("securityContext"), field + ".securityContext", label,
                      expected="a container securityContext (a mapping such as {privileged: false}) or null")
    flag(context.get("privileged"), field + ".securityContext.privileged", label)
    _seccomp_profile(context.get("seccompProfile"), field + ".securityContext.seccompProfile", label)


def _seccomp_profile(value, field, label):
    profile = mapping(value, field, label, expected="a mapping such as {type: RuntimeDefault} or "
                                                    "{type: Localhost, localhostProfile: my.json}, or null")
    text(profile.get("type"), field + ".type", label, expected="RuntimeDefault, Localhost or Unconfined")
    text(profile.get("localhostProfile"), field + ".localhostProfile", label,
         expected="a profile path relative to the kubelet's seccomp directory, or null")
