# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""systemd units and environment files, read the way systemd reads them. Standard library only.

The rules, from systemd.syntax(7), systemd.unit(5), systemd.service(5) and systemd.exec(5) (and, where the
pages are terse, systemd's own parsers: src/shared/conf-parser.c, src/basic/extract-word.c,
src/basic/env-file.c, src/basic/env-util.c):

- A unit line that ends in a backslash goes on with the next line, the backslash read as a space; comment
  lines (``#``, ``;``) inside such a continuation are skipped.
- The unit file is the first one found along the search path; drop-ins ``<unit>.d/*.conf`` (and the
  type-wide ``service.d/``) come from every directory of the path, a name in an earlier directory hiding the
  same name in a later one, and are applied sorted by file name whatever their directory. A file that is a
  link to /dev/null, or empty, masks.
- ``ExecStart=`` may be given several times; an empty value empties the list. Its command may start with the
  prefixes ``-@:+!``. Words are split with quotes and C escapes; at start, a word that is exactly ``$NAME``
  becomes that variable's words, ``${NAME}`` is replaced inside a word, and ``$$`` is a dollar.
- ``Environment=`` holds assignments split the same way; ``EnvironmentFile=`` (``-``: a missing file is
  fine) is read after them and wins over them, later files winning over earlier ones.
- Environment files: ``KEY=VALUE`` lines; single quotes, double quotes (in which a backslash escapes only
  ``"\\`$``), a backslash before a newline continues the value, comments start a line with ``#`` or ``;``,
  and a later assignment replaces an earlier one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import files

# systemd's unit search path for the system manager (systemd.unit(5), "Unit File Load Path"), without the
# transient and generator directories nothing installs a kubelet into.
UNIT_PATH = ("/etc/systemd/system.control", "/run/systemd/system.control", "/etc/systemd/system",
             "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
COMMENTS = "#;"
WHITESPACE = " \t\n\r"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EXEC_PREFIXES = "-@:+!"
SHELL_NEED_ESCAPE = "\"\\`$"
C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"',
             "'": "'", "s": " "}


class UnitError(ValueError):
    """A unit or environment file that cannot be read as systemd would; names the file and what is wrong."""


# --- words: extract_first_word(EXTRACT_UNQUOTE | EXTRACT_CUNESCAPE | EXTRACT_RELAX) ---

def split_words(text):
    """The words of ``text``: quotes removed, C escapes resolved; an unterminated quote ends at the end."""
    return [word for word, _start, _end in word_spans(text)]


def word_spans(text):
    """(word, start, end) for each word of ``text``: where in ``text`` each one was written."""
    spans = []
    index, size = 0, len(text)
    while index < size:
        while index < size and text[index] in WHITESPACE:
            index += 1
        if index >= size:
            break
        start = index
        word = []
        quote = None
        while index < size:
            char = text[index]
            if quote is None and char in WHITESPACE:
                break
            if char == "\\" and index + 1 < size:
                resolved, index = _unescape(text, index + 1)
                word.append(resolved)
                continue
            if quote is not None and char == quote:
                quote = None
            elif quote is None and char in "\"'":
                quote = char
            else:
                word.append(char)
            index += 1
        spans.append(("".join(word), start, index))
    return spans


def _unescape(text, index):
    """The character(s) a C escape at ``text[index:]`` (just after the backslash) stands for, and where it ends."""
    char = text[index]
    if char in C_ESCAPES:
        return C_ESCAPES[char], index + 1
    if char == "x" and re.match(r"[0-9a-fA-F]{2}", text[index + 1:index + 3]):
        return chr(int(text[index + 1:index + 3], 16)), index + 3
    if char == "u" and re.match(r"[0-9a-fA-F]{4}", text[index + 1:index + 5]):
        return chr(int(text[index + 1:index + 5], 16)), index + 5
    if char == "U" and re.match(r"[0-9a-fA-F]{8}", text[index + 1:index + 9]):
        return chr(int(text[index + 1:index + 9], 16)), index + 9
    if re.match(r"[0-7]{3}", text[index:index + 3]):
        return chr(int(text[index:index + 3], 8)), index + 3
    return char, index + 1  # systemd (relaxed) keeps an unknown escape's character


# --- unit files ---

def unit_lines(text):
    """(section, key, value) for each assignment of a unit file, continuations joined."""
    entries = []
    section = None
    pending = None
    for raw in text.splitlines():
        line = raw.strip()
        if pending is not None:
            if line[:1] in COMMENTS and line:
                continue  # comment lines inside a continuation are skipped
            line = pending + line
            pending = None
        if not line or (line[0] in COMMENTS):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1] + " "
            continue
        section, entry = _unit_line(line, section)
        if entry:
            entries.append(entry)
    if pending is not None:
        section, entry = _unit_line(pending.rstrip(), section)
        if entry:
            entries.append(entry)
    return entries


def _unit_line(line, section):
    if line.startswith("[") and line.endswith("]"):
        return line[1:-1], None
    if "=" not in line:
        return section, None
    key, value = line.split("=", 1)
    return section, (section, key.strip(), value.strip())


def find_unit(name, unit_path=UNIT_PATH, root="/"):
    """(fragment path or None, [drop-in paths in the order systemd applies them], masked)."""
    fragment = None
    masked = False
    for directory in unit_path:
        path = files.rooted(root, os.path.join(directory, name))
        if os.path.lexists(path):
            fragment = path
            masked = _masks(path)
            break
    chosen = {}
    suffix = name.rsplit(".", 1)[-1]
    for directory in reversed(unit_path):  # an earlier directory's file of the same name wins
        for drop_dir in (suffix + ".d", name + ".d"):
            full = files.rooted(root, os.path.join(directory, drop_dir))
            try:
                names = os.listdir(full)
            except OSError:
                continue
            for entry in names:
                if entry.endswith(".conf"):
                    chosen[entry] = os.path.join(full, entry)
    drop_ins = [chosen[key] for key in sorted(chosen) if not _masks(chosen[key])]
    return fragment, drop_ins, masked


def _masks(path):
    try:
        return os.path.realpath(path) == "/dev/null" or os.path.getsize(path) == 0
    except OSError:
        return False


def read_unit(name, unit_path=UNIT_PATH, root="/", reader=None):
    """The unit's [Service] settings as systemd assembles them from the fragment and its drop-ins.

    Returns dict(name, fragment, drop_ins, masked, exec_start (the last command, or None), exec_prefix,
    environment (Environment= only), environment_files [(path, optional)], sources {setting: file}).
    """
    reader = reader or files.read_text
    fragment, drop_ins, masked = find_unit(name, unit_path, root)
    unit = dict(name=name, fragment=fragment, drop_ins=drop_ins, masked=masked, exec_start=None, exec_prefix="",
                environment={}, environment_files=[], sources={})
    if fragment is None or masked:
        return unit
    commands = []
    for path in [fragment] + drop_ins:
        text = reader(path)
        if text is None:
            continue
        for section, key, value in unit_lines(text):
            if section != "Service":
                continue
            if key == "ExecStart":
                if not value:
                    commands = []
                else:
                    commands.append(value)
                unit["sources"]["ExecStart"] = path
            elif key == "Environment":
                if not value:
                    unit["environment"] = {}
                for item in split_words(value):
                    variable, sep, setting = item.partition("=")
                    if sep and NAME.match(variable):
                        unit["environment"][variable] = setting
            elif key == "EnvironmentFile":
                if not value:
                    unit["environment_files"] = []
                    continue
                optional = value.startswith("-")
                unit["environment_files"].append((value[1:] if optional else value, optional))
    if commands:
        command = commands[-1]
        prefix = ""
        while command[:1] in EXEC_PREFIXES and command:
            prefix += command[0]
            command = command[1:]
        unit["exec_start"], unit["exec_prefix"] = command, prefix
    return unit


def unit_environment(unit, root="/", reader=None):
    """(environment, problems): Environment= then every EnvironmentFile= in order, as the service would get it."""
    reader = reader or files.read_text
    environment = dict(unit.get("environment") or {})
    problems = []
    for path, optional in unit.get("environment_files") or []:
        text = reader(files.rooted(root, path))
        if text is None:
            if not optional:
                problems.append("%s: EnvironmentFile=%s does not exist; systemd will not start the unit"
                                % (unit.get("fragment"), path))
            continue
        environment.update(dict((key, value) for key, value, _start, _end in env_assignments(text)))
    return environment, problems


def expand_command(command, environment):
    """The argv systemd runs for ``command`` (an ExecStart= value without prefixes) with ``environment``."""
    argv = []
    for word in split_words(command):
        # Decided on the word as parsed, quotes gone: kops's ExecStart=/usr/local/bin/kubelet "$DAEMON_ARGS" splits.
        if re.match(r"^\$[A-Za-z_][A-Za-z0-9_]*$", word):
            argv.extend(split_words(environment.get(word[1:], "")))
            continue
        argv.append(_replace_braced(word, environment))
    return argv


def _replace_braced(word, environment):
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                  lambda match: "$" if match.group(0) == "$$" else environment.get(match.group(1), ""), word)


# --- environment files (systemd's parse_env_file_internal) ---

def parse_env_file(text):
    """{name: value} as systemd reads an EnvironmentFile=; the last assignment of a name wins."""
    return dict((key, value) for key, value, _start, _end in env_assignments(text))


def env_assignments(text):
    """(key, value, start, end) of each valid assignment, in order; ``text[start:end]`` is what was written for it."""
    found = []
    state = "pre_key"
    key, value = [], []
    key_trail = value_trail = None
    start = 0
    index = 0

    def push(end, chomp):
        name = "".join(key[:key_trail] if key_trail is not None else key)
        if NAME.match(name):
            kept = value[:value_trail] if chomp and value_trail is not None else value
            found.append((name, "".join(kept), start, end))

    size = len(text)
    while index < size:
        char = text[index]
        if state == "pre_key":
            if char in COMMENTS:
                state = "comment"
            elif char not in WHITESPACE:
                state, key, value, key_trail, start = "key", [char], [], None, index
        elif state == "key":
            if char == "\n":
                state = "pre_key"
            elif char == "=":
                state, value_trail = "pre_value", None
            else:
                if char not in WHITESPACE:
                    key_trail = None
                elif key_trail is None:
                    key_trail = len(key)
                key.append(char)
        elif state == "pre_value":
            if char == "\n":
                push(index, False)
                state = "pre_key"
            elif char == "'":
                state = "single"
            elif char == '"':
                state = "double"
            elif char == "\\":
                state = "value_escape"
            elif char not in WHITESPACE:
                state = "value"
                value.append(char)
        elif state == "value":
            if char == "\n":
                push(index, True)
                state = "pre_key"
            elif char == "\\":
                state, value_trail = "value_escape", None
            else:
                if char not in WHITESPACE:
                    value_trail = None
                elif value_trail is None:
                    value_trail = len(value)
                value.append(char)
        elif state == "value_escape":
            state = "value"
            if char != "\n":
                value.append(char)
        elif state == "single":
            if char == "'":
                state = "pre_value"
            else:
                value.append(char)
        elif state == "double":
            if char == '"':
                state = "pre_value"
            elif char == "\\":
                state = "double_escape"
            else:
                value.append(char)
        elif state == "double_escape":
            state = "double"
            if char in SHELL_NEED_ESCAPE:
                value.append(char)
            elif char != "\n":
                value.extend(["\\", char])
        elif state == "comment":
            if char == "\\":
                state = "comment_escape"
            elif char == "\n":
                state = "pre_key"
        elif state == "comment_escape":
            state = "pre_key" if char == "\n" else "comment"
        index += 1
    if state in ("pre_value", "value", "value_escape", "single", "double", "double_escape"):
        push(size, state == "value")
    return found
