"""crictl output fuzz: module_utils/cri reads any text crictl (or something in its place) can print and either
returns a document of the shape the modules use or raises CriError (an InputError) naming the command - never
another exception, never a traceback.

Size and run time: 20,000 generated outputs (4,000 for each of `crictl ps -o json`, `inspect`, `pods -o json`,
`inspectp` and `info`; random and mutated, from tests/lib/fuzz_crictl.py), about 3 s. The same generator runs
at 1,000,000 per format in the benchmark (tests/lib/fuzz_crictl.FORMATS).
"""

import pytest
from lib.fuzz_crictl import BAD_PS, FORMATS, SAMPLES, parser, text

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors

PER_FORMAT = 4000


@pytest.mark.parametrize("name, generate, parse", FORMATS, ids=[name for name, _g, _p in FORMATS])
def test_any_output_is_read_or_refused_with_a_cri_error(name, generate, parse):
    accepted = refused = 0
    for index, output in enumerate(generate(2024, PER_FORMAT)):
        try:
            parse(output)
            accepted += 1
        except cri.CriError as exc:
            assert isinstance(exc, errors.InputError)
            assert str(exc).startswith("crictl "), (index, str(exc))
            refused += 1
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            pytest.fail("%s input %d (seed 2024) raised %s: %s\n%r" % (name, index, type(exc).__name__, exc, output[:500]))
    assert accepted and refused  # the generator reaches both sides


def test_the_same_seed_gives_the_same_outputs():
    _name, generate, _parse = FORMATS[0]
    assert list(generate(7, 50)) == list(generate(7, 50))


@pytest.mark.parametrize("subcommand", sorted(SAMPLES))
def test_real_outputs_are_read(subcommand):
    for sample in SAMPLES[subcommand]:
        parser(subcommand)(text(sample))


@pytest.mark.parametrize("case", sorted(BAD_PS))
def test_each_broken_listing_names_the_command_and_what_is_wrong(case):
    out, rc, err, words = BAD_PS[case]
    client = cri.Crictl(lambda argv: (rc, out.decode("utf-8", "surrogateescape"), err), "/bin/true", "/run/x.sock")
    with pytest.raises(cri.CriError) as caught:
        client.containers()
    message = str(caught.value)
    assert message.startswith("/bin/true --runtime-endpoint unix:///run/x.sock ps -a")
    for word in words:
        assert word in message
