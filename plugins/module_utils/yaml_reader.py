# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Read the YAML documents the kubelet and kubeadm read (KubeletConfiguration files, their drop-ins, kubeadm
patches, crictl.yaml ...) into plain Python data. Standard library only; a reader, not a writer.

The kubelet decodes YAML with sigs.k8s.io/yaml, that is go-yaml v2: libyaml's scanner and parser and YAML 1.1
scalar resolution. This reader follows the same grammar, token for token (go-yaml v2.4 scannerc.go, parserc.go,
resolve.go), so a text reads here the way the kubelet reads it:

- Block mappings and sequences (also a sequence at the same indentation as its key), flow collections
  ``[...]`` and ``{...}`` (nested, over several lines, ``[a: 1]`` single pairs), plain scalars (over several
  lines, folded), single-quoted (``''``) and double-quoted scalars (all escapes, ``\\x \\u \\U``, folding),
  block scalars ``|`` and ``>`` with chomping (``-``/``+``) and an indentation indicator, comments, ``---``
  and ``...``.
- An implicit key must end, with ``: ``, on its own line and within 1024 characters. A tab may separate
  tokens but never indents: at the start of a line, after ``- `` or in the indentation of a continued value
  it is an error. ``key:<tab>value`` is accepted, as go-yaml does.
- Plain scalars resolve the go-yaml v2 way: null ``~ null Null NULL`` and empty; bool ``y Y yes Yes YES
  n N no No NO true True TRUE false False FALSE on On ON off Off OFF``; integers in decimal (sign, ``_``),
  ``0x``, ``0o``, ``0b`` and leading-``0`` octal (``0755`` is 493) within 64 bits; floats ``1.5 .5 1e3 1.``,
  ``.inf -.Inf .nan``; everything else, ``10s``, ``1:20`` or ``2024-01-01`` included, is a string. A
  decimal too large for 64 bits, or a leading-0 number with an 8 or 9 (``08``), is a float, as in go-yaml.
  Quoted and block scalars are strings.
- Tags ``!!str !!int !!float !!bool !!null`` convert a scalar (or fail as go-yaml fails); ``!!map`` and
  ``!!seq`` may mark a mapping and a sequence. Mapping keys are scalars and stay typed (``1: x`` has the key
  1, as in PyYAML); sigs.k8s.io/yaml later turns them into strings.

Refused with a YamlError that gives the line and column (1-based), what is wrong and what would be valid:
anchors ``&a`` and aliases ``*a`` (no use in these files, and no alias bombs), merge keys ``<<``, complex keys
``? ``, other tags, ``%YAML``/``%TAG`` directives, duplicate keys in a mapping (the kubelet's strict decoder
refuses them), null or empty keys, collections as keys, raw U+2028/U+2029 characters, texts over MAX_BYTES,
nesting deeper than MAX_DEPTH. ``load`` refuses a second document. Nothing but YamlError comes out for any
text: the reader is iterative (no recursion) and bounded.

Line breaks may be LF, CR LF, CR or NEL; a leading byte order mark is skipped. Where this reader is kinder than
go-yaml: ``\\/`` is accepted in double quotes and ``\\uD83D\\uDE00`` surrogate pairs combine (JSON has both, and a
configuration written as JSON is decoded by the kubelet as JSON).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 100
KEY_LIMIT = 1024  # an implicit key's ':' must come within this many characters of the key's start

_INF = float("inf")
_NAN = float("nan")

_BLANKZ = " \t\n\0"
_NOT_PLAIN_START = " \t\n\0-?:,[]{}#&*!|>'\"%@`"
_BAD_CHAR = re.compile(u"[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Runs of one character class only: a repeated group would cost the regex engine memory for every repetition
# (hundreds of MiB for a 4 MiB line of "a:a:a:" or of comment lines); the rest of each rule is in Python.
_PLAIN_BLOCK_RUN = re.compile(r"[^ \t\n\0]*")
_PLAIN_FLOW_RUN = re.compile(r"[^ \t\n\0,?\[\]{}]*")
_HSPACE = re.compile(r"[ \t]*")
_SPACES = re.compile(r" *")
_FLOW_BLANKS = re.compile(r"[ \t\n]*")
_LINE_BLANKS = re.compile(r"[\n ]*")
_COMMENT_TEXT = re.compile(r"[^\n\0]*")
_SKIP_SPACES = re.compile(r" *(?:#[^\n\0]*)?")
_SKIP_BLANKS = re.compile(r"[ \t]*(?:#[^\n\0]*)?")
_SQ_RUN = re.compile(r"[^' \t\n\0]*")
_DQ_RUN = re.compile(r'[^"\\ \t\n\0]*')
_WORD = re.compile(r"[0-9A-Za-z_-]*")
_URI = re.compile(r"[0-9A-Za-z_\-;/?:@&=+$,.!~*'()\[\]%]*")
_HEX = re.compile(r"[0-9A-Fa-f]+\Z")
_ESCAPES = {"0": u"\0", "a": u"\x07", "b": u"\x08", "t": u"\t", "\t": u"\t", "n": u"\n", "v": u"\x0b",
            "f": u"\x0c", "r": u"\r", "e": u"\x1b", " ": u" ", '"': u'"', "'": u"'", "\\": u"\\", "/": u"/",
            "N": u"\x85", "_": u"\xa0", "L": u"\u2028", "P": u"\u2029"}
_ESCAPE_LENGTHS = {"x": 2, "u": 4, "U": 8}

# go-yaml v2 resolve.go: the first character hints at what a plain scalar may be.
_HINTS = dict([(c, "S") for c in "+-"] + [(c, "D") for c in "0123456789"] + [(c, "M") for c in "yYnNtTfFoO~"] + [(".", ".")])
_CONSTANTS = dict((word, value) for value, words in (
    (True, "y Y yes Yes YES true True TRUE on On ON"), (False, "n N no No NO false False FALSE off Off OFF"),
    (None, "~ null Null NULL"), (_NAN, ".nan .NaN .NAN"), (_INF, ".inf .Inf .INF +.inf +.Inf +.INF"), (-_INF, "-.inf -.Inf -.INF"),
) for word in words.split())
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")
_DIGITS = {2: re.compile(r"[01]+\Z"), 8: re.compile(r"[0-7]+\Z"), 10: re.compile(r"[0-9]+\Z"), 16: re.compile(r"[0-9a-fA-F]+\Z")}
_INT64 = 1 << 63
_UINT64 = 1 << 64

_TAGS = ("str", "int", "float", "bool", "null", "map", "seq")
_TAG_PREFIX = "tag:yaml.org,2002:"
_TAG_HELP = "use one of !!str, !!int, !!float, !!bool, !!null, !!map, !!seq, or remove the tag"
_NO_KEY = object()

_NAMES = {"-": "a '- ' list item", "?": "a key", ":": "a ':' with no key before it", ",": "a ','", "[": "a '['", "]": "a ']'",
          "{": "a '{'", "}": "a '}'", "!": "a tag", "---": "a '---' document start", "...": "a '...' document end",
          "END": "the end of the text", "BE": "a line indented less than the block before it",
          "BMS": "a mapping indented differently", "BSS": "a list indented differently"}


class YamlError(errors.InputError):
    """A text that is not YAML the kubelet would read. ``line`` and ``column`` (1-based) say where, when known;
    ``problem`` is the message without them; ``path``, the file, when the caller names it."""

    def __init__(self, problem, line=None, column=None, path=None):
        super(YamlError, self).__init__(problem, path=path,
                                        field=None if line is None else "line %d, column %d" % (line, column))
        self.line = line
        self.column = column


def load(text):
    """The data of the one YAML document in ``text`` (str, or UTF-8 bytes): dicts, lists, str, int, float, bool,
    None. A text of only comments and blanks is None. A second document is an error."""
    documents = _Reader(_prepare(text), True).run()
    return documents[0] if documents else None


def load_all(text):
    """The documents of a ``---``-separated stream, in order, the empty (or null) ones left out, as kubeadm reads
    a patch file."""
    return [document for document in _Reader(_prepare(text), False).run() if document is not None]


def _prepare(text):
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_BYTES:
            raise YamlError("the text is %d bytes long, more than the %d bytes (4 MiB) a configuration file may have"
                            % (len(text), MAX_BYTES))
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlError("the text is not UTF-8 (byte %d is not valid); save it as UTF-8" % exc.start)
    elif not isinstance(text, type(u"")):
        raise TypeError("expected the YAML text as str or bytes, not %s" % type(text).__name__)
    elif len(text) > MAX_BYTES // 4:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            raise YamlError("the text is %d bytes long, more than the %d bytes (4 MiB) a configuration file may have"
                            % (size, MAX_BYTES))
    if text.startswith(u"\ufeff"):
        text = text[1:]
    if u"\r" in text:
        text = text.replace(u"\r\n", u"\n").replace(u"\r", u"\n")
    if u"\x85" in text:
        text = text.replace(u"\x85", u"\n")
    bad = _BAD_CHAR.search(text)
    if bad:
        index = bad.start()
        char = ord(text[index])
        line = text.count(u"\n", 0, index)
        column = index - text.rfind(u"\n", 0, index) - 1
        if char in (0x2028, 0x2029):
            problem = ("the character U+%04X (a Unicode line or paragraph separator) is not supported here; use a "
                       "newline, or write it as \\%s inside double quotes" % (char, "L" if char == 0x2028 else "P"))
        else:
            problem = ("the character U+%04X is not allowed in YAML text; remove it, or write it as an escape "
                       "(\\u%04X) inside double quotes" % (char, char))
        raise YamlError(problem, line + 1, column + 1)
    return text


def _skip_flow(text, pos):
    """Past the blanks, line breaks and comments at ``pos`` inside [ ] or { }."""
    while True:
        pos = _FLOW_BLANKS.match(text, pos).end()
        if text[pos] != "#":
            return pos
        pos = _COMMENT_TEXT.match(text, pos).end()


def _skip_lines(text, pos):
    """Past the line break at ``pos`` and the blank and comment lines after it, up to the next line's first
    character that is not a space."""
    while True:
        pos = _LINE_BLANKS.match(text, pos).end()
        if text[pos] != "#":
            return pos
        pos = _COMMENT_TEXT.match(text, pos).end()
        if text[pos] != "\n":
            return pos


def _go_int(text):
    """strconv.ParseInt(text, 0, 64), then ParseUint(text, 0, 64): None when neither takes it."""
    body = text
    negative = signed = False
    if body[:1] in ("+", "-"):
        signed = True
        negative = body[0] == "-"
        body = body[1:]
    base = 10
    if len(body) >= 2 and body[0] == "0":
        prefix = body[1]
        if prefix in "xX":
            base, body = 16, body[2:]
        elif prefix in "bB":
            base, body = 2, body[2:]
        elif prefix in "oO":
            base, body = 8, body[2:]
        else:
            base = 8
    if not body or not _DIGITS[base].match(body) or len(body) > 64 and len(body.lstrip("0")) > 64:
        return None  # (more than 64 digits is out of range in any base, and int() refuses very long decimals)
    value = int(body, base)
    if negative:
        value = -value
    if -_INT64 <= value < _INT64 or (not signed and 0 <= value < _UINT64):
        return value
    return None


def _go_binary(text):
    """strconv.ParseInt(text, 2, 64) (a sign allowed), then ParseUint(text, 2, 64)."""
    negative = text[:1] == "-"
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not _DIGITS[2].match(body) or len(body.lstrip("0")) > 64:
        return None
    value = -int(body, 2) if negative else int(body, 2)
    if -_INT64 <= value < _INT64 or (text[:1] not in ("+", "-") and value < _UINT64):
        return value
    return None


def _resolve(text):
    """A plain scalar as go-yaml v2 resolves it (resolve.go), decoded into an interface{}."""
    if not text:
        return None
    hint = _HINTS.get(text[0])
    if hint is None:
        return text
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    if hint == "M":
        return text
    if hint == ".":
        if _DOT_FLOAT.match(text):
            value = float(text)
            if value != _INF:
                return value
        return text
    plain = text.replace("_", "") if "_" in text else text
    value = _go_int(plain) if plain else None
    if value is not None:
        return value
    if _GO_FLOAT.match(plain):
        value = float(plain)
        if value != _INF and value != -_INF:
            return value
        value = None  # out of range for a float64: strconv.ParseFloat fails
    if plain.startswith("0b"):
        value = _go_binary(plain[2:])
    elif plain.startswith("-0b"):
        value = _go_binary("-" + plain[3:])
    return text if value is None else value


def _show(value):
    """A key or value for a message: strings as written (quoted when that is clearer), others the YAML way."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if not isinstance(value, type(u"")):
        return repr(value)
    text = value if len(value) <= 40 else value[:37] + "..."
    if not text or text != text.strip() or any(char in text for char in "\n\t\"'#:,[]{}"):
        text = '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return text


def _kind(value):
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "an empty value" if value == u"" else "the value %s" % _show(value)


class _Reader:
    """Scanner and parser in one (libyaml's design: a token queue with implicit keys found by looking ahead, and a
    state machine with an explicit stack), building the data as it goes."""

    __slots__ = ("text", "end", "pos", "line", "line_start", "flow_level", "indent", "indents", "allow_key", "long_key",
                 "keys", "tokens", "taken", "ready", "stream_end", "single", "state", "states", "stack", "documents", "root")

    def __init__(self, text, single):
        self.text = text + u"\0\0\0\0"
        self.end = len(text)
        self.pos = 0
        self.line = 0
        self.line_start = 0
        self.flow_level = 0
        self.indent = -1
        self.indents = []
        self.allow_key = True
        self.long_key = -1  # the line where an implicit key was dropped for being too long
        self.keys = [None]  # per flow level: (token number, required, index, line, column) of a possible implicit key
        self.tokens = []  # (kind, line, column, value, plain)
        self.taken = 0
        self.ready = False
        self.stream_end = False
        self.single = single
        self.state = self._implicit_document_start
        self.states = []
        self.stack = []  # open collections: [container, is mapping, pending key, key lines, line, column]
        self.documents = []
        self.root = None

    def run(self):
        while self.state is not None:
            self.state()
        return self.documents

    # Errors.

    def _fail(self, problem, line=None, column=None):
        if line is None:
            line, column = self.line, self.pos - self.line_start
        raise YamlError(problem, line + 1, column + 1)

    def _fail_key(self, key):
        text = ""
        index = key[0] - self.taken
        if 0 <= index < len(self.tokens) and self.tokens[index][0] == "S":
            text = " %s" % _show(self.tokens[index][3])
        if key[3] == self.line:
            self._fail("the key%s is longer than %d characters, the most an implicit key may have; shorten it"
                       % (text, KEY_LIMIT), key[3], key[4])
        self._fail("could not find the ':' after the key%s; a mapping entry is written 'key: value', with a space after "
                   "the colon (or is this line indented wrongly?)" % text, key[3], key[4])

    # Scanner.

    def _peek(self):
        tokens = self.tokens
        if self.ready:
            return tokens[0]
        while True:
            if tokens:
                # More tokens are needed while the head may still turn out to be an implicit key (a KEY token would go
                # before it); _fetch drops the keys that can no longer be.
                if self.stream_end:
                    break
                taken = self.taken
                keys = self.keys
                if len(keys) == 1:
                    if keys[0] is None or keys[0][0] != taken:
                        break
                else:
                    for key in keys:
                        if key is not None and key[0] == taken:
                            break
                    else:
                        break
            self._fetch()
        self.ready = True
        return tokens[0]

    def _take(self):
        self.ready = False
        self.taken += 1
        return self.tokens.pop(0)

    def _stale(self):
        keys = self.keys
        line = self.line
        pos = self.pos
        for level in range(len(keys)):
            key = keys[level]
            if key is not None and (key[3] != line or pos - key[2] > KEY_LIMIT):
                if key[1]:
                    self._fail_key(key)
                if key[3] == line:
                    self.long_key = line
                keys[level] = None

    def _save_key(self):
        if self.allow_key:
            key = self.keys[-1]
            if key is not None and key[1]:
                self._fail_key(key)
            column = self.pos - self.line_start
            self.keys[-1] = (self.taken + len(self.tokens), not self.flow_level and self.indent == column, self.pos,
                             self.line, column)

    def _remove_key(self):
        key = self.keys[-1]
        if key is not None:
            if key[1]:
                self._fail_key(key)
            self.keys[-1] = None

    def _roll(self, column, index, kind, line):
        if not self.flow_level and self.indent < column:
            self.indents.append(self.indent)
            self.indent = column
            if len(self.indents) > MAX_DEPTH:
                self._fail("the data is nested more than %d levels deep; a kubelet configuration needs far fewer"
                           % MAX_DEPTH, line, column)
            token = (kind, line, column, None, False)
            if index is None:
                self.tokens.append(token)
            else:
                self.tokens.insert(index, token)

    def _unroll(self, column):
        if self.flow_level:
            return
        here = self.pos - self.line_start
        while self.indent > column:
            self.tokens.append(("BE", self.line, here, None, False))
            self.indent = self.indents.pop()

    def _fetch(self):
        text = self.text
        pos = start = self.pos
        if text[pos] in " \t\n#":
            # Blanks, comments and line breaks up to the next token (tabs only where go-yaml skips them).
            if self.flow_level:
                pos = _skip_flow(text, pos)
            else:
                pos = (_SKIP_SPACES if self.allow_key else _SKIP_BLANKS).match(text, pos).end()
                if text[pos] == "\n":
                    pos = _skip_lines(text, pos)
                    self.allow_key = True
            if pos != start:
                breaks = text.count("\n", start, pos)
                if breaks:
                    self.line += breaks
                    self.line_start = text.rfind("\n", start, pos) + 1
                self.pos = pos
        keys = self.keys
        if len(keys) == 1:
            key = keys[0]
            if key is not None and (key[3] != self.line or pos - key[2] > KEY_LIMIT):
                self._stale()
        else:
            self._stale()
        column = pos - self.line_start
        if self.indent > column:
            self._unroll(column)
        char = text[pos]
        if char == "\0":
            return self._fetch_stream_end()
        if column == 0 and char in "%-.":
            if char == "%":
                name = _WORD.match(text, pos + 1).group()
                self._fail("the directive %%%s is not supported in a kubelet configuration; remove the line (or quote "
                           "a value that starts with '%%')" % name)
            if text[pos + 1] == char and text[pos + 2] == char and text[pos + 3] in _BLANKZ:
                return self._fetch_document_indicator(char * 3)
        if char not in _NOT_PLAIN_START:
            return self._fetch_plain()
        after = text[pos + 1]
        if char == ":" and (self.flow_level or after in _BLANKZ):
            return self._fetch_value()
        if char in "[{":
            return self._fetch_flow_start(char)
        if char in "]}":
            return self._fetch_flow_end(char)
        if char == ",":
            return self._fetch_flow_entry()
        if char == "-" and after in _BLANKZ:
            return self._fetch_block_entry()
        if char == "?" and (self.flow_level or after in _BLANKZ):
            self._fail("a complex mapping key ('? ') is not supported in a kubelet configuration; write the key as a "
                       "plain or quoted string followed by ': ' (and quote a value that contains '?')")
        if char == "*" or char == "&":
            name = _WORD.match(text, pos + 1).group()
            what = "an alias (*%s)" % name if char == "*" else "an anchor (&%s)" % name
            self._fail("%s is not supported in a kubelet configuration; write the values out (and quote a value that "
                       "starts with '%s')" % (what, char))
        if char == "!":
            return self._fetch_tag()
        if char in "|>" and not self.flow_level:
            return self._fetch_block_scalar(char == ">")
        if char == "'" or char == '"':
            return self._fetch_quoted(char == '"')
        if char not in _NOT_PLAIN_START or (char == "-" and after not in " \t") or (
                not self.flow_level and char in "?:" and after not in _BLANKZ):
            return self._fetch_plain()
        if char == "\t":
            self._fail("a tab character is used for indentation or after '- ', '? ' or ':'; YAML indentation must be "
                       "spaces")
        if char in "|>":
            self._fail("a block scalar ('%s') cannot be used inside [ ] or { }; use a quoted string" % char)
        self._fail("the character '%s' cannot start a value; quote the value" % char)

    def _fetch_stream_end(self):
        self._unroll(-1)
        self._remove_key()
        self.keys = [None] * len(self.keys)
        self.allow_key = False
        self.tokens.append(("END", self.line, self.pos - self.line_start, None, False))
        self.stream_end = True

    def _fetch_document_indicator(self, kind):
        self._unroll(-1)
        self._remove_key()
        self.allow_key = False
        self.tokens.append((kind, self.line, self.pos - self.line_start, None, False))
        self.pos += 3

    def _fetch_flow_start(self, char):
        self._save_key()
        self.flow_level += 1
        self.keys.append(None)
        if self.flow_level > MAX_DEPTH:
            self._fail("the data is nested more than %d levels deep; a kubelet configuration needs far fewer" % MAX_DEPTH)
        self.allow_key = True
        self.tokens.append((char, self.line, self.pos - self.line_start, None, False))
        self.pos += 1

    def _fetch_flow_end(self, char):
        self._remove_key()
        if self.flow_level:
            self.flow_level -= 1
            self.keys.pop()
        self.allow_key = False
        self.tokens.append((char, self.line, self.pos - self.line_start, None, False))
        self.pos += 1

    def _fetch_flow_entry(self):
        self._remove_key()
        self.allow_key = True
        self.tokens.append((",", self.line, self.pos - self.line_start, None, False))
        self.pos += 1

    def _fetch_block_entry(self):
        column = self.pos - self.line_start
        if not self.flow_level:
            if not self.allow_key:
                self._fail("a '- ' list item cannot start here; put each item on its own line, indented under its key")
            self._roll(column, None, "BSS", self.line)
        self._remove_key()
        self.allow_key = True
        self.tokens.append(("-", self.line, column, None, False))
        self.pos += 1

    def _fetch_value(self):
        key = self.keys[-1]
        column = self.pos - self.line_start
        if key is not None:
            index = key[0] - self.taken
            self.tokens.insert(index, ("?", key[3], key[4], None, False))
            self._roll(key[4], index, "BMS", key[3])
            self.keys[-1] = None
            self.allow_key = False
        else:
            if not self.flow_level:
                if self.long_key == self.line:
                    self._fail("this line's key is longer than %d characters, the most an implicit key may have; "
                               "shorten it" % KEY_LIMIT)
                if not self.allow_key:
                    self._fail("a ': ' cannot follow here (a value cannot be a mapping on the same line, and a key must "
                               "be on one line); quote a value that contains ': '")
                self._roll(column, None, "BMS", self.line)
            self.allow_key = not self.flow_level
        self.tokens.append((":", self.line, column, None, False))
        self.pos += 1

    def _fetch_tag(self):
        self._save_key()
        self.allow_key = False
        line, column = self.line, self.pos - self.line_start
        text = self.text
        pos = self.pos
        if text[pos + 1] == "<":
            uri = _URI.match(text, pos + 2)
            if text[uri.end()] != ">" or uri.end() == pos + 2:
                self._fail("a verbatim tag !<...> is not closed with '>'; %s" % _TAG_HELP)
            name = self._tag_uri(uri.group(), line, column)
            pos = uri.end() + 1
        else:
            word = _WORD.match(text, pos + 1).end()
            if text[word] == "!":
                handle = text[pos:word + 1]
                uri = _URI.match(text, word + 1)
                if uri.end() == word + 1:
                    self._fail("the tag %s has no name after its handle; %s" % (handle, _TAG_HELP))
                suffix = self._tag_uri(uri.group(), line, column)
                if handle != "!!":
                    self._fail("the tag handle %s is not defined (%%TAG directives are not supported); %s"
                               % (handle, _TAG_HELP))
                name = _TAG_PREFIX + suffix
            else:
                uri = _URI.match(text, pos + 1)
                name = "!" + self._tag_uri(uri.group(), line, column)
            pos = uri.end()
        display = text[self.pos:pos]
        if text[pos] not in _BLANKZ:
            self._fail("the tag %s must be followed by a space or the end of the line" % display, line, column)
        short = name[len(_TAG_PREFIX):] if name.startswith(_TAG_PREFIX) else None
        if short not in _TAGS:
            self._fail("the tag %s is not supported in a kubelet configuration; %s" % (display, _TAG_HELP), line, column)
        self.pos = pos
        self.tokens.append(("!", line, column, (short, display), False))

    def _tag_uri(self, uri, line, column):
        if "%" not in uri:
            return uri
        parts = uri.split("%")
        data = bytearray(parts[0].encode("ascii"))
        for part in parts[1:]:
            if len(part) < 2 or not _HEX.match(part[:2]):
                self._fail("a '%' in a tag must be followed by two hexadecimal digits", line, column)
            data.append(int(part[:2], 16))
            data.extend(part[2:].encode("ascii"))
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            self._fail("the %-escapes in a tag are not valid UTF-8", line, column)

    def _fetch_quoted(self, double):
        self._save_key()
        self.allow_key = False
        line, column = self.line, self.pos - self.line_start
        value = self._scan_double() if double else self._scan_single()
        self.tokens.append(("S", line, column, value, False))

    def _fetch_block_scalar(self, folded):
        self._remove_key()
        self.allow_key = True
        line, column = self.line, self.pos - self.line_start
        value = self._scan_block(folded)
        self.tokens.append(("S", line, column, value, False))

    def _fetch_plain(self):
        text = self.text
        pos = self.pos
        line, line_start = self.line, self.line_start
        column = pos - line_start
        flow = self.flow_level
        if self.allow_key:  # a plain scalar may be an implicit key
            key = self.keys[-1]
            if key is not None and key[1]:
                self._fail_key(key)
            self.keys[-1] = (self.taken + len(self.tokens), not flow and self.indent == column, pos, line, column)
            self.allow_key = False
        indent = self.indent + 1
        run = _PLAIN_FLOW_RUN.match if flow else _PLAIN_BLOCK_RUN.match
        chunks = []
        joint = None
        broken = False
        while True:
            end = run(text, pos).end()
            if end > pos and text[end - 1] == ":" and text[end] in _BLANKZ:
                end -= 1  # ': ' ends a plain scalar; a ':' before anything else is part of it
            if end == pos:
                break
            if joint is not None:
                chunks.append(joint)
            chunks.append(text[pos:end])
            pos = end
            char = text[pos]
            if char != " " and char != "\t" and char != "\n":
                broken = False
                break
            end = _HSPACE.match(text, pos).end()
            if text[end] != "\n":
                joint = text[pos:end]
                pos = end
                broken = False
            else:
                pos = end
                breaks = 0
                while text[pos] == "\n":
                    pos += 1
                    line += 1
                    line_start = pos
                    breaks += 1
                    end = _HSPACE.match(text, pos).end()
                    tab = text.find("\t", pos, end)
                    if tab != -1 and tab - line_start < indent:
                        self._fail("a tab character is used for indentation (in the continuation of a value over "
                                   "several lines); YAML indentation must be spaces", line, tab - line_start)
                    pos = end
                joint = " " if breaks == 1 else "\n" * (breaks - 1)
                broken = True
                if not flow and pos - line_start < indent:
                    break
            if pos == line_start and text[pos] in "-." and text[pos + 1] == text[pos] == text[pos + 2] \
                    and text[pos + 3] in _BLANKZ:
                break
            if text[pos] == "#":
                break
        if not chunks:
            self._fail("the character '%s' cannot start a value; quote the value" % text[pos], line, pos - line_start)
        self.tokens.append(("S", self.line, column, chunks[0] if len(chunks) == 1 else u"".join(chunks), True))
        self.pos, self.line, self.line_start = pos, line, line_start
        if broken:
            self.allow_key = True

    def _quoted_breaks(self, pos, line, line_start):
        """The blank lines after a line break in a quoted scalar: (pos, line, line_start, breaks)."""
        text = self.text
        breaks = 0
        while text[pos] == "\n":
            pos += 1
            line += 1
            line_start = pos
            breaks += 1
            pos = _HSPACE.match(text, pos).end()
        return pos, line, line_start, breaks

    def _quoted_check(self, pos, line, line_start, start, quote):
        text = self.text
        if pos == line_start and text[pos] in "-." and text[pos + 1] == text[pos] == text[pos + 2] and text[pos + 3] in _BLANKZ:
            self._fail("a document marker (%s) starts a line inside a quoted string; indent the line, or close the "
                       "string with %s before it" % (text[pos:pos + 3], quote), line, 0)
        if pos >= self.end:
            self._fail("this quoted string is not closed; add the closing %s" % quote, start[0], start[1])

    def _scan_single(self):
        text = self.text
        start = (self.line, self.pos - self.line_start)
        pos = self.pos + 1
        line, line_start = self.line, self.line_start
        chunks = []
        while True:
            self._quoted_check(pos, line, line_start, start, "'")
            while True:
                end = _SQ_RUN.match(text, pos).end()
                if end != pos:
                    chunks.append(text[pos:end])
                    pos = end
                if text[pos] == "'" and text[pos + 1] == "'":
                    chunks.append(u"'")
                    pos += 2
                    continue
                break
            if text[pos] == "'":
                pos += 1
                break
            end = _HSPACE.match(text, pos).end()
            if text[end] == "\n":
                pos, line, line_start, breaks = self._quoted_breaks(end, line, line_start)
                chunks.append(u" " if breaks == 1 else u"\n" * (breaks - 1))
            else:
                chunks.append(text[pos:end])
                pos = end
        self.pos, self.line, self.line_start = pos, line, line_start
        return u"".join(chunks)

    def _scan_double(self):
        text = self.text
        start = (self.line, self.pos - self.line_start)
        pos = self.pos + 1
        line, line_start = self.line, self.line_start
        chunks = []
        while True:
            self._quoted_check(pos, line, line_start, start, '"')
            escaped_break = False
            while True:
                end = _DQ_RUN.match(text, pos).end()
                if end != pos:
                    chunks.append(text[pos:end])
                    pos = end
                if text[pos] != "\\":
                    break
                char = text[pos + 1]
                if char == "\n":
                    pos += 2
                    line += 1
                    line_start = pos
                    escaped_break = True
                    break
                if char == "\0" and pos + 1 >= self.end:
                    self._fail("this quoted string is not closed; add the closing \"", start[0], start[1])
                if char in _ESCAPES:
                    chunks.append(_ESCAPES[char])
                    pos += 2
                    continue
                if char not in _ESCAPE_LENGTHS:
                    self._fail("unknown escape \\%s in a double-quoted string; the escapes are \\0 \\a \\b \\t \\n \\v "
                               "\\f \\r \\e \\\" \\/ \\\\ \\N \\_ \\L \\P \\xXX \\uXXXX \\UXXXXXXXX (use \\\\ for a "
                               "backslash, or single quotes)" % (char if char not in _BLANKZ else repr(char)[1:-1]),
                               line, pos - line_start)
                pos = self._escape(text, pos, char, chunks, line, line_start)
            if text[pos] == '"':
                pos += 1
                break
            if escaped_break:
                end = _HSPACE.match(text, pos).end()
                pos, line, line_start, breaks = self._quoted_breaks(end, line, line_start)
                if breaks:
                    chunks.append(u"\n" * breaks)
                continue
            end = _HSPACE.match(text, pos).end()
            if text[end] == "\n":
                pos, line, line_start, breaks = self._quoted_breaks(end, line, line_start)
                chunks.append(u" " if breaks == 1 else u"\n" * (breaks - 1))
            else:
                chunks.append(text[pos:end])
                pos = end
        self.pos, self.line, self.line_start = pos, line, line_start
        return u"".join(chunks)

    def _escape(self, text, pos, char, chunks, line, line_start):
        length = _ESCAPE_LENGTHS[char]
        digits = text[pos + 2:pos + 2 + length]
        if len(digits) != length or not _HEX.match(digits):
            self._fail("the escape \\%s in a double-quoted string must be followed by %d hexadecimal digits"
                       % (char, length), line, pos - line_start)
        code = int(digits, 16)
        pos += 2 + length
        if 0xD800 <= code <= 0xDBFF and text[pos] == "\\" and text[pos + 1] == "u" and _HEX.match(text[pos + 2:pos + 6]):
            low = int(text[pos + 2:pos + 6], 16)
            if 0xDC00 <= low <= 0xDFFF:
                chunks.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                return pos + 6
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            self._fail("the escape \\%s%s is not a Unicode character" % (char, digits), line,
                       pos - 2 - length - line_start)
        chunks.append(chr(code))
        return pos

    def _scan_block(self, folded):
        text = self.text
        start_line, start_column = self.line, self.pos - self.line_start
        pos = self.pos + 1
        line, line_start = self.line, self.line_start
        chomping = 0
        increment = 0
        for _dummy in range(2):
            char = text[pos]
            if char in "+-" and not chomping:
                chomping = 1 if char == "+" else -1
            elif "0" <= char <= "9" and not increment:
                if char == "0":
                    self._fail("the indentation indicator of a block scalar cannot be 0; use 1 to 9, or leave it out",
                               line, pos - line_start)
                increment = int(char)
            else:
                break
            pos += 1
        pos = _SKIP_BLANKS.match(text, pos).end()
        if text[pos] not in "\n\0":
            self._fail("after the block scalar indicator %s only a comment may follow on its line (the indicators are "
                       "| or >, then - or +, then an indentation 1-9); start the text on the next line"
                       % text[self.pos:pos].rstrip(), line, pos - line_start)
        if text[pos] == "\n":
            pos += 1
            line += 1
            line_start = pos
        indent = 0
        if increment:
            indent = self.indent + increment if self.indent >= 0 else increment
        pos, line, line_start, breaks, indent = self._block_breaks(pos, line, line_start, indent, start_line, start_column)
        chunks = []
        leading_break = u""
        leading_blank = False
        end = self.end
        while pos - line_start == indent and pos < end:
            trailing_blank = text[pos] in " \t"
            if folded and leading_break and not leading_blank and not trailing_blank:
                if not breaks:
                    chunks.append(u" ")
            else:
                chunks.append(leading_break)
            if breaks:
                chunks.append(u"\n" * breaks)
            leading_blank = trailing_blank
            stop = text.find("\n", pos, end)
            if stop == -1:
                stop = end
            chunks.append(text[pos:stop])
            pos = stop
            if pos < end:
                leading_break = u"\n"
                pos += 1
                line += 1
                line_start = pos
            else:
                leading_break = u""
            pos, line, line_start, breaks, indent = self._block_breaks(pos, line, line_start, indent, start_line,
                                                                       start_column)
        if chomping != -1:
            chunks.append(leading_break)
        if chomping == 1 and breaks:
            chunks.append(u"\n" * breaks)
        self.pos, self.line, self.line_start = pos, line, line_start
        return u"".join(chunks)

    def _block_breaks(self, pos, line, line_start, indent, start_line, start_column):
        text = self.text
        breaks = 0
        most = 0
        while True:
            end = _SPACES.match(text, pos).end()
            if indent and end - line_start > indent:
                end = max(pos, line_start + indent)
            pos = end
            column = pos - line_start
            if column > most:
                most = column
            if text[pos] == "\t" and (not indent or column < indent):
                self._fail("a tab character is used for indentation in a block scalar (| or >); YAML indentation must "
                           "be spaces", line, column)
            if text[pos] != "\n":
                break
            breaks += 1
            pos += 1
            line += 1
            line_start = pos
        if not indent:
            indent = max(most, self.indent + 1, 1)
        return pos, line, line_start, breaks, indent

    # Parser.

    def _found(self, token):
        kind = token[0]
        if kind == "S":
            return _kind(token[3]) if token[4] or token[3] else "an empty string"
        if kind in ("BMS", "?"):
            for ahead in self.tokens[1:3]:
                if ahead[0] == "S":
                    return "%s (the key %s)" % (_NAMES[kind], _show(ahead[3]))
        return _NAMES[kind]

    def _where(self, frame):
        return "line %d, column %d" % (frame[4] + 1, frame[5] + 1)

    def _begin_document(self, token):
        if self.single and self.documents:
            self._fail("a second YAML document starts here; a kubelet configuration is one document (remove this "
                       "'---' and what follows, or move it to its own file)", token[1], token[2])
        self.root = None

    def _implicit_document_start(self):
        token = self._peek()
        if token[0] in ("---", "END"):
            return self._document_start()
        self._begin_document(token)
        self.states.append(self._document_end)
        self.state = self._block_node

    def _document_start(self):
        token = self._peek()
        while token[0] == "...":
            self._take()
            token = self._peek()
        if token[0] == "END":
            self._take()
            self.state = None
            return
        if token[0] != "---":
            self._fail("found %s after the end of the document; check the indentation of this line (or start a new "
                       "document with '---')" % self._found(token), token[1], token[2])
        self._begin_document(token)
        self.states.append(self._document_end)
        self.state = self._document_content
        self._take()

    def _document_content(self):
        token = self._peek()
        if token[0] in ("---", "...", "END"):
            self.state = self.states.pop()
            self._value(None, token)
        else:
            self._node(True, False)

    def _document_end(self):
        if self._peek()[0] == "...":
            self._take()
        self.state = self._document_start
        self.documents.append(self.root)

    def _block_node(self):
        self._node(True, False)

    def _node(self, block, indentless):
        token = self._peek()
        kind = token[0]
        tag = None
        if kind == "!":
            tag = token
            self._take()
            token = self._peek()
            kind = token[0]
        if kind == "S":
            self.state = self.states.pop()
            self._take()
            self._scalar(token, tag)
        elif indentless and kind == "-":
            self._start(False, tag, token)
            self.state = self._indentless_sequence_entry
        elif kind == "[":
            self._start(False, tag, token)
            self.state = self._flow_sequence_first_entry
        elif kind == "{":
            self._start(True, tag, token)
            self.state = self._flow_mapping_first_key
        elif block and kind == "BSS":
            self._start(False, tag, token)
            self.state = self._block_sequence_first_entry
        elif block and kind == "BMS":
            self._start(True, tag, token)
            self.state = self._block_mapping_first_key
        elif tag is not None:
            self.state = self.states.pop()
            self._scalar(("S", tag[1], tag[2], u"", False), tag)
        elif kind == "-" and not block:
            self._fail("a '- ' list item cannot be used inside [ ] or { }; separate the items with ','", token[1], token[2])
        else:
            self._fail("expected a value, but found %s" % self._found(token), token[1], token[2])

    def _start(self, mapping, tag, token):
        stack = self.stack
        if stack:
            top = stack[-1]
            if top[1] and top[2] is _NO_KEY:
                self._fail("a mapping key must be a plain or quoted string, not a %s; write the key as a string"
                           % ("mapping" if mapping else "list"), token[1], token[2])
        if len(stack) >= MAX_DEPTH:
            self._fail("the data is nested more than %d levels deep; a kubelet configuration needs far fewer"
                       % MAX_DEPTH, token[1], token[2])
        if tag is not None and tag[3][0] != ("map" if mapping else "seq"):
            self._fail("the tag %s cannot mark a %s; remove it" % (tag[3][1], "mapping" if mapping else "list"),
                       tag[1], tag[2])
        stack.append([{} if mapping else [], mapping, _NO_KEY, {} if mapping else None, token[1], token[2]])

    def _end(self, token):
        frame = self.stack.pop()
        self._value(frame[0], (None, frame[4], frame[5]))

    def _scalar(self, token, tag):
        text = token[3]
        if tag is None:
            if token[4]:
                value = _resolve(text)
                if text == "<<" and self.stack and self.stack[-1][1] and self.stack[-1][2] is _NO_KEY:
                    self._fail("a merge key (<<) is not supported in a kubelet configuration; write the values out "
                               "(or quote the key: \"<<\")", token[1], token[2])
            else:
                value = text
        else:
            value = self._tagged(tag, text, token)
        self._value(value, token)

    def _tagged(self, tag, text, token):
        name, display = tag[3]
        if name == "str":
            return text
        if name in ("map", "seq"):
            self._fail("the tag %s marks a %s, but this is %s; remove the tag" % (display, "mapping" if name == "map"
                       else "list", "an empty value" if text == u"" else "the value %s" % _show(text)), tag[1], tag[2])
        value = _resolve(text)
        kind = type(value)
        if name == "int" and kind is int:
            return value
        if name == "float":
            if kind is float:
                return value
            if kind is int and -_INT64 <= value < _INT64:
                return float(value)
        if name == "bool" and kind is bool:
            return value
        if name == "null" and value is None:
            return None
        wanted = {"int": "an integer", "float": "a number", "bool": "a boolean (true or false)", "null": "null"}[name]
        self._fail("%s is tagged %s but is not %s; remove the tag, or write %s" % (
            "an empty value" if text == u"" else "the value %s" % _show(text), display, wanted, wanted), tag[1], tag[2])

    def _value(self, value, token):
        stack = self.stack
        if not stack:
            self.root = value
            return
        top = stack[-1]
        if not top[1]:
            top[0].append(value)
        elif top[2] is _NO_KEY:
            if value is None:
                self._fail("a mapping key is empty (or null); write a key before the ':'", token[1], token[2])
            if value in top[0]:
                first = top[3][value]
                other = [key for key in top[0] if key is value or key == value][0]
                if type(other) is not type(value):
                    self._fail("the keys %s (line %d) and %s are one and the same key once read (Python counts true as 1 "
                               "and 1.0 as 1); quote them to make them strings" % (_show(other), first[0] + 1, _show(value)),
                               token[1], token[2])
                self._fail("the key %s appears twice in this mapping (first at line %d, column %d); the kubelet refuses "
                           "duplicate keys: keep one" % (_show(value), first[0] + 1, first[1] + 1), token[1], token[2])
            top[2] = value
            top[3][value] = (token[1], token[2])
        else:
            top[0][top[2]] = value
            top[2] = _NO_KEY

    def _empty(self, token):
        self._value(None, token)

    def _block_sequence_first_entry(self):
        self._take()
        self._block_sequence_entry()

    def _block_sequence_entry(self):
        token = self._peek()
        kind = token[0]
        if kind == "-":
            self._take()
            token = self._peek()
            if token[0] not in ("-", "BE"):
                self.states.append(self._block_sequence_entry)
                self._node(True, False)
            else:
                self.state = self._block_sequence_entry
                self._empty(token)
        elif kind == "BE":
            self._take()
            self.state = self.states.pop()
            self._end(token)
        else:
            frame = self.stack[-1]
            self._fail("expected the next '- ' item of the list that starts at %s, but found %s; check the indentation"
                       % (self._where(frame), self._found(token)), token[1], token[2])

    def _indentless_sequence_entry(self):
        token = self._peek()
        if token[0] == "-":
            self._take()
            token = self._peek()
            if token[0] not in ("-", "?", ":", "BE"):
                self.states.append(self._indentless_sequence_entry)
                self._node(True, False)
            else:
                self.state = self._indentless_sequence_entry
                self._empty(token)
        else:
            self.state = self.states.pop()
            self._end(token)

    def _block_mapping_first_key(self):
        self._take()
        self._block_mapping_key()

    def _block_mapping_key(self):
        token = self._peek()
        kind = token[0]
        if kind == "?":
            self._take()
            token = self._peek()
            if token[0] not in ("?", ":", "BE"):
                self.states.append(self._block_mapping_value)
                self._node(True, True)
            else:
                self.state = self._block_mapping_value
                self._empty(token)
        elif kind == "BE":
            self._take()
            self.state = self.states.pop()
            self._end(token)
        else:
            frame = self.stack[-1]
            self._fail("expected a 'key: value' entry of the mapping that starts at %s, but found %s; check the "
                       "indentation" % (self._where(frame), self._found(token)), token[1], token[2])

    def _block_mapping_value(self):
        token = self._peek()
        if token[0] == ":":
            self._take()
            token = self._peek()
            if token[0] not in ("?", ":", "BE"):
                self.states.append(self._block_mapping_key)
                self._node(True, True)
                return
        self.state = self._block_mapping_key
        self._empty(token)

    def _flow_unclosed(self, token, close):
        frame = self.stack[-1]
        what = "mapping" if frame[1] else "list"
        if token[0] == "END" or token[0] in ("---", "..."):
            self._fail("the %s that starts at %s is not closed; add the '%s'" % (what, self._where(frame), close),
                       token[1], token[2])
        self._fail("expected ',' or '%s' in the %s that starts at %s, but found %s" % (
            close, what, self._where(frame), self._found(token)), token[1], token[2])

    def _flow_sequence_first_entry(self):
        self._take()
        self._flow_sequence_entry(True)

    def _flow_sequence_next_entry(self):
        self._flow_sequence_entry(False)

    def _flow_sequence_entry(self, first):
        token = self._peek()
        kind = token[0]
        if kind != "]":
            if not first:
                if kind != ",":
                    self._flow_unclosed(token, "]")
                self._take()
                token = self._peek()
                kind = token[0]
            if kind == "?":
                self._take()
                self._start(True, None, token)
                self.state = self._flow_pair_key
                return
            if kind != "]":
                if kind in ("END", "---", "..."):
                    self._flow_unclosed(token, "]")
                self.states.append(self._flow_sequence_next_entry)
                self._node(False, False)
                return
        self._take()
        self.state = self.states.pop()
        self._end(token)

    def _flow_pair_key(self):
        token = self._peek()
        if token[0] not in (":", ",", "]"):
            self.states.append(self._flow_pair_value)
            self._node(False, False)
        else:
            self.state = self._flow_pair_value
            self._empty(token)

    def _flow_pair_value(self):
        token = self._peek()
        if token[0] == ":":
            self._take()
            token = self._peek()
            if token[0] not in (",", "]"):
                self.states.append(self._flow_pair_end)
                self._node(False, False)
                return
        self.state = self._flow_pair_end
        self._empty(token)

    def _flow_pair_end(self):
        self.state = self._flow_sequence_next_entry
        self._end(None)

    def _flow_mapping_first_key(self):
        self._take()
        self._flow_mapping_key(True)

    def _flow_mapping_next_key(self):
        self._flow_mapping_key(False)

    def _flow_mapping_key(self, first):
        token = self._peek()
        kind = token[0]
        if kind != "}":
            if not first:
                if kind != ",":
                    self._flow_unclosed(token, "}")
                self._take()
                token = self._peek()
                kind = token[0]
            if kind == "?":
                self._take()
                token = self._peek()
                if token[0] not in (":", ",", "}"):
                    self.states.append(self._flow_mapping_value)
                    self._node(False, False)
                else:
                    self.state = self._flow_mapping_value
                    self._empty(token)
                return
            if kind != "}":
                if kind in ("END", "---", "..."):
                    self._flow_unclosed(token, "}")
                self.states.append(self._flow_mapping_empty_value)
                self._node(False, False)
                return
        self._take()
        self.state = self.states.pop()
        self._end(token)

    def _flow_mapping_value(self):
        token = self._peek()
        if token[0] == ":":
            self._take()
            token = self._peek()
            if token[0] not in (",", "}"):
                self.states.append(self._flow_mapping_next_key)
                self._node(False, False)
                return
        self.state = self._flow_mapping_next_key
        self._empty(token)

    def _flow_mapping_empty_value(self):
        self.state = self._flow_mapping_next_key
        self._empty(self._peek())
