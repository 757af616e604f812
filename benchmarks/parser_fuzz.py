"""`make bench`: every parser of the collection fed BENCH_FUZZ_LINES (default 1,000,000) random and mutated inputs
per format; no input may make one raise (issue 16).

The table is built from the FORMATS lists of the modules in FUZZERS: each row is (format name, generator(seed,
count) -> iterable of inputs, parse(input)) and optionally a fourth element, the lines one input holds (the log
reader's inputs are blocks of lines). Another parser's fuzzer joins by naming its module in FUZZERS (or on the
command line: ``parser_fuzz.py lib.fuzz_crictl``); the unit tests run a slice of the same generators.

For each row: the inputs are generated (not timed), then parsed one by one (timed in CPU seconds of the process,
so that other work on the machine and the parallel rows do not count). A parser may refuse an input with
InputError (errors.py: the clean message a user gets, counted as "refused") unless its parse function says
otherwise with a ``refuses`` attribute (the log line parsers have ``refuses = ()``: no line may make them raise).
Any other exception is counted, and the first three are printed with the seed, so that ``generator(seed, count)``
brings the input back. Rows run in BENCH_FUZZ_JOBS processes (default: one per CPU, at most one per row).

Prints a table - format, lines, exceptions, refused, seconds, lines/s - and exits 1 if any input raised.
BENCH_FUZZ_SEED (default 0) picks other inputs; BENCH_FUZZ_ONLY a substring of the rows' names to run. At a million
inputs each, the eleven kernel record rows (lib.fuzz) take some 7 minutes on two idle CPUs, the five crictl rows
(lib.fuzz_crictl) about 3, and the six node file rows (lib.fuzz_parsers: one input is a file of 1-40 lines) about
17 (measured on the CI machine's 2 cores, issue 16): some half an hour in all.
"""

import importlib
import itertools
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _path in (os.path.join(ROOT, "tests"), os.path.join(ROOT, ".build", "collections")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

FUZZERS = ["lib.fuzz", "lib.fuzz_crictl", "lib.fuzz_parsers"]
LINES = int(os.environ.get("BENCH_FUZZ_LINES", "1000000"))
SEED = int(os.environ.get("BENCH_FUZZ_SEED", "0"))
ONLY = os.environ.get("BENCH_FUZZ_ONLY", "")
BATCH = 2000  # inputs generated at a time: the run's memory does not grow with its size


def input_error():
    from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
    return InputError


def rows(fuzzers):
    found = []
    for name in fuzzers:
        for index, row in enumerate(importlib.import_module(name).FORMATS):
            if ONLY in row[0]:
                found.append((name, index))
    return found


def run_row(where):
    """(name, lines, refused, exceptions, parse seconds, first exceptions) of one row of the table."""
    module, index = where
    row = importlib.import_module(module).FORMATS[index]
    name, generate, parse = row[:3]
    per_input = row[3] if len(row) > 3 else 1
    refusals = getattr(parse, "refuses", (input_error(),))
    inputs = -(-LINES // per_input)
    stream = iter(generate(SEED, inputs))
    done, exceptions, seconds, first = 0, 0, 0.0, []
    refused = 0 if refusals else None  # None: refusing is not allowed either
    while done < inputs:
        batch = list(itertools.islice(stream, min(BATCH, inputs - done)))
        if not batch:
            break
        start = time.process_time()
        for offset, item in enumerate(batch):
            try:
                parse(item)
            except refusals:
                refused += 1
            except Exception as exc:  # pylint: disable=broad-except
                exceptions += 1
                if len(first) < 3:
                    first.append("input %d (seed %d): %s: %s; input %s" % (done + offset, SEED, type(exc).__name__,
                                                                           str(exc)[:200], repr(item)[:200]))
        seconds += time.process_time() - start
        done += len(batch)
    return name, done * per_input, refused, exceptions, seconds, first


def main(argv):
    fuzzers = FUZZERS + argv[1:]
    table = rows(fuzzers)
    if not table:
        print("no format matches BENCH_FUZZ_ONLY=%r" % ONLY)
        return 1
    jobs = int(os.environ.get("BENCH_FUZZ_JOBS", "0")) or min(len(table), os.cpu_count() or 1)
    print("fuzzing %d formats (%s), %d lines each, seed %d, %d processes ..." % (len(table), ", ".join(fuzzers), LINES,
                                                                                 SEED, jobs), flush=True)
    start = time.perf_counter()
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(run_row, table, chunksize=1)
    else:
        results = [run_row(where) for where in table]
    wall = time.perf_counter() - start
    print("\n## Parser fuzz: random and mutated inputs, no exception allowed\n")
    print("| format | lines | exceptions | refused (InputError) | seconds (CPU) | lines/s |")
    print("|---|---|---|---|---|---|")
    for name, lines, refused, exceptions, seconds, _first in results:
        shown = "**%d**" % exceptions if exceptions else "0"
        rate = lines / seconds if seconds else 0
        print("| %s | %d | %s | %s | %.2f | %.0f |" % (name, lines, shown, "-" if refused is None else refused, seconds, rate))
    failed = sum(result[3] for result in results)
    print("\n%d lines in %d formats, %d exceptions; %.0f s wall time with generation, %d processes"
          % (sum(result[1] for result in results), len(results), failed, wall, jobs))
    for name, _lines, _refused, _exceptions, _seconds, first in results:
        for text in first:
            print("%s: %s" % (name, text))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
