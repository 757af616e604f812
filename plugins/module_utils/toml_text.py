# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""TOML read, and one string key written, with the standard library only (nodes run Python 3.9: no tomllib).

``loads(text)`` reads TOML 1.0.0 (https://toml.io/en/v1.0.0) and returns what Python 3.11+'s
``tomllib.loads`` returns for the same text: the same dicts with their keys in the same order, ``str``,
``int``, ``float``, ``bool``, lists, and ``datetime.datetime`` (with a ``datetime.timezone`` for an offset,
none for a local date-time), ``datetime.date`` and ``datetime.time``. It refuses the texts tomllib refuses,
with a ``TomlError`` that names the line and column, what is wrong there and what would be valid. Where the
spec leaves room, tomllib's reading is the one followed:

- ``\\r\\n`` is read as ``\\n`` everywhere, inside multi-line strings too; any other carriage return, and any
  control character other than tab, is refused outside escapes (in comments too).
- Times need seconds; fractional seconds past microseconds are cut, not rounded.
- A table created as the parent of a header (``[a.b.c]`` creates ``a`` and ``a.b``) may be defined once
  later by its own header, or get keys through dotted keys of its parent's section. A table defined by a
  header, or by dotted keys of an earlier section, may not be defined or extended again; inline tables and
  arrays written as values can never be extended.

It differs from tomllib on purpose in five places, all refusals of documents no configuration holds: arrays
and inline tables nested more than ``MAX_DEPTH`` (100) deep (tomllib reads them, or dies of RecursionError),
texts over ``MAX_BYTES`` (4 MiB, UTF-8), decimal integers of more than 4300 digits (refused on every Python;
tomllib raises a bare ValueError on 3.11+, where ``int()`` has that limit), numbers written with
``NUMBER_LIMIT`` (5000) characters or more, and documents of more than ``MAX_TABLES`` (100,000) tables (a
4 MiB text of ``a.a.a.a...`` would take gigabytes). Nothing but ``TomlError`` (an ``errors.InputError``)
comes out of ``loads`` for any text, and its memory stays within a few hundred bytes per character read.

``set_string(text, table, key, value)`` returns ``text`` with ``table.key`` set to the string ``value``, every
other line, comment and blank line kept byte for byte:

- ``key = ...`` already in the ``[table]`` section: only the value is replaced (a comment after it stays);
- ``[table]`` present without the key: a ``key = "value"`` line goes right after the section's last key/value
  line (indented like it), before the blank lines and comments that lead to the next header;
- no ``[table]`` header: ``[table]`` and the key are appended at the end, after a blank line;
- the table or key written any other way (an inline table, dotted keys from a parent's section, an array of
  tables, a sub-table where a string is wanted): ``TomlError`` saying where and why, never a guessed edit.

The text is returned unchanged when the document already holds that value, however it is written. Every
result is read back and compared with the document expected (the old one with the one key set); a
difference is a ``TomlError``, so an edit this code gets wrong is refused, not written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import datetime
import math
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 100
MAX_TABLES = 100000
NUMBER_LIMIT = 5000  # characters a number may have (past Python's 4300-digit int() limit)

# tomllib's sets: whitespace is space and tab; a bare key is ASCII letters, digits, "_" and "-".
_BARE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_KEY_START = _BARE_CHARS | frozenset("\"'")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
# What may follow a value in some context (a statement, an array, an inline table); anything else is an error
# wherever the value stands, so it is reported right where the value ends.
_VALUE_END = frozenset(" \t\n#,]}")

_WS = re.compile(r"[ \t]*")
_WS_NL = re.compile(r"[ \t\n]*")
_COMMENT_BODY = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BARE_KEY_FULL = re.compile(r"[A-Za-z0-9_-]+\Z")
_BASIC_CHUNK = re.compile(r'[^"\\\x00-\x08\x0a-\x1f\x7f]*')
_ML_BASIC_CHUNK = re.compile(r'[^"\\\x00-\x08\x0b-\x1f\x7f]*')
_LITERAL_CHUNK = re.compile(r"[^'\x00-\x08\x0a-\x1f\x7f]*")
_ML_LITERAL_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TOKEN = re.compile(r"[^ \t\n#,\]}\[{=\"']*")

_TIME = r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]{1,6})[0-9]*)?"
_DATETIME_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                          r"(?:[Tt ]" + _TIME + r"(?:([Zz])|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))?)?")
_TIME_RE = re.compile(_TIME)
_NUMBER_RE = re.compile(r"0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|0o[0-7](?:_?[0-7])*|0b[01](?:_?[01])*"
                        r"|[+-]?(?:0|[1-9](?:_?[0-9])*)(?P<float>(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?)")
_SPECIAL_FLOATS = frozenset(("inf", "nan", "+inf", "-inf", "+nan", "-nan"))

_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_VALID_ESCAPES = "\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX"
_QUOTE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')

# What a dict of the document is, for the rules on defining and extending tables.
_IMPLICIT = 0   # created as the parent of a [header] (or the root): may still be defined by a header
_PENDING = 1    # created or extended by dotted keys in the current section
_DOTTED = 2     # created or extended by dotted keys in an earlier section
_HEADER = 3     # defined by its own [header]
_INLINE = 4     # an inline table written as a value
_MISSING = object()


class TomlError(errors.InputError):
    """A text that is not valid TOML, or an edit ``set_string`` will not make. ``line`` is 1-based, ``column``
    1-based or None; ``reason`` (also ``problem``) is the message without the position; ``path``, the file, when
    the caller names it."""

    def __init__(self, reason, line=1, column=None, path=None):
        where = "line %d, column %d" % (line, column) if column else "line %d" % line
        super(TomlError, self).__init__(reason, path=path, field=where)
        self.reason = reason
        self.line = line
        self.column = column


def loads(text):
    """The TOML document ``text`` (str, or UTF-8 bytes) as a dict, as ``tomllib.loads`` reads it."""
    return _Parser(text).parse()


def quote(value):
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    return '"%s"' % _NEEDS_ESCAPE.sub(_escape_char, value)


def key_text(parts):
    """A dotted key for ``parts``: bare where it can be, else quoted."""
    return ".".join(part if _BARE_KEY_FULL.match(part) else quote(part) for part in parts)


def _escape_char(match):
    char = match.group()
    return _QUOTE_ESCAPES.get(char) or "\\u%04X" % ord(char)


def _show(char):
    """A character for a message: printable as itself, else its code point."""
    if not char:
        return "the end of the document"
    if char == "\n":
        return "the end of the line"
    if char.isprintable() and not char.isspace():
        return "'%s'" % char
    return "U+%04X" % ord(char)


def _kind_name(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, datetime.time):
        return "a time"
    if isinstance(value, list):
        return "an array"
    return "a table"


class _Parser(object):
    """One reading of one text. With ``record``, ``statements`` lists every header and key/value:
    ("table"|"array", line, start, end, key) and ("kv", line, start, end, header, key, value_start, value_end),
    positions in the text with ``\\r\\n`` read as ``\\n``, ``end`` at the statement's newline (or the end)."""

    def __init__(self, text, record=False):
        if isinstance(text, bytes):
            text = _decode(text)
        if not isinstance(text, str):
            raise TypeError("TOML text must be str or bytes, not %s" % type(text).__name__)
        if len(text) > MAX_BYTES or (len(text) * 4 > MAX_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES):
            raise TomlError("the document is larger than %d MiB, more than any configuration file; it is not read"
                            % (MAX_BYTES // (1024 * 1024)))
        self.src = text.replace("\r\n", "\n")
        self.n = len(self.src)
        self.record = record
        self.statements = []
        self.kind = {}          # id(dict) -> _IMPLICIT.._INLINE
        self.tables_of_arrays = set()   # id(list) of the arrays of tables ([[x]])
        self.origin = {}        # (id(container), key) -> the line that set or defined it, for messages
        self.pending = []
        self.tables = 0
        self.root = {}
        self._line = 1
        self._line_pos = 0

    # --- positions and errors ---

    def line_at(self, pos):
        """The line of ``pos``, counted on from the last statement (statements come in order)."""
        if pos < self._line_pos:
            return self.src.count("\n", 0, pos) + 1
        self._line += self.src.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def error(self, pos, reason):
        pos = min(pos, self.n)
        line = self.src.count("\n", 0, pos) + 1
        column = pos - self.src.rfind("\n", 0, pos)
        raise TomlError(reason, line, column)

    def describe(self, container, key, path):
        """``path`` as it stands: what it is and the line that made it so."""
        value = container[key]
        line = self.origin.get((id(container), key))
        name = key_text(path)
        if isinstance(value, list) and id(value) in self.tables_of_arrays:
            what = "an array of tables ([[%s]])" % name
        elif isinstance(value, dict):
            what = {_INLINE: "an inline table ({ ... })", _HEADER: "a table defined by its header [%s]" % name,
                    _DOTTED: "a table defined by dotted keys", _PENDING: "a table defined by dotted keys"
                    }.get(self.kind.get(id(value)), "a table created by a header below it")
        else:
            what = _kind_name(value)
        return "%s is %s%s" % (name, what, " at line %d" % line if line else "")

    def new_table(self, pos):
        """A new table, counted: a document of more than MAX_TABLES of them is refused (each costs hundreds of bytes
        for every few characters of text, so ``a.a.a.a...`` would take gigabytes)."""
        self.tables += 1
        if self.tables > MAX_TABLES:
            self.error(pos, "the document has more than %d tables; no configuration has that many, and it is not read"
                       % MAX_TABLES)
        return {}

    # --- the document ---

    def parse(self):
        src, n = self.src, self.n
        root = self.root = {}
        current, header = root, ()
        record = self.record
        pos = 0
        while True:
            pos = _WS.match(src, pos).end()
            if pos >= n:
                break
            char = src[pos]
            if char == "\n":
                pos += 1
                continue
            if char == "#":
                pos = self.comment(pos)
            else:
                start = pos
                line = self.line_at(pos)
                if char == "[":
                    self.finalize_pending()
                    if src.startswith("[[", pos):
                        pos, header = self.header(pos + 2, "]]")
                        current = self.open_array(header, line, start)
                        statement = ["array", line, start, 0, header]
                        after = "the header [[%s]]" % key_text(header)
                    else:
                        pos, header = self.header(pos + 1, "]")
                        current = self.open_table(header, line, start)
                        statement = ["table", line, start, 0, header]
                        after = "the header [%s]" % key_text(header)
                elif char in _KEY_START:
                    pos, key, value_start = self.key_value(pos, current, header, line)
                    statement = ["kv", line, start, 0, header, key, value_start, pos]
                    after = "the value of %s" % key_text(key)
                else:
                    self.error(pos, self.bad_statement(pos))
                pos = _WS.match(src, pos).end()
                if pos < n and src[pos] == "#":
                    pos = self.comment(pos)
                if pos < n and src[pos] != "\n":
                    self.error(pos, "expected the end of the line after %s, found %s; only a comment (# ...) may "
                                    "follow on the same line%s" % (after, _show(src[pos]), self.hint_after(statement, pos)))
                if record:
                    statement[3] = pos
                    self.statements.append(tuple(statement))
            if pos >= n:
                break
            pos += 1
        return root

    def bad_statement(self, pos):
        char = self.src[pos]
        if char == "\ufeff":
            return "a byte order mark (U+FEFF) is not allowed in TOML; save the file as UTF-8 without one"
        if char == "=":
            return "a key is missing before '='; a line holds key = value, a [table] or [[array]] header, or a comment"
        if char in "]}":
            return "unexpected %s; a line holds key = value, a [table] or [[array]] header, or a comment" % _show(char)
        return ("expected a key (letters, digits, '_', '-', or a quoted string), a [table] or [[array]] header, or a "
                "comment (# ...), found %s" % _show(char))

    def hint_after(self, statement, pos):
        if statement[0] != "kv":
            return ""
        value = self.src[statement[6]:pos]
        if _DATETIME_RE.match(value) and re.match(r"[ \t]*[0-9]{2}:", self.src[pos - 1:pos + 4]):
            return " (a date-time is written 1979-05-27T07:32:00 or 1979-05-27 07:32:00: one separator, seconds required)"
        return ""

    def comment(self, pos):
        """Past the comment starting at ``pos`` (a '#'); control characters other than tab are refused."""
        end = _COMMENT_BODY.match(self.src, pos + 1).end()
        if end < self.n and self.src[end] != "\n":
            self.error(end, "%s is not allowed in a comment (control characters other than tab are refused%s)"
                       % (_show(self.src[end]), "; a carriage return only before a line feed" if self.src[end] == "\r" else ""))
        return end

    def finalize_pending(self):
        for table in self.pending:
            if self.kind.get(id(table)) == _PENDING:
                self.kind[id(table)] = _DOTTED
        del self.pending[:]

    def header(self, pos, close):
        pos = _WS.match(self.src, pos).end()
        pos, key = self.key(pos, "in the header")
        if not self.src.startswith(close, pos):
            opening = "[[" if close == "]]" else "["
            found = self.src[pos:pos + 1]
            if close == "]]" and found == "]":
                reason = "an array-of-tables header opened with '[[' must close with ']]'"
            elif found in ("", "\n"):
                reason = "the header %s%s is not closed with '%s' on its line" % (opening, key_text(key), close)
            else:
                reason = ("expected '%s' to close the header %s%s, found %s; keys in a header are joined with '.'"
                          % (close, opening, key_text(key), _show(found)))
            self.error(pos, reason)
        return pos + len(close), key

    def walk(self, key, line, start, what):
        """The table that ``key[:-1]`` names for a header, created as needed (the last element of an array of
        tables)."""
        container = self.root
        for index in range(len(key) - 1):
            part = key[index]
            table = container.get(part, _MISSING)
            if table is _MISSING:
                table = self.new_table(start)
                container[part] = table
                self.origin[(id(container), part)] = line
            elif isinstance(table, dict):
                if self.kind.get(id(table)) == _INLINE:
                    self.error(start, "cannot define %s: %s; an inline table is complete as written"
                               % (what, self.describe(container, part, key[:index + 1])))
            elif isinstance(table, list) and id(table) in self.tables_of_arrays:
                table = table[-1]
            else:
                self.error(start, "cannot define %s: %s, not a table" % (what, self.describe(container, part, key[:index + 1])))
            container = table
        return container

    def open_table(self, key, line, start):
        what = "[%s]" % key_text(key)
        container = self.walk(key, line, start, what)
        stem = key[-1]
        table = container.get(stem, _MISSING)
        if table is _MISSING:
            table = self.new_table(start)
            container[stem] = table
        elif not isinstance(table, dict) or self.kind.get(id(table), _IMPLICIT) != _IMPLICIT:
            how = self.describe(container, stem, key)
            if isinstance(table, dict) and self.kind.get(id(table)) in (_HEADER, _DOTTED):
                advice = "a table is defined only once; put all its keys under one header"
            elif isinstance(table, dict):
                advice = "an inline table is complete as written"
            elif isinstance(table, list) and id(table) in self.tables_of_arrays:
                advice = "add an element with [[%s]], or name a table inside the element with [%s.name]" % (key_text(key), key_text(key))
            else:
                advice = "a key holds one value"
            self.error(start, "cannot define %s: %s; %s" % (what, how, advice))
        self.kind[id(table)] = _HEADER
        self.origin[(id(container), stem)] = line
        return table

    def open_array(self, key, line, start):
        what = "[[%s]]" % key_text(key)
        container = self.walk(key, line, start, what)
        stem = key[-1]
        array = container.get(stem, _MISSING)
        if array is _MISSING:
            array = []
            container[stem] = array
            self.tables_of_arrays.add(id(array))
            self.origin[(id(container), stem)] = line
        elif not isinstance(array, list) or id(array) not in self.tables_of_arrays:
            self.error(start, "cannot add an element with %s: %s, not an array of tables"
                       % (what, self.describe(container, stem, key)))
        table = self.new_table(start)
        array.append(table)
        return table

    # --- keys ---

    def key(self, pos, where):
        src = self.src
        parts = []
        while True:
            char = src[pos:pos + 1]
            if char and char in _BARE_CHARS:
                end = _BARE_KEY.match(src, pos).end()
                parts.append(src[pos:end])
                pos = end
            elif char == '"':
                pos, part = self.basic_string(pos + 1, pos)
                parts.append(part)
            elif char == "'":
                pos, part = self.literal_string(pos + 1, pos)
                parts.append(part)
            else:
                self.error(pos, "expected %s %s, found %s; a key is bare (letters, digits, '_', '-') or quoted (\"...\" "
                                "or '...')" % ("a key part after '.'" if parts else "a key", where, _show(char)))
            pos = _WS.match(src, pos).end()
            if not src.startswith(".", pos):
                return pos, tuple(parts)
            pos = _WS.match(src, pos + 1).end()

    def key_value(self, pos, table, header, line):
        """Read ``key = value`` at ``pos`` into ``table`` (the current section's)."""
        src = self.src
        start = pos
        pos, key = self.key(pos, "at the start of a key/value pair")
        if not src.startswith("=", pos):
            found = src[pos:pos + 1]
            if found in ("", "\n"):
                reason = "the key %s has no value; write %s = value on one line" % (key_text(key), key_text(key))
            else:
                reason = ("expected '=' after the key %s, found %s; keys with spaces or other characters must be quoted, "
                          "and parts of a dotted key are joined with '.'" % (key_text(key), _show(found)))
            self.error(pos, reason)
        pos = _WS.match(src, pos + 1).end()
        value_start = pos
        if pos >= self.n or src[pos] == "\n":
            self.error(pos, "the key %s has no value after '='; the value must start on the same line" % key_text(key))
        pos, value = self.value(pos, 1)
        container = table
        for index in range(len(key) - 1):
            part = key[index]
            sub = container.get(part, _MISSING)
            if sub is _MISSING:
                sub = self.new_table(start)
                container[part] = sub
                self.kind[id(sub)] = _PENDING
                self.pending.append(sub)
                self.origin[(id(container), part)] = line
            elif isinstance(sub, dict):
                kind = self.kind.get(id(sub), _IMPLICIT)
                if kind == _IMPLICIT:
                    self.kind[id(sub)] = _PENDING
                    self.pending.append(sub)
                    self.origin[(id(container), part)] = line
                elif kind != _PENDING:
                    path = header + key[:index + 1]
                    if kind == _INLINE:
                        advice = "an inline table is complete as written"
                    else:
                        advice = "dotted keys cannot add to a table defined elsewhere; add the key in that table's section"
                    self.error(start, "cannot set %s: %s; %s" % (key_text(header + key), self.describe(container, part, path), advice))
            else:
                self.error(start, "cannot set %s: %s, not a table"
                           % (key_text(header + key), self.describe(container, part, header + key[:index + 1])))
            container = sub
        stem = key[-1]
        if stem in container:
            self.error(start, "cannot set %s again: %s; a key is set only once"
                       % (key_text(header + key), self.describe(container, stem, header + key)))
        container[stem] = value
        self.origin[(id(container), stem)] = line
        return pos, key, value_start

    # --- values ---

    def value(self, pos, depth):
        src = self.src
        start = pos
        char = src[pos:pos + 1]
        if char == '"':
            if src.startswith('"""', pos):
                pos, value = self.multiline_basic_string(pos)
            else:
                pos, value = self.basic_string(pos + 1, pos)
        elif char == "'":
            if src.startswith("'''", pos):
                pos, value = self.multiline_literal_string(pos)
            else:
                pos, value = self.literal_string(pos + 1, pos)
        elif char == "t" and src.startswith("true", pos):
            pos, value = pos + 4, True
        elif char == "f" and src.startswith("false", pos):
            pos, value = pos + 5, False
        elif char == "[":
            pos, value = self.array(pos, depth)
        elif char == "{":
            pos, value = self.inline_table(pos, depth)
        else:
            match = _DATETIME_RE.match(src, pos)
            if match:
                value = self.date_time(match, pos)
            else:
                match = _TIME_RE.match(src, pos)
                if match:
                    value = self.local_time(match)
                else:
                    # Bounded: the regex engine keeps state for every digit it repeats over.
                    match = _NUMBER_RE.match(src, pos, min(self.n, pos + NUMBER_LIMIT))
                    if match:
                        if match.end() - pos >= NUMBER_LIMIT:
                            self.error(pos, "this number is %d characters long or more, longer than any configuration "
                                            "needs; it is not read" % NUMBER_LIMIT)
                        value = self.number(match, pos)
            if match:
                pos = match.end()
            elif src[pos:pos + 3] in _SPECIAL_FLOATS:
                pos, value = pos + 3, float(src[pos:pos + 3])
            elif src[pos:pos + 4] in _SPECIAL_FLOATS:
                pos, value = pos + 4, float(src[pos:pos + 4])
            else:
                self.error(start, self.bad_value(start))
        if pos < self.n and src[pos] not in _VALUE_END:
            if src[pos] == "\r":
                self.error(pos, "a carriage return (U+000D) after the value; it is allowed only right before a line feed")
            self.error(start if char not in "\"'[{" else pos, self.bad_value(start, pos))
        return pos, value

    def bad_value(self, start, end=None):
        """Why the value at ``start`` is not one, and what would be."""
        src = self.src
        if end is not None and src[start:start + 1] in ("\"", "'", "[", "{"):
            return "unexpected %s after the value; a value ends with the end of the line, a comment, ',' or a closing bracket" % _show(src[end])
        token = _TOKEN.match(src, start).group()[:60] or src[start:start + 1]
        shown = "'%s'" % token if token.isprintable() else repr(token)
        if token in ("", "\n", ",", "]", "}"):
            return ("a value is missing%s; expected a string, number, true/false, date/time, [array] or {inline table}"
                    % (" before %s" % _show(token) if token else ""))
        if token.lower() in ("true", "false"):
            return "%s is not a value: booleans are written in lowercase, true or false" % shown
        if token.lstrip("+-").lower() in ("inf", "nan", "infinity"):
            return "%s is not a value: special floats are written inf, +inf, -inf, nan, +nan, -nan (lowercase)" % shown
        if re.match(r"[0-9]{4}-", token) or re.match(r"[0-9]{1,2}:[0-9]", token):
            return ("%s is not a date/time: expected YYYY-MM-DD, HH:MM:SS[.fraction], or YYYY-MM-DDTHH:MM:SS[.fraction] with an "
                    "optional Z or +HH:MM offset (real month, day, hour 00-23, minute and second 00-59)" % shown)
        if re.match(r"[+-]*[0-9.]", token):
            digits = token.lstrip("+-")
            if re.match(r"0[xob]", digits) and token[:1] in "+-":
                why = "hexadecimal, octal and binary integers take no sign"
            elif re.match(r"0[xob]", digits):
                why = "0x takes hex digits, 0o octal digits, 0b binary digits, with '_' only between digits"
            elif re.match(r"0[0-9_]", digits):
                why = "a decimal number cannot start with a leading zero (write 0o17 for octal)"
            elif "_" in token:
                why = "'_' is allowed only between two digits"
            elif re.search(r"(^|[^0-9])\.|\.($|[^0-9])", digits):
                why = "a decimal point needs a digit on each side (1.0, not 1. or .5)"
            else:
                why = "expected an integer (1_000, 0x1F, 0o17, 0b101) or a float (3.14, 1e6, -2.5E-3, inf, nan)"
            return "%s is not a number: %s" % (shown, why)
        return ("%s is not a value; strings are quoted (\"...\" or '...'); other values are numbers, true/false, "
                "dates/times, [arrays] and {inline tables}" % shown)

    def date_time(self, match, pos):
        (year, month, day, hour, minute, second, fraction, zulu, sign, offset_hour, offset_minute) = match.groups()
        try:
            if hour is None:
                return datetime.date(int(year), int(month), int(day))
            micro = int(fraction.ljust(6, "0")) if fraction else 0
            if sign:
                offset = datetime.timedelta(hours=int(offset_hour), minutes=int(offset_minute))
                tz = datetime.timezone(offset if sign == "+" else -offset)
            elif zulu:
                tz = datetime.timezone.utc
            else:
                tz = None
            return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
        except ValueError as exc:
            self.error(pos, "'%s' is not a valid date: %s" % (match.group(), exc))

    @staticmethod
    def local_time(match):
        hour, minute, second, fraction = match.groups()
        micro = int(fraction.ljust(6, "0")) if fraction else 0
        return datetime.time(int(hour), int(minute), int(second), micro)

    def number(self, match, pos):
        text = match.group()
        if match.group("float"):
            return float(text)
        try:
            return int(text, 0)
        except ValueError:
            self.error(pos, "the integer %s... has %d digits, more than this reader takes (4300)" % (text[:20], len(text)))

    def array(self, pos, depth):
        if depth > MAX_DEPTH:
            self.error(pos, "arrays and inline tables are nested more than %d deep here; that is refused" % MAX_DEPTH)
        src = self.src
        start = pos
        items = []
        pos = self.skip_array_space(pos + 1)
        if src.startswith("]", pos):
            return pos + 1, items
        while True:
            pos, item = self.value(pos, depth + 1)
            items.append(item)
            pos = self.skip_array_space(pos)
            char = src[pos:pos + 1]
            if char == "]":
                return pos + 1, items
            if char != ",":
                self.error(pos, "expected ',' or ']' in the array opened at line %d, found %s"
                           % (src.count("\n", 0, start) + 1, _show(char)))
            pos = self.skip_array_space(pos + 1)
            if src.startswith("]", pos):
                return pos + 1, items

    def skip_array_space(self, pos):
        src = self.src
        while True:
            pos = _WS_NL.match(src, pos).end()
            if not src.startswith("#", pos):
                return pos
            pos = self.comment(pos)

    def inline_table(self, pos, depth):
        if depth > MAX_DEPTH:
            self.error(pos, "arrays and inline tables are nested more than %d deep here; that is refused" % MAX_DEPTH)
        src = self.src
        start = pos
        table = self.new_table(pos)
        self.kind[id(table)] = _INLINE
        pos = _WS.match(src, pos + 1).end()
        if src.startswith("}", pos):
            return pos + 1, table
        while True:
            key_start = pos
            if src.startswith("}", pos):
                self.error(pos, "a comma before '}' is not allowed in an inline table (no trailing comma)")
            pos, key = self.key(pos, "in the inline table")
            if not src.startswith("=", pos):
                self.error(pos, "expected '=' after the key %s in the inline table, found %s" % (key_text(key), _show(src[pos:pos + 1])))
            pos = _WS.match(src, pos + 1).end()
            pos, value = self.value(pos, depth + 1)
            container = table
            for index in range(len(key) - 1):
                sub = container.get(key[index], _MISSING)
                if sub is _MISSING:
                    sub = self.new_table(key_start)
                    container[key[index]] = sub
                elif not isinstance(sub, dict) or self.kind.get(id(sub)) == _INLINE:
                    self.error(key_start, "cannot set %s in the inline table: %s is already %s, written whole"
                               % (key_text(key), key_text(key[:index + 1]), _kind_name(sub)))
                container = sub
            if key[-1] in container:
                self.error(key_start, "the key %s is set twice in the inline table" % key_text(key))
            container[key[-1]] = value
            pos = _WS.match(src, pos).end()
            char = src[pos:pos + 1]
            if char == "}":
                return pos + 1, table
            if char != ",":
                if char in ("\n", "#", ""):
                    reason = ("the inline table opened at line %d is not closed on its line; an inline table is written "
                              "on one line, { key = value, ... }" % (src.count("\n", 0, start) + 1))
                else:
                    reason = "expected ',' or '}' in the inline table, found %s" % _show(char)
                self.error(pos, reason)
            pos = _WS.match(src, pos + 1).end()

    # --- strings ---

    def basic_string(self, pos, start):
        """The one-line basic string whose content starts at ``pos`` (its quote at ``start``)."""
        src = self.src
        match = _BASIC_CHUNK.match(src, pos)
        end = match.end()
        if src.startswith('"', end):
            return end + 1, match.group()
        parts = [match.group()]
        while True:
            char = src[end:end + 1]
            if char == '"':
                return end + 1, "".join(parts)
            if char == "\\":
                end, text = self.escape(end, False)
                parts.append(text)
            elif char in ("", "\n"):
                self.error(end, "the string opened at column %d is not closed on its line; a \"...\" string is one line "
                                "(use \"\"\"...\"\"\" for several)" % (start - src.rfind("\n", 0, start)))
            else:
                self.error(end, "%s must be escaped in a string (control characters other than tab: write \\u%04X)"
                           % (_show(char), ord(char)))
            match = _BASIC_CHUNK.match(src, end)
            parts.append(match.group())
            end = match.end()

    def multiline_basic_string(self, start):
        src = self.src
        pos = start + 3
        if src.startswith("\n", pos):
            pos += 1
        parts = []
        while True:
            match = _ML_BASIC_CHUNK.match(src, pos)
            parts.append(match.group())
            pos = match.end()
            char = src[pos:pos + 1]
            if char == '"':
                if src.startswith('"""', pos):
                    pos += 3
                    # A closing """ may follow one or two quotes of the content.
                    for _extra in (1, 2):
                        if src.startswith('"', pos):
                            parts.append('"')
                            pos += 1
                    return pos, "".join(parts)
                parts.append('"')
                pos += 1
            elif char == "\\":
                pos, text = self.escape(pos, True)
                parts.append(text)
            elif not char:
                self.error(start, "the multi-line string opened here is not closed; expected '\"\"\"' before the end")
            else:
                self.error(pos, "%s must be escaped in a string (control characters other than tab and newline: write \\u%04X)"
                           % (_show(char), ord(char)))

    def escape(self, pos, multiline):
        """The escape at ``pos`` (a backslash): (position after it, its text)."""
        src = self.src
        char = src[pos + 1:pos + 2]
        if char in _ESCAPES and char:
            return pos + 2, _ESCAPES[char]
        if char in ("u", "U"):
            size = 4 if char == "u" else 8
            digits = src[pos + 2:pos + 2 + size]
            if len(digits) != size or not _HEX_CHARS.issuperset(digits):
                self.error(pos, "\\%s takes exactly %d hexadecimal digits (\\%s%s)" % (char, size, char, "X" * size))
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                self.error(pos, "\\%s%s is not a Unicode scalar value (surrogates D800-DFFF and values over 10FFFF are "
                                "refused)" % (char, digits))
            return pos + 2 + size, chr(code)
        if multiline and char in (" ", "\t", "\n"):
            after = pos + 1
            if char != "\n":
                after = _WS.match(src, after).end()
                if after >= self.n:
                    return after, ""
                if src[after] != "\n":
                    self.error(pos, "a backslash followed by spaces must end the line (a line-ending backslash); write \\\\ "
                                    "for a backslash")
            return _WS_NL.match(src, after + 1).end(), ""
        if not char or char == "\n":
            shown = "a backslash at the end of the line"
        else:
            shown = "'\\%s'" % char if char.isprintable() else "a backslash before %s" % _show(char)
        self.error(pos, "%s is not a valid escape; valid escapes are %s%s; use a literal string '...' for backslashes"
                   % (shown, _VALID_ESCAPES, " and a line-ending backslash" if multiline else ""))

    def literal_string(self, pos, start):
        src = self.src
        end = _LITERAL_CHUNK.match(src, pos).end()
        char = src[end:end + 1]
        if char == "'":
            return end + 1, src[pos:end]
        if char in ("", "\n"):
            self.error(end, "the string opened at column %d is not closed on its line; a '...' string is one line "
                            "(use '''...''' for several)" % (start - src.rfind("\n", 0, start)))
        self.error(end, "%s is not allowed in a literal string (control characters other than tab); use a \"...\" string "
                        "with \\u%04X" % (_show(char), ord(char)))

    def multiline_literal_string(self, start):
        src = self.src
        pos = start + 3
        if src.startswith("\n", pos):
            pos += 1
        end = src.find("'''", pos)
        if end < 0:
            self.error(start, "the multi-line literal string opened here is not closed; expected \"'''\" before the end")
        bad = _ML_LITERAL_BAD.search(src, pos, end)
        if bad:
            self.error(bad.start(), "%s is not allowed in a literal string (control characters other than tab and "
                                    "newline); use a \"\"\"...\"\"\" string with \\u%04X" % (_show(bad.group()), ord(bad.group())))
        text = src[pos:end]
        end += 3
        for _extra in (1, 2):
            if src.startswith("'", end):
                text += "'"
                end += 1
        return end, text


def _decode(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise TomlError("the bytes are not UTF-8 (%s); TOML is UTF-8 text" % exc.reason, line, column)


# --- one string key set by a line edit ---

def set_string(text, table, key, value):
    """``text`` with ``table.key`` (``table`` a list of key parts, [] for the root) set to the string ``value``;
    every other line kept byte for byte. ``text`` may be str, or UTF-8 bytes (then bytes are returned).
    ``TomlError`` when ``text`` is not TOML, or when the table or key is written in a way a line edit cannot
    change safely (see the module's description)."""
    table = tuple(table)
    for part in table + (key,):
        if not isinstance(part, str):
            raise TypeError("table parts and the key must be str, not %s" % type(part).__name__)
    if not isinstance(value, str):
        raise TypeError("the value must be str, not %s" % type(value).__name__)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the value holds a lone surrogate, which a UTF-8 file cannot hold")
    if isinstance(text, bytes):
        new_text = set_string(_decode(text), table, key, value)
        return new_text.encode("utf-8")
    parser = _Parser(text, record=True)
    document = parser.parse()
    node = document
    for part in table:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(key), str) and node[key] == value:
        return text
    edit = _Edit(text, parser, table, key)
    node = edit.check_tables(document)
    new_text = edit.apply(node, value)
    # The document expected: the old one with the key set, the tables on the way to it copied (a deep copy could
    # recurse past Python's limit on a document of long dotted keys).
    expected = target = dict(document)
    for part in table:
        sub = target.get(part)
        target[part] = dict(sub) if isinstance(sub, dict) else {}
        target = target[part]
    target[key] = value
    try:
        result = loads(new_text)
    except TomlError as exc:
        raise TomlError("setting %s made a text that does not read back (%s); nothing is written"
                        % (edit.name, exc), edit.line)
    if not _same(result, expected):
        raise TomlError("setting %s would change more than that key; nothing is written" % edit.name, edit.line)
    return new_text


class _Edit(object):
    """Where ``table.key`` stands in the text read by ``parser``, and the text with it set."""

    def __init__(self, text, parser, table, key):
        self.text = text
        self.parser = parser
        self.table = table
        self.key = key
        self.name = key_text(table + (key,))
        self.line = 1
        statements = parser.statements
        self.headers = [s for s in statements if s[0] != "kv"]
        self.pairs = [s for s in statements if s[0] == "kv"]

    def refuse(self, line, reason):
        raise TomlError("cannot set %s with a line edit: %s" % (self.name, reason), line)

    def check_tables(self, document):
        """The table as it stands (None if absent); refusals for tables a line edit cannot reach."""
        table = self.table
        node = document
        for index, part in enumerate(table):
            path = table[:index + 1]
            sub = node.get(part, _MISSING)
            if sub is _MISSING:
                node = None
                break
            if isinstance(sub, list) and any(h[0] == "array" and h[4] == path for h in self.headers):
                line = min(h[1] for h in self.headers if h[0] == "array" and h[4] == path)
                self.refuse(line, "%s is an array of tables ([[%s]] at line %d); which element is meant is not "
                                  "for this edit to guess" % (key_text(path), key_text(path), line))
            if not isinstance(sub, dict):
                line = self.line_of_value(path)
                self.refuse(line, "%s is %s (set at line %d), not a table" % (key_text(path), _kind_name(sub), line))
            node = sub
        for index in range(1, len(table) + 1):
            path = table[:index]
            for pair in self.pairs:
                if pair[4] + pair[5] == path:
                    self.refuse(pair[1], "%s is an inline table (line %d: %s = { ... }); a line edit cannot change "
                                         "an inline table safely; write it as a [%s] section"
                                % (key_text(path), pair[1], key_text(pair[5]), key_text(path)))
        for pair in self.pairs:
            full = pair[4] + pair[5]
            if len(pair[4]) < len(table) and len(full) > len(table) and full[:len(table)] == table:
                under = "under [%s]" % key_text(pair[4]) if pair[4] else "at the top"
                if full == table + (self.key,):
                    what = "%s is set by the dotted key %s %s (line %d)" % (self.name, key_text(pair[5]), under, pair[1])
                else:
                    what = ("[%s] is written as dotted keys %s (line %d: %s = ...)"
                            % (key_text(table), under, pair[1], key_text(pair[5])))
                self.refuse(pair[1], "%s; a line edit cannot change it safely; write the keys under a [%s] header"
                            % (what, key_text(table)))
        return node

    def line_of_value(self, path):
        for pair in self.pairs:
            if pair[4] + pair[5] == path:
                return pair[1]
        return 1

    def apply(self, node, value):
        table, key = self.table, self.key
        path = table + (key,)
        parser, text = self.parser, self.text
        if node is not None and key in node:
            for pair in self.pairs:
                if pair[4] == table and pair[5] == (key,):
                    self.line = pair[1]
                    start, end = self.to_text(pair[6]), self.to_text(pair[7])
                    return text[:start] + quote(value) + text[end:]
            lines = [h[1] for h in self.headers if h[4][:len(path)] == path]
            lines += [p[1] for p in self.pairs if (p[4] + p[5])[:len(path)] == path]
            self.line = min(lines) if lines else 1
            self.refuse(self.line, "%s is %s (line %d), not a string; a line edit does not replace a table"
                        % (self.name, _kind_name(node[key]), self.line))
        newline = "\r\n" if "\r\n" in text and text.find("\r\n") + 1 == text.find("\n") else "\n"
        header = None
        if table:
            for index, statement in enumerate(parser.statements):
                if statement[0] == "table" and statement[4] == table:
                    header = index
            if header is None:
                # Appended: [table] and the key, after a blank line.
                out = text
                if out and not out.endswith("\n"):
                    out += newline
                if out and out[:-1].rstrip("\r").rsplit("\n", 1)[-1].strip(" \t"):
                    out += newline
                self.line = out.count("\n") + 2
                return out + "[%s]%s%s = %s%s" % (key_text(table), newline, key_text((key,)), quote(value), newline)
        # Inserted after the section's last key/value line, else right after its header (or at the top).
        statements = parser.statements
        after = statements[header] if header is not None else None
        for statement in statements[(header + 1 if header is not None else 0):]:
            if statement[0] != "kv":
                break
            after = statement
        src = parser.src
        if after is None:
            at, indent = 0, ""
        else:
            line_start = src.rfind("\n", 0, after[2]) + 1
            indent = src[line_start:after[2]]
            at = after[3] + 1 if after[3] < parser.n else parser.n
        line = "%s%s = %s%s" % (indent, key_text((key,)), quote(value), newline)
        offset = self.to_text(at)
        self.line = src.count("\n", 0, at) + 1
        if at >= parser.n and text and not text.endswith("\n"):
            self.line += 1
            return text + newline + line
        return text[:offset] + line + text[offset:]

    def to_text(self, pos):
        """The offset in the caller's text of ``pos`` in the parser's (where ``\\r\\n`` was read as ``\\n``)."""
        starts = getattr(self, "_starts", None)
        if starts is None:
            starts = self._starts = ([0], [0])
            removed = 0
            found = self.text.find("\n")
            while found >= 0:
                if found and self.text[found - 1] == "\r":
                    removed += 1
                starts[0].append(found + 1 - removed)
                starts[1].append(found + 1)
                found = self.text.find("\n", found + 1)
        index = bisect.bisect_right(starts[0], pos) - 1
        return starts[1][index] + pos - starts[0][index]


def _same(left, right):
    """Equal as TOML values: the same types, floats equal to the sign (nan equal to nan), date-times with the
    same offset; tables in any key order. Without recursion: dotted keys nest as deep as they are long."""
    pending = [(left, right)]
    while pending:
        left, right = pending.pop()
        if type(left) is not type(right):
            return False
        if isinstance(left, dict):
            if len(left) != len(right) or any(k not in right for k in left):
                return False
            pending.extend((v, right[k]) for k, v in left.items())
        elif isinstance(left, list):
            if len(left) != len(right):
                return False
            pending.extend(zip(left, right))
        elif not _same_scalar(left, right):
            return False
    return True


def _same_scalar(left, right):
    if isinstance(left, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right) and math.copysign(1, left) == math.copysign(1, right)
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    if isinstance(left, (datetime.datetime, datetime.time)):
        return left.isoformat() == right.isoformat() and type(left.tzinfo) is type(right.tzinfo)
    return left == right
