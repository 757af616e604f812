"""The node file parsers on broken and hostile text: systemd units and environment files (module_utils/systemd),
kubelet configurations in YAML (yaml_reader) and JSON (kubelet_config), containerd and CRI-O TOML (toml_text).

Each parser either reads a text or raises its own error class - UnitError, YamlError, KubeletConfigError,
TomlError, all errors.InputError - with a message that names the line; never another exception, and never
more than a few MiB of memory for a text of a few MiB (a YAML alias bomb, a number of millions of digits, a
4 MiB line of ``a:a:a:`` or of comment lines, ``a.a.a.a...`` in TOML).

Size and run time: 80,000 generated texts (20,000 systemd units and 20,000 environment files, 10,000 of each
of the four other formats; random and mutated, from tests/lib/fuzz_parsers.py, seed 2024), about 7 s here,
and the targeted cases below, about 2 s. The same generators run at 1,000,000 texts per format in the
benchmark (tests/lib/fuzz_parsers.FORMATS); measured once, with zero other exceptions: units 54 s (18,600
texts/s, 14.5 lines each), environment files 43 s (23,100/s, 4.4 lines), kubelet YAML 219 s (4,600/s,
21 lines), kubelet JSON 340 s (2,900/s, 38 lines), containerd TOML 203 s (4,900/s, 31 lines), CRI-O TOML
147 s (6,800/s, 33 lines, each also edited with set_string).
"""

import os
import signal
import time
import tracemalloc

import pytest
from lib.fuzz_parsers import ENV, ERRORS, FORMATS, KUBELET_JSON, UNIT

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, systemd, toml_text, yaml_reader

SEED = 2024
PER_FORMAT = {UNIT: 20000, ENV: 20000}
DEFAULT_COUNT = 10000


@pytest.mark.parametrize("name, generate, parse", FORMATS, ids=[name for name, _g, _p in FORMATS])
def test_any_text_is_read_or_refused_with_the_parser_s_own_error(name, generate, parse):
    accepted = refused = 0
    for index, text in enumerate(generate(SEED, PER_FORMAT.get(name, DEFAULT_COUNT))):
        try:
            result = parse(text)
        except ERRORS[name] as exc:
            message = str(exc)
            assert isinstance(exc, errors.InputError) and message, (name, index)
            if name == KUBELET_JSON:
                assert "config.json" in message, (index, message)
            else:
                assert "line " in message, (index, message)
            refused += 1
            continue
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            pytest.fail("%s text %d (seed %d) raised %s: %s\n%r" % (name, index, SEED, type(exc).__name__, exc, text[:500]))
        accepted += 1
        if name == UNIT:
            settings, argv = result
            values = list(settings["environment"].values()) + argv
            assert not any("\0" in value for value in values), (index, text[:300])
        elif name == ENV:
            found, _skipped, _words = result
            ends = [0]
            for key, value, start, end in found:
                assert ends[-1] <= start < end <= len(text) and text[start:end].startswith(key), (index, text[:300])
                assert "\0" not in value
                ends.append(end)
    assert accepted
    assert refused or name == ENV  # systemd reads any environment file as some environment


def test_the_same_seed_gives_the_same_texts():
    for _name, generate, _parse in FORMATS:
        assert list(generate(7, 30)) == list(generate(7, 30))


# --- systemd: what systemd refuses is a UnitError with the file and line; what it skips is a problem ---

def unit_settings(text, path="/etc/systemd/system/kubelet.service"):
    return systemd.service_settings([(path, text)])


@pytest.mark.parametrize("text, words", [
    ("[Service]\nExecStart=/usr/bin/kubelet\n[Service # x\n", ["line 3", "section header", "[Section]"]),
    ("[Service] # kubelet\nExecStart=/usr/bin/kubelet\n", ["line 1", "does not end with ']'"]),
    ("[Serv\"ice]\nExecStart=/usr/bin/kubelet\n", ["line 1", "a double quote"]),
    ("[Service]\nExecStart=/usr/bin/kubelet \"--v=2\n", ["line 2", "the quote \" at character 18 of the value is not closed"]),
    ("[Service]\nExecStart=/usr/bin/kubelet\nExecStart=/usr/bin/kubelet --v=2\n", ["line 3", "set 2 times", "empty 'ExecStart='"]),
    ("[Service]\nExecStart=/x " + "y" * 1024 * 1024 + "\n", ["line 2", "longer than 1 MiB"]),
    ("[Service]\n" + "ExecStart=/x \\\n" * 80000, ["line 74900", "continued", "from line 2"]),
], ids=["header-unclosed", "header-comment", "header-quote", "exec-start-quote", "exec-start-twice", "long-line",
        "long-continuation"])
def test_what_systemd_refuses_is_a_unit_error_naming_file_and_line(text, words):
    with pytest.raises(systemd.UnitError) as caught:
        unit_settings(text)
    message = str(caught.value)
    assert isinstance(caught.value, errors.InputError)
    assert message.startswith("/etc/systemd/system/kubelet.service: line "), message
    for word in words:
        assert word in message, message


def test_what_systemd_skips_is_a_problem_and_the_rest_is_read():
    settings = unit_settings("[Service]\nType=oneshot\nExecStart=-/bin/x \"a\nExecStart=/usr/bin/kubelet\n"
                             "Environment=A=1 B C=\\q D=4\nEnvironmentFile=rel/path\nEnvironmentFile=-/etc/default/kubelet\n")
    assert settings["exec_start"] == "/usr/bin/kubelet"
    assert settings["environment"] == {"A": "1"}
    assert settings["environment_files"] == [("/etc/default/kubelet", True)]
    problems = "\n".join(settings["problems"])
    for words in ("line 3: ExecStart= '-/bin/x \"a': the quote", "line 5: Environment= 'B' is not NAME=value",
                  "line 5: Environment=: '\\q' (character 9 of the value) is not an escape", "line 6: EnvironmentFile= 'rel/path'"):
        assert words in problems, problems


@pytest.mark.parametrize("escape", ["\\U0011FFFF", "\\U0000D800", "\\x00", "\\000", "\\u0000", "\\400"])
def test_an_escape_systemd_refuses_stays_as_written_and_never_raises(escape):
    settings = unit_settings("[Service]\nExecStart=/usr/bin/kubelet --x=%s\n" % escape)
    assert systemd.expand_command(settings["exec_start"], {}) == ["/usr/bin/kubelet", "--x=" + escape]
    assert systemd.split_words(escape) == [escape[1:]]  # the kind reading: the character, as a shell would


def test_escapes_that_make_bytes_are_joined_as_utf8():
    assert systemd.split_words("\\303\\251t\\xc3\\xa9 \\u00e9 \\xff") == [u"\u00e9t\u00e9", u"\u00e9", u"\ufffd"]


def test_a_nul_ends_a_unit_line_and_an_environment_file():
    settings = unit_settings("[Service]\nExecStart=/usr/bin/kubelet --a\0--b\rEnvironment=X=1\0Y=2\n")
    assert settings["exec_start"] == "/usr/bin/kubelet --a" and settings["environment"] == {"X": "1"}
    assert systemd.parse_env_file("A=1\nB=x\0y\nC=3\n") == {"A": "1", "B": "x"}


def test_an_environment_file_line_systemd_skips_is_named_with_its_line():
    skipped = []
    found = systemd.env_assignments("A=1\nexport KUBELET_ARGS=--v=2\n1X=2\nB=3\n", skipped)
    assert [key for key, _value, _start, _end in found] == ["A", "B"]
    assert skipped[0][0] == 2 and "remove 'export'" in skipped[0][1]
    assert skipped[1][0] == 3 and "'1X' is not a variable name" in skipped[1][1]


def write(root, path, data):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(data)
    return full


def blocked(_signal, _frame):
    raise AssertionError("reading the file blocked")


UNIT_TEXT = b"[Service]\nEnvironmentFile=%s\nExecStart=/usr/bin/kubelet $KUBELET_ARGS\n"


@pytest.mark.parametrize("setup, words", [
    (lambda root: os.makedirs(os.path.join(root, "etc/default/kubelet")), ["etc/default/kubelet: is a directory"]),
    (lambda root: os.mkfifo(os.path.join(root, "etc/default/kubelet")), ["etc/default/kubelet: is not a regular file"]),
    (lambda root: write(root, "/etc/default/kubelet", b"KUBELET_ARGS=\xff\n"), ["etc/default/kubelet: is not UTF-8 text"]),
    (lambda root: write(root, "/etc/default/kubelet", b"#" * (errors.MAX_FILE_BYTES + 1)), ["etc/default/kubelet: is 4194305 bytes"]),
], ids=["directory", "fifo", "not-utf8", "oversized"])
@pytest.mark.parametrize("optional", [b"-", b""], ids=["optional", "required"])
def test_an_environment_file_that_is_there_but_cannot_be_read_is_named(tmp_path, setup, words, optional):
    root = str(tmp_path)
    write(root, "/etc/systemd/system/kubelet.service", UNIT_TEXT % (optional + b"/etc/default/kubelet"))
    os.makedirs(os.path.join(root, "etc/default"), exist_ok=True)
    setup(root)
    unit = systemd.read_unit("kubelet.service", root=root)
    signal.signal(signal.SIGALRM, blocked)
    signal.alarm(10)  # a FIFO opened for reading blocks until someone writes to it
    try:
        with pytest.raises(systemd.UnitError) as caught:
            systemd.unit_environment(unit, root=root)
    finally:
        signal.alarm(0)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def test_a_missing_optional_environment_file_is_fine_and_a_missing_required_one_a_problem(tmp_path):
    root = str(tmp_path)
    write(root, "/etc/systemd/system/kubelet.service", UNIT_TEXT % b"-/etc/default/kubelet")
    environment, problems = systemd.unit_environment(systemd.read_unit("kubelet.service", root=root), root=root)
    assert environment == {} and problems == []
    write(root, "/etc/systemd/system/kubelet.service", UNIT_TEXT % b"/etc/default/kubelet/under-a-file")
    write(root, "/etc/default/kubelet", b"KUBELET_ARGS=--v=2\n")
    _environment, problems = systemd.unit_environment(systemd.read_unit("kubelet.service", root=root), root=root)
    assert "does not exist; systemd will not start the unit" in problems[0]


def test_a_unit_file_systemd_refuses_is_named_by_read_unit(tmp_path):
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service", b"[Service]\nExecStart=/usr/bin/kubelet\n")
    drop_in = write(tmp_path, "/etc/systemd/system/kubelet.service.d/20-x.conf", b"[Service]\nExecStart=/usr/bin/kubelet --v=2\n")
    with pytest.raises(systemd.UnitError) as caught:
        systemd.read_unit("kubelet.service", root=str(tmp_path))
    assert str(caught.value).startswith(drop_in + ": line 2: ExecStart= is set 2 times"), str(caught.value)


# --- the error classes ---

def test_every_parser_error_is_an_input_error_keeping_its_name_and_message():
    for error in (systemd.UnitError("x"), yaml_reader.YamlError("x", 1, 2), toml_text.TomlError("x", 3, 4)):
        assert isinstance(error, errors.InputError) and isinstance(error, ValueError)
    assert str(yaml_reader.YamlError("bad", 1, 2)) == "line 1, column 2: bad"
    assert str(toml_text.TomlError("bad", 3)) == "line 3: bad"
    assert str(toml_text.TomlError("bad", 3, 4, path="/etc/crio/crio.conf")) == "/etc/crio/crio.conf: line 3, column 4: bad"
    assert str(systemd.UnitError("bad", path="/x.service", line=5, value="[S", expected="[Section]")) == \
        "/x.service: line 5: bad (found string '[S'); expected [Section]"


# --- bounded: time and memory ---

def peak_of(function, text):
    """(what ``function(text)`` returned or raised, the peak of memory it allocated, seconds)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = function(text)
    except errors.InputError as exc:
        result = exc
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak, elapsed


BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n" % ((chr(98 + level),) * 2 + (chr(97 + level),) * 9) for level in range(8))


def test_an_alias_bomb_is_refused_at_its_first_anchor_in_little_time_and_memory():
    result, peak, _elapsed = peak_of(yaml_reader.load, BOMB)
    assert isinstance(result, yaml_reader.YamlError) and str(result).startswith("line 1, column 4: an anchor (&a)")
    assert "write the values out" in str(result)
    assert peak < 1024 * 1024  # refused before anything is expanded (no time limit: machines under load vary)


# (parser, text, the most memory it may take, as a multiple of the text's length)
BOUNDED = {
    "yaml-colons-in-a-plain-scalar": (yaml_reader.load, "a: " + "b:" * 300000 + "c", 4),
    "yaml-comment-lines": (yaml_reader.load, "a: 1\n" + " #\n" * 80000 + "b: 2\n", 4),
    "yaml-comments-in-flow": (yaml_reader.load, "a: [" + " #\n" * 80000 + "]\n", 4),
    "toml-digits": (toml_text.loads, "a = " + "1" * 600000, 4),
    "toml-digits-with-underscores": (toml_text.loads, "a = " + "1_" * 300000 + "1", 4),
    "toml-float": (toml_text.loads, "a = 1." + "5" * 600000, 4),
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_memory_stays_within_a_few_times_the_text(case):
    parse, text, most = BOUNDED[case]
    _result, peak, _elapsed = peak_of(parse, text)
    assert peak < most * len(text), "%s: %.1f MiB for %d characters" % (case, peak / 1048576.0, len(text))


def test_numbers_and_table_counts_past_any_configuration_are_toml_errors_with_a_line():
    for text, words in (("a = 1\nb = " + "7" * 6000, "line 2, column 5: this number is 5000 characters long or more"),
                        ("a = 1\nb = " + "7" * 4301, "line 2, column 5: the integer 77777777777777777777... has 4301 digits"),
                        ("a." * 100001 + "b = 1", "more than 100000 tables")):
        with pytest.raises(toml_text.TomlError) as caught:
            toml_text.loads(text)
        assert words in str(caught.value), str(caught.value)[:200]


def test_set_string_on_a_document_of_long_dotted_keys_is_an_edit_not_a_recursion_error():
    text = "a" + ".a" * 5000 + " = 1\n"
    failure = edited = None
    # Told in short: pytest's report of a traceback through 5000 levels takes minutes.
    try:
        edited = toml_text.set_string(text, ["crio", "runtime"], "seccomp_profile", "/x.json")
    except Exception as exc:  # pylint: disable=broad-except
        failure = "%s: %s" % (type(exc).__name__, str(exc)[:200])
    if failure:
        pytest.fail(failure, pytrace=False)
    assert edited == text + '\n[crio.runtime]\nseccomp_profile = "/x.json"\n'
