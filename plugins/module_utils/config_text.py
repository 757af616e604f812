# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Edit a kubelet configuration file's text the way a careful person would. Standard library only.

The collection changes at most two things in a KubeletConfiguration: the top-level ``seccompDefault`` and one
entry of the ``featureGates`` map. Everything else - other keys, their order, comments, blank lines, quoting,
indentation - stays byte for byte:

- JSON stays JSON (EKS's ``kubelet-config.json`` is edited with jq by its bootstrap): same key order, the same
  indentation, a new key last, as ``jq '.seccompDefault = true'`` would put it.
- YAML is edited line by line. A full-line comment belongs to the key right below it, so a new key goes above
  the comments of the key it is placed before, and a removed line takes no one else's comment with it. A new
  top-level key goes where it sorts when the file's keys are sorted (kubeadm writes them sorted), else last.

Callers check the result by parsing it again (``kubelet_config.ConfigFile``), so an edit this code gets wrong
is refused rather than written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

TOP_KEY = re.compile(r"""^(?P<key>[A-Za-z_][A-Za-z0-9_.-]*|"[^"]*"|'[^']*')\s*:(?=\s|$)""")
SCALAR_LINE = re.compile(r"""^(?P<head>\s*(?P<key>[A-Za-z_][A-Za-z0-9_.-]*|"[^"]*"|'[^']*')\s*:[ \t]*)"""
                         r"""(?P<value>[^\s#][^#]*?)?(?P<tail>[ \t]+#.*|[ \t]*)$""")


class EditError(ValueError):
    """The file is written in a shape this editor does not change safely; says which and why."""


def render(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    raise EditError("only true and false are written, not %r" % (value,))


# --- JSON ---

def json_style(text):
    """(indent, trailing newline) of a JSON text: the indentation of its first indented line."""
    match = re.search(r"\n([ \t]+)\S", text)
    return (match.group(1) if match else None), text.endswith("\n")


def json_dump(document, style):
    indent, newline = style
    if indent is None:
        text = json.dumps(document, ensure_ascii=False)
    else:
        text = json.dumps(document, ensure_ascii=False, indent=indent, separators=(",", ": "))
    return text + ("\n" if newline else "")


def json_edit(text, change):
    """``text`` with ``change(document)`` applied, written back in the same style."""
    document = json.loads(text)
    change(document)
    return json_dump(document, json_style(text))


# --- YAML, line by line ---

class YamlLines:
    """A block-style YAML mapping as lines; edits touch only the lines they are about."""

    def __init__(self, text):
        self.lines = text.splitlines(True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
            self.no_final_newline = True
        else:
            self.no_final_newline = False

    def text(self):
        text = "".join(self.lines)
        return text[:-1] if self.no_final_newline and text.endswith("\n") else text

    # reading the shape

    @staticmethod
    def _content(line):
        stripped = line.strip()
        return bool(stripped) and not stripped.startswith("#") and stripped not in ("---", "...")

    def top_keys(self):
        """[(key, line index)] of the mapping's top-level keys."""
        keys = []
        for index, line in enumerate(self.lines):
            match = TOP_KEY.match(line)
            if match:
                keys.append((match.group("key").strip("\"'"), index))
        return keys

    def find_top(self, key):
        for name, index in self.top_keys():
            if name == key:
                return index
        return None

    def block_end(self, index):
        """The index after the last content line of the block that starts at ``index``."""
        last = index
        for position in range(index + 1, len(self.lines)):
            line = self.lines[position]
            if not self._content(line):
                continue
            if line[:1] in " \t":
                last = position
                continue
            break
        return last + 1

    def comments_above(self, index):
        """The first line of the full-line comments directly above ``index`` (they belong to that line)."""
        start = index
        while start > 0 and self.lines[start - 1].strip().startswith("#"):
            start -= 1
        return start

    def value_of(self, index):
        match = SCALAR_LINE.match(self.lines[index].rstrip("\n"))
        return match.group("value") if match else None

    # edits

    def set_top(self, key, value):
        index = self.find_top(key)
        if index is not None:
            self._replace_value(index, key, value)
            return
        self._insert_top(key, ["%s: %s\n" % (key, render(value))])

    def remove_top(self, key):
        index = self.find_top(key)
        if index is None:
            return
        if self.block_end(index) != index + 1:
            raise EditError("%s is not a single-line value" % key)
        del self.lines[index]

    def set_child(self, parent, key, value):
        index = self.find_top(parent)
        if index is None:
            self._insert_top(parent, ["%s:\n" % parent, "  %s: %s\n" % (key, render(value))])
            return
        inline = self.value_of(index)
        if inline is not None:
            self.lines[index] = self._flow_edit(index, parent, inline, key, value)
            return
        children = self.children(index)
        for name, position in children:
            if name == key:
                self._replace_value(position, key, value)
                return
        indent = re.match(r"[ \t]*", self.lines[children[0][1]]).group(0) if children else "  "
        self.lines.insert(self.block_end(index), "%s%s: %s\n" % (indent, key, render(value)))

    def remove_child(self, parent, key):
        index = self.find_top(parent)
        if index is None:
            return
        inline = self.value_of(index)
        if inline is not None:
            edited = self._flow_edit(index, parent, inline, key, None)
            if "{}" in edited and "{}" not in self.lines[index]:
                del self.lines[index]  # emptied, as a block map would be
            else:
                self.lines[index] = edited
            return
        for name, position in self.children(index):
            if name == key:
                if self.value_of(position) is None:
                    raise EditError("%s.%s on line %d is not a single-line value" % (parent, key, position + 1))
                del self.lines[position]
                break
        if not self.children(index):
            # The map is empty now: its key goes; comment lines it held stay where they are.
            del self.lines[index]

    def children(self, index):
        """[(key, line index)] of the block map under the top-level key at ``index``."""
        found = []
        indent = None
        for position in range(index + 1, self.block_end(index)):
            line = self.lines[position]
            if not self._content(line):
                continue
            width = len(line) - len(line.lstrip())
            if indent is None:
                indent = width
            if width != indent:
                continue
            match = SCALAR_LINE.match(line.rstrip("\n")) or re.match(r"^\s*(?P<key>[^\s:#][^:#]*?)\s*:(\s|$)", line)
            if not match or line.lstrip().startswith("- "):
                raise EditError("line %d is not a key of a block map: %r" % (position + 1, line.strip()))
            found.append((match.group("key").strip("\"'"), position))
        return found

    def _replace_value(self, index, key, value):
        line = self.lines[index]
        match = SCALAR_LINE.match(line.rstrip("\n"))
        if not match or match.group("value") is None or match.group("value").strip().startswith(("{", "[", "|", ">")):
            raise EditError("%s on line %d is not a single-line value: %r" % (key, index + 1, line.strip()))
        self.lines[index] = match.group("head") + render(value) + match.group("tail") + "\n"

    def _flow_edit(self, index, parent, inline, key, value):
        """A one-line flow map such as ``featureGates: {A: true}``, edited in the same style."""
        text = inline.strip()
        if not (text.startswith("{") and text.endswith("}")):
            raise EditError("%s on line %d is neither a block map nor a one-line {...} map: %r"
                            % (parent, index + 1, self.lines[index].strip()))
        items = [item.strip() for item in text[1:-1].split(",") if item.strip()]
        kept = []
        replaced = False
        for item in items:
            name = item.split(":", 1)[0].strip().strip("\"'")
            if name == key:
                replaced = True
                if value is not None:
                    kept.append("%s: %s" % (key, render(value)))
            else:
                kept.append(item)
        if not replaced and value is not None:
            kept.append("%s: %s" % (key, render(value)))
        match = SCALAR_LINE.match(self.lines[index].rstrip("\n"))
        return match.group("head") + "{" + ", ".join(kept) + "}" + match.group("tail") + "\n"

    def _insert_top(self, key, new_lines):
        keys = [(name, index) for name, index in self.top_keys() if name not in ("apiVersion", "kind")]
        names = [name for name, _index in keys]
        position = None
        if names and names == sorted(names):
            for name, index in keys:
                if name > key:
                    position = self.comments_above(index)
                    break
        if position is None:
            position = self.block_end(self.top_keys()[-1][1]) if self.top_keys() else len(self.lines)
        self.lines[position:position] = new_lines
