# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""systemd units and environment files, read the way systemd reads them. Standard library only.

The rules, from systemd.syntax(7), systemd.unit(5), systemd.service(5) and systemd.exec(5) (and, where the
pages are terse, systemd's own parsers: src/shared/conf-parser.c, src/basic/extract-word.c,
src/basic/escape.c, src/basic/env-file.c, src/basic/env-util.c, src/core/load-fragment.c), checked against
``systemd-analyze verify`` (systemd 252):

- A unit's lines end at a newline, a carriage return or a NUL (or a run of distinct ones: ``\\r\\n`` is one
  line end). A line that ends in an odd number of backslashes goes on with the next line, the last backslash
  read as a space; comment lines (``#``, ``;``) are skipped, also inside such a continuation. A line, or a
  continued one, longer than 1 MiB makes systemd refuse the file, as does a section header that is not
  ``[Name]`` alone on its line or holds quotes, backslashes or control characters. Assignments outside a
  section and lines without ``=`` are ignored.
- The unit file is the first one found along the search path; drop-ins ``<unit>.d/*.conf`` (and the
  type-wide ``service.d/``) come from every directory of the path, a name in an earlier directory hiding the
  same name in a later one, and are applied sorted by file name whatever their directory. A file that is a
  link to /dev/null, or empty, masks.
- ``ExecStart=`` may be given several times (for Type=oneshot only); an empty value empties the list. Its
  command may start with the prefixes ``-@:+!``. Words are split with quotes and C escapes (an escape systemd
  does not know stays as written, backslash included); an unbalanced quote makes systemd refuse the unit,
  unless the command has the ``-`` prefix, which makes it skip the line. At start, a word that is exactly
  ``$NAME`` becomes that variable's words (split with quotes, without C escapes), ``${NAME}`` is replaced
  inside a word, and ``$$`` is a dollar.
- ``Environment=`` holds assignments split the same way, C escapes strict: at the first word systemd cannot
  split, it skips the rest of the line; a word that is not ``NAME=value`` is skipped. ``EnvironmentFile=``
  (``-``: a missing file is fine; the path must be absolute) is read after them and wins over them, later
  files winning over earlier ones.
- Environment files: ``KEY=VALUE`` lines; single quotes, double quotes (in which a backslash escapes only
  ``"\\`$``), a backslash before a newline continues the value, comments start a line with ``#`` or ``;``,
  and a later assignment replaces an earlier one. A line whose name is not a variable name (``export X=1``)
  is skipped; the file ends at its first NUL.

Nothing but ``UnitError`` (an ``errors.InputError``) comes out of these functions for any text: what systemd
refuses raises it with the file and line; what systemd only skips, with a warning in its log, is listed under
the unit's ``problems`` in the same words.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files

# systemd's unit search path for the system manager (systemd.unit(5), "Unit File Load Path"), without the
# transient and generator directories nothing installs a kubelet into.
UNIT_PATH = ("/etc/systemd/system.control", "/run/systemd/system.control", "/etc/systemd/system",
             "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
COMMENTS = "#;"
WHITESPACE = " \t\n\r"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
EXEC_PREFIXES = "-@:+!"
SHELL_NEED_ESCAPE = "\"\\`$"
C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"',
             "'": "'", "s": " "}
VALID_ESCAPES = "\\a \\b \\f \\n \\r \\t \\v \\\\ \\\" \\' \\s \\xHH \\OOO (octal) \\uHHHH \\UHHHHHHHH"
# conf-parser.c's LONG_LINE_MAX: a longer line, or continued line, makes systemd refuse the whole file.
LONG_LINE_MAX = 1024 * 1024

_LINE_END = re.compile(r"\n(?:\r\0?|\0)?|\r(?:\n\0?|\0)?|\0")  # read_line(): a run of distinct line-end characters
_UNSAFE_SECTION = re.compile(r"[\x00-\x1f\x7f\\\"']")
_BLANKS = re.compile(r"[ \t\n\r]*")
_HEX = {2: re.compile(r"[0-9a-fA-F]{2}\Z"), 4: re.compile(r"[0-9a-fA-F]{4}\Z"), 8: re.compile(r"[0-9a-fA-F]{8}\Z")}
_OCTAL = re.compile(r"[0-3][0-7][0-7]\Z")
_RUNS = {None: re.compile(r"[^ \t\n\r\\'\"]+"), '"': re.compile(r'[^\\"]+'), "'": re.compile(r"[^\\']+")}


class UnitError(errors.InputError):
    """A unit or environment file systemd would refuse, or one that cannot be read: the file, the line, what is
    wrong and what would be valid."""

    def __init__(self, problem, path=None, line=None, value=errors.UNSET, expected=None):
        super(UnitError, self).__init__(problem, path=path, field="line %d" % line if line else None, value=value,
                                        expected=expected)
        self.line = line


# --- words: extract_first_word() ---

# How a value is split, as (C escapes resolved, what an unknown escape gives, quotes may stay open):
# - "char": the escaped character alone; "keep": the backslash and the character, as written (systemd's
#   EXTRACT_UNESCAPE_RELAX, its second try after a warning); "error": the word cannot be split.
WORDS = (True, "char", True)         # split_words(): the kindest reading, never an error
EXEC = (True, "keep", False)         # ExecStart=
ENVIRONMENT = (True, "error", False)  # Environment=
VARIABLE = (False, "char", True)     # a $NAME's value expanded in a command (EXTRACT_RELAX|EXTRACT_UNQUOTE)


def split_words(text, mode=WORDS):
    """The words of ``text`` as ``mode`` splits them; by default quotes removed, C escapes resolved (an unknown
    one gives its character), an unterminated quote ending at the end: never an error."""
    return [word for word, _start, _end in word_spans(text, mode)]


def word_spans(text, mode=WORDS):
    """(word, start, end) for each word of ``text``: where in ``text`` each one was written. With a strict
    ``mode`` the words stop where systemd stops (see ``extract_words``)."""
    return extract_words(text, mode)[0]


def extract_words(text, mode=WORDS):
    """([(word, start, end)], problem): the words of ``text`` split as ``mode`` says, and None, or the words
    before the first that cannot be split and why (where, counted in characters of ``text`` from 1)."""
    cunescape, unknown, relax = mode
    spans = []
    size = len(text)
    index = _BLANKS.match(text).end()
    while index < size:
        start = index
        parts = []
        raw = False  # whether an escape gave a byte (\xHH, \OOO): the word is then bytes until it ends
        quote = None
        opened = 0
        while index < size:
            char = text[index]
            if char == "\\":
                if index + 1 == size:
                    if quote is not None and not relax:
                        return spans, _unbalanced(quote, opened)
                    if cunescape and unknown != "error":
                        parts.append("\\")
                    elif not relax:
                        return spans, "the backslash that ends the value escapes nothing"
                    index = size
                    break
                if not cunescape:
                    parts.append(text[index + 1])
                    index += 2
                    continue
                resolved, after = _unescape(text, index + 1)
                if resolved is None:
                    if unknown == "error":
                        return spans, ("'%s' (character %d of the value) is not an escape systemd knows (%s; write \\\\ "
                                       "for a backslash)" % (text[index:index + 2], index + 1, VALID_ESCAPES))
                    resolved = text[index:after] if unknown == "keep" else text[index + 1:after]
                raw = raw or isinstance(resolved, bytes)
                parts.append(resolved)
                index = after
            elif quote is not None:
                if char == quote:
                    quote = None
                    index += 1
                else:
                    run = _RUNS[quote].match(text, index)
                    parts.append(run.group())
                    index = run.end()
            elif char in "\"'":
                quote, opened = char, index
                index += 1
            elif char in WHITESPACE:
                break
            else:
                run = _RUNS[None].match(text, index)
                parts.append(run.group())
                index = run.end()
        if quote is not None and not relax:
            return spans, _unbalanced(quote, opened)
        spans.append((_join(parts, raw), start, index))
        index = _BLANKS.match(text, index).end()
    return spans, None


def _unbalanced(quote, opened):
    return "the quote %s at character %d of the value is not closed (quotes come in pairs; write \\%s for a quote " \
           "character)" % (quote, opened + 1, quote)


def _join(parts, raw):
    if not raw:
        return "".join(parts)
    # Bytes from \xHH and \OOO are joined with the UTF-8 of the text around them, as systemd does; what is then
    # not UTF-8 becomes U+FFFD (systemd would pass the raw bytes on).
    data = b"".join(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass") for part in parts)
    return data.decode("utf-8", "replace")


def _unescape(text, index):
    """(what the C escape at ``text[index:]`` (just after the backslash) stands for, where it ends): str, or
    bytes for \\xHH and \\OOO; (None, end of the character after the backslash) for an escape systemd refuses
    (unknown, NUL, or beyond Unicode), as cunescape_one() does."""
    char = text[index]
    if char in C_ESCAPES:
        return C_ESCAPES[char], index + 1
    if char == "x":
        digits = text[index + 1:index + 3]
        if _HEX[2].match(digits) and digits != "00":
            return bytes(bytearray([int(digits, 16)])), index + 3
    elif char in "uU":
        size = 4 if char == "u" else 8
        digits = text[index + 1:index + 1 + size]
        if _HEX[size].match(digits):
            code = int(digits, 16)
            if char == "u" and 0xD800 <= code <= 0xDFFF:
                return u"\ufffd", index + 1 + size  # systemd writes a surrogate's bytes, which are not UTF-8
            if code and (char == "u" or _unichar_is_valid(code)):  # only \U is checked, in cunescape_one()
                return chr(code), index + 1 + size
    elif char in "0123":
        digits = text[index:index + 3]
        if _OCTAL.match(digits) and digits != "000":
            return bytes(bytearray([int(digits, 8)])), index + 3
    return None, index + 1


def _unichar_is_valid(code):
    return code < 0x110000 and not 0xD800 <= code <= 0xDFFF and not 0xFDD0 <= code <= 0xFDEF and code & 0xFFFE != 0xFFFE


# --- unit files ---

def unit_lines(text):
    """(section, key, value) for each assignment of a unit file, continuations joined; ``UnitError`` (with the
    line) for what makes systemd refuse the whole file."""
    return [entry[:3] for entry in unit_entries(text)]


def unit_entries(text):
    """(section, key, value, line) for each assignment of a unit file; ``line`` is where it starts."""
    entries = []
    section = None
    continued = None
    length = first = 0
    if text.startswith(u"\ufeff"):
        text = text[1:]
    lines = _LINE_END.split(text)
    if lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if len(line) > LONG_LINE_MAX // 4 and len(line.encode("utf-8", "surrogatepass")) > LONG_LINE_MAX:
            raise UnitError("the line is longer than 1 MiB; systemd refuses the whole file", line=number,
                            expected="lines of at most 1 MiB")
        stripped = line.lstrip(WHITESPACE)
        if stripped and stripped[0] in COMMENTS:
            continue
        if continued is not None:
            length += len(line)
            if length > LONG_LINE_MAX:
                raise UnitError("the line continued with '\\' from line %d is longer than 1 MiB; systemd refuses the "
                                "whole file" % first, line=number, expected="a continued line of at most 1 MiB")
        backslashes = len(line) - len(line.rstrip("\\"))
        if continued is not None:
            # systemd joins the lines as written; the blanks that indent a continued line are dropped here, which
            # changes nothing but a quoted string spread over several lines.
            line = stripped
        if backslashes % 2:
            piece = line[:-1] + " "
            if continued is None:
                continued, length, first = [piece], len(piece), number
            else:
                continued.append(piece)
            continue
        start = number
        if continued is not None:
            continued.append(line)
            line, start, continued = "".join(continued), first, None
        section = _unit_line(line, section, start, entries)
    if continued is not None:
        _unit_line("".join(continued), section, first, entries)
    return entries


def _unit_line(line, section, number, entries):
    """The section after ``line`` (a header, an assignment added to ``entries``, or something systemd skips)."""
    line = line.strip(WHITESPACE)
    if not line or line[0] in COMMENTS:
        return section
    if line[0] == "[":
        if line[-1] != "]":
            raise UnitError("this section header does not end with ']' (a comment after it is not allowed either); "
                            "systemd refuses the whole file", line=number, value=line, expected="[Section] alone on its line")
        name = line[1:-1]
        bad = _UNSAFE_SECTION.search(name)
        if bad:
            raise UnitError("the section name holds %s; systemd refuses the whole file" % _character(bad.group()),
                            line=number, value=line, expected="a name such as [Service], without quotes, backslashes or "
                            "control characters")
        return name
    key, sep, value = line.partition("=")
    if section is not None and sep and key:
        entries.append((section, key.strip(WHITESPACE), value.strip(WHITESPACE), number))
    return section


def _character(char):
    names = {"\\": "a backslash", '"': "a double quote", "'": "a single quote"}
    return names.get(char) or "the control character U+%04X" % ord(char)


def find_unit(name, unit_path=UNIT_PATH, root="/"):
    """(fragment path or None, [drop-in paths in the order systemd applies them], masked).

    ``UnitError`` when a drop-in directory exists but cannot be listed: a drop-in we cannot see may change
    the command."""
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
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    continue
                problem = errors.os_error(exc, full, "listed")
                raise UnitError(problem.problem, path=full, expected="a directory of drop-ins this user can list")
            for entry in names:
                if entry.endswith(".conf"):
                    chosen[entry] = os.path.join(full, entry)
    drop_ins = [chosen[key] for key in sorted(chosen) if not _masks(chosen[key])]
    return fragment, drop_ins, masked


def _masks(path):
    """systemd's null_or_empty(): an empty regular file or a character device (a link to /dev/null) masks; a FIFO
    of size 0 does not, and is refused when it is read."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_size == 0) or stat.S_ISCHR(info.st_mode)


def read_text(path):
    """A unit's, drop-in's or environment file's text; None when there is none (no such file, or a path through
    something that is not a directory); ``UnitError`` naming the file when it is there but cannot be read: a
    directory, a FIFO or device, unreadable, larger than 4 MiB, not UTF-8."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
    try:
        return errors.read_file(path, missing_ok=True)
    except errors.InputError as exc:
        raise UnitError(exc.problem, path=path, expected="a readable UTF-8 text file")


def read_unit(name, unit_path=UNIT_PATH, root="/", reader=None):
    """The unit's [Service] settings as systemd assembles them from the fragment and its drop-ins.

    Returns dict(name, fragment, drop_ins, masked, exec_start (the last command, or None), exec_prefix,
    environment (Environment= only), environment_files [(path, optional)], sources {setting: file},
    problems [settings systemd skips, each "file: line N: why"]). ``reader(path)`` gives a file's text or None
    (default ``read_text``). ``UnitError`` names the file and line of what makes systemd refuse the unit.
    """
    reader = reader or read_text
    fragment, drop_ins, masked = find_unit(name, unit_path, root)
    unit = dict(name=name, fragment=fragment, drop_ins=drop_ins, masked=masked)
    if fragment is None or masked:
        unit.update(service_settings([]))
        return unit
    texts = []
    for path in [fragment] + drop_ins:
        text = reader(path)
        if text is not None:
            texts.append((path, text))
    unit.update(service_settings(texts))
    return unit


def service_settings(texts):
    """The [Service] settings of a unit whose files are ``texts``, [(path, text)] in the order systemd applies
    them (the unit file, then its drop-ins): the keys of ``read_unit`` from exec_start on."""
    settings = dict(exec_start=None, exec_prefix="", environment={}, environment_files=[], sources={}, problems=[])
    problems = settings["problems"]
    commands = []
    service_type = None
    for path, text in texts:
        try:
            entries = unit_entries(text)
        except UnitError as exc:
            exc.path = path
            raise
        for section, key, value, line in entries:
            if section != "Service":
                continue
            if key == "Type":
                service_type = value or None
            elif key == "ExecStart":
                settings["sources"]["ExecStart"] = path
                if not value:
                    commands = []
                    continue
                command = _exec_command(value, path, line, problems)
                if command is not None:
                    commands.append(command + (path, line))
            elif key == "Environment":
                if not value:
                    settings["environment"] = {}
                    continue
                _environment(value, settings["environment"], "%s: line %d" % (path, line), problems)
            elif key == "EnvironmentFile":
                if not value:
                    settings["environment_files"] = []
                    continue
                optional = value.startswith("-")
                file_path = value[1:] if optional else value
                if not file_path.startswith("/"):
                    problems.append("%s: line %d: EnvironmentFile= %s is not an absolute path; systemd skips it"
                                    % (path, line, errors.short_repr(value)))
                    continue
                settings["environment_files"].append((file_path, optional))
    if len(commands) > 1 and service_type != "oneshot":
        where = ", ".join("%s line %d" % (path, line) for _command, _prefix, path, line in commands)
        raise UnitError("ExecStart= is set %d times (%s) and Type= is %s, not oneshot; systemd refuses to start the unit"
                        % (len(commands), where, service_type or "simple (the default)"), path=commands[-1][2],
                        line=commands[-1][3], expected="one command: in a drop-in, an empty 'ExecStart=' line before the "
                        "new ExecStart= replaces the unit's")
    if commands:
        settings["exec_start"], settings["exec_prefix"] = commands[-1][:2]
    return settings


def _exec_command(value, path, line, problems):
    """(command, prefixes) of an ExecStart= value, or None when systemd skips it; ``UnitError`` when it refuses
    the unit for it."""
    prefix = ""
    while value[len(prefix):len(prefix) + 1] and value[len(prefix)] in EXEC_PREFIXES:
        prefix += value[len(prefix)]
    command = value[len(prefix):]
    words, problem = extract_words(command, EXEC)
    if problem is None and not words:
        problem = "there is no command after the prefixes %s" % prefix
    if problem is None:
        return command, prefix
    if "-" in prefix:
        problems.append("%s: line %d: ExecStart= %s: %s; systemd skips this line (its '-' prefix)"
                        % (path, line, errors.short_repr(value), problem))
        return None
    raise UnitError("ExecStart=: %s; systemd refuses to start the unit" % problem, path=path, line=line, value=value,
                    expected="a command whose quotes come in pairs")


def _environment(value, environment, where, problems):
    """Environment= ``value`` applied to ``environment`` as systemd applies it, what it skips added to ``problems``."""
    words, problem = extract_words(value, ENVIRONMENT)
    for word, _start, _end in words:
        variable, sep, setting = word.partition("=")
        if sep and NAME.match(variable):
            environment[variable] = setting
        else:
            problems.append("%s: Environment= %s is not NAME=value (a name of letters, digits and '_'); systemd skips it"
                            % (where, errors.short_repr(word)))
    if problem is not None:
        problems.append("%s: Environment=: %s; systemd skips the rest of the line" % (where, problem))


def unit_environment(unit, root="/", reader=None):
    """(environment, problems): Environment= then every EnvironmentFile= in order, as the service would get it.

    ``problems`` are the unit's own (see ``read_unit``), then what the environment files hold that systemd skips
    and the files it requires that are missing. A file that is there but cannot be read is a ``UnitError``
    naming it (from the default ``reader``, ``read_text``), optional or not: what it holds is unknown."""
    reader = reader or read_text
    environment = dict(unit.get("environment") or {})
    problems = list(unit.get("problems") or [])
    for path, optional in unit.get("environment_files") or []:
        full = files.rooted(root, path)
        text = reader(full)
        if text is None:
            if not optional:
                problems.append("%s: EnvironmentFile=%s does not exist; systemd will not start the unit"
                                % (unit.get("fragment"), path))
            continue
        skipped = []
        environment.update((key, value) for key, value, _start, _end in env_assignments(text, skipped))
        problems.extend("%s: line %d: %s" % (full, line, why) for line, why in skipped)
    return environment, problems


def expand_command(command, environment):
    """The argv systemd runs for ``command`` (an ExecStart= value without prefixes) with ``environment``."""
    argv = []
    for word in split_words(command, EXEC[:2] + (True,)):
        # Decided on the word as parsed, quotes gone: kops's ExecStart=/usr/local/bin/kubelet "$DAEMON_ARGS" splits.
        if re.match(r"\$[A-Za-z_][A-Za-z0-9_]*\Z", word):
            argv.extend(split_words(environment.get(word[1:], ""), VARIABLE))
            continue
        argv.append(_replace_braced(word, environment))
    return argv


def _replace_braced(word, environment):
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                  lambda match: "$" if match.group(0) == "$$" else environment.get(match.group(1), ""), word)


# --- environment files (systemd's parse_env_file_internal) ---

_ENV_KEY = re.compile(r"[^\n\r=]*")
_ENV_VALUE = re.compile(r"[^\n\r\\]*")
_ENV_SINGLE = re.compile(r"[^']*")
_ENV_DOUBLE = re.compile(r'[^"\\]*')
_ENV_COMMENT = re.compile(r"[^\n\r\\]*")
_HBLANKS = re.compile(r"[ \t]*")


def parse_env_file(text):
    """{name: value} as systemd reads an EnvironmentFile=; the last assignment of a name wins."""
    return dict((key, value) for key, value, _start, _end in env_assignments(text))


def env_assignments(text, skipped=None):
    """(key, value, start, end) of each valid assignment, in order; ``text[start:end]`` is what was written for it.

    ``skipped``, a list, gets (line, why) for each assignment systemd skips because its name is not a variable
    name. Never raises: systemd reads any text as some environment.
    """
    nul = text.find("\0")
    size = nul if nul >= 0 else len(text)
    found = []
    lines = [0, 1]  # (offset, line) counted so far, for the lines of skipped assignments
    index = 0
    while index < size:
        index = _BLANKS.match(text, index, size).end()
        if index >= size:
            break
        if text[index] in COMMENTS:
            index = _skip_comment(text, index + 1, size)
            continue
        start = index
        key_end = _ENV_KEY.match(text, index + 1, size).end()  # the first character is the key's, even '='
        if key_end >= size or text[key_end] != "=":
            index = key_end + 1
            continue
        key = text[start:key_end].rstrip(WHITESPACE)
        index, value, end = _env_value(text, key_end + 1, size)
        if NAME.match(key):
            found.append((key, value, start, end))
        elif skipped is not None:
            lines[1] += text.count("\n", lines[0], start)
            lines[0] = start
            skipped.append((lines[1], _bad_name(key)))
    return found


def _bad_name(key):
    hint = ""
    if key.startswith("export") and NAME.match(key[6:].strip(WHITESPACE) or "-"):
        hint = " (remove 'export': an environment file is not a shell script)"
    return ("%s is not a variable name (letters, digits and '_', not starting with a digit)%s; systemd skips this "
            "assignment" % (errors.short_repr(key), hint))


def _skip_comment(text, index, size):
    """Past the comment whose text starts at ``index``: a backslash hides the character after it, a newline
    included (which then ends the comment all the same, as in systemd 254+)."""
    while True:
        index = _ENV_COMMENT.match(text, index, size).end()
        if index >= size:
            return size
        if text[index] != "\\":
            return index + 1
        if index + 1 >= size:
            return size
        if text[index + 1] in "\n\r":
            return index + 2
        index += 2


def _env_value(text, index, size):
    """(where reading goes on, the value, where it was written up to) for the value starting at ``index``."""
    parts = []
    while True:  # before the value, and between quoted parts: blanks are skipped
        index = _HBLANKS.match(text, index, size).end()
        if index >= size:
            return size, "".join(parts), size
        char = text[index]
        if char in "\n\r":
            return index + 1, "".join(parts), index
        if char == "'":
            run = _ENV_SINGLE.match(text, index + 1, size)
            parts.append(run.group())
            if run.end() >= size:
                return size, "".join(parts), size
            index = run.end() + 1
        elif char == '"':
            index += 1
            while True:
                run = _ENV_DOUBLE.match(text, index, size)
                parts.append(run.group())
                index = run.end()
                if index >= size or index + 1 >= size and text[index] == "\\":
                    return size, "".join(parts), size
                if text[index] == '"':
                    index += 1
                    break
                escaped = text[index + 1]
                if escaped in SHELL_NEED_ESCAPE:
                    parts.append(escaped)
                elif escaped != "\n":
                    parts.append("\\" + escaped)  # kept, as a shell keeps it
                index += 2
        else:
            break
    # An unquoted value: up to the end of the line, trailing blanks dropped unless escaped.
    trail = None  # where in the value its trailing blanks start
    length = sum(len(part) for part in parts)
    while True:
        run = _ENV_VALUE.match(text, index, size)
        chunk = run.group()
        index = run.end()
        if chunk:
            kept = chunk.rstrip(" \t")
            if kept:
                trail = length + len(kept) if len(kept) < len(chunk) else None
            elif trail is None:
                trail = length
            parts.append(chunk)
            length += len(chunk)
        if index >= size or text[index] in "\n\r":
            value = "".join(parts)
            if trail is not None:
                value = value[:trail]
            return min(index + 1, size), value, index
        trail = None
        if index + 1 >= size:
            return size, "".join(parts), size
        if text[index + 1] not in "\n\r":
            parts.append(text[index + 1])
            length += 1
        index += 2
