"""The Security Profiles Operator's published SeccompProfile CRD (vendored in tests/data/spo, with its source), to
validate the objects the report writes as the API server would take them."""

import json
import os
import re

import jsonschema
import yaml

from lib.ansible_run import ROOT

CRD = os.path.join(ROOT, "tests", "data", "spo", "seccompprofile-crd.yaml")
ARCHES = ("x86_64", "aarch64")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def crd_schema(version):
    with open(CRD) as handle:
        crd = yaml.safe_load(handle)
    (served,) = [item for item in crd["spec"]["versions"] if item["name"] == version]
    assert served["served"] is True
    return crd["spec"]["names"]["kind"], crd["spec"]["group"], served["schema"]["openAPIV3Schema"]


def default_profile(arch):
    with open(os.path.join(ROOT, "profiles", arch, "kubernetes", "default.json")) as handle:
        return json.load(handle)


def valid_for_spo(obj):
    """``obj`` as the API server would take it: the CRD's kind and group, its v1beta1 schema, and a name that is a
    DNS subdomain; the API server prunes fields the schema lacks, so none may be there."""
    kind, group, schema = crd_schema(obj["apiVersion"].split("/")[1])
    assert obj["kind"] == kind and obj["apiVersion"].split("/")[0] == group
    jsonschema.validate(obj, schema)
    assert DNS_SUBDOMAIN.match(obj["metadata"]["name"]) and len(obj["metadata"]["name"]) <= 253
    properties = schema["properties"]["spec"]["properties"]
    assert set(obj["spec"]) <= set(properties)
    rule_fields = set(properties["syscalls"]["items"]["properties"])
    for rule in obj["spec"].get("syscalls") or []:
        assert set(rule) <= rule_fields, rule
