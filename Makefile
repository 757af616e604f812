# k8s.seccomp_default: `make test` and `make demo` are the two set-up commands (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
COLLECTIONS := $(CURDIR)/.build/collections
LINK := $(COLLECTIONS)/ansible_collections/k8s/seccomp_default
SANITY_ROOT := $(CURDIR)/.build/sanity/ansible_collections/k8s/seccomp_default

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_NOCOLOR := 1

.PHONY: help deps venv link unit sanity lint integration installed test profiles profiles-check demo bench docs changelog clean

help:
	@echo "make test      unit tests, ansible-test sanity, ansible-lint, real-kernel integration tests"
	@echo "make demo      the built-in profiles on this kernel, then the whole staged rollout on a 6-node lab fleet, with its report"
	@echo "make bench     scan vs grep, inventory throughput, the built-in-profiles lstat table, rollout vs its floor (ratios), parser fuzz"
	@echo "make docs      regenerate docs/variables.md from the roles' argument specs"
	@echo "make profiles  regenerate profiles/ from the vendored moby default"

deps:
	@tools/install-deps.sh

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements.txt test-requirements.txt tools/make-venv.sh
	@tools/make-venv.sh $(VENV) test-requirements.txt

link:
	@mkdir -p $(dir $(LINK)) && ln -sfn ../../../.. $(LINK)

unit: venv link
	$(PY) -m pytest -q tests/unit

# ansible-test wants the collection under ansible_collections/<namespace>/<name> and a venv per test;
# the copy is its own git repository because ansible-test lists the files to test with git, and
# it bootstraps pip in those with a script it downloads from a host outside the package registries,
# so the Makefile hands it tools/ansible-test-get-pip.py from its cache instead.
sanity: venv
	@v=$$(grep -ohP "pip='\K[0-9.]+" $(VENV)/lib/python*/site-packages/ansible_test/_internal/python_requirements.py | head -1); \
	  mkdir -p ~/.ansible/test/cache && cp tools/ansible-test-get-pip.py ~/.ansible/test/cache/get_pip_$${v//./_}.py
	@rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	@git ls-files --cached --others --exclude-standard | tar -cf - -T - | tar -xf - -C $(SANITY_ROOT)
	@cd $(SANITY_ROOT) && git init -q && git add -A  # ansible-test lists files with git; .build is ignored here
	cd $(SANITY_ROOT) && $(CURDIR)/$(VENV)/bin/ansible-test sanity --local --python $$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no

lint: venv link
	$(VENV)/bin/ansible-lint --profile production --offline

integration: deps venv link
	$(PY) -m pytest -q tests/integration

# The collection as users get it: the built artifact, installed with ansible-galaxy into a collections path of its
# own; tests/installed runs ansible-doc, a molecule scenario and the demo against that copy only.
INSTALLED := $(CURDIR)/.build/installed
installed: deps venv link
	@rm -rf .build/dist $(INSTALLED) && mkdir -p .build/dist
	$(VENV)/bin/ansible-galaxy collection build --force --output-path .build/dist
	$(VENV)/bin/ansible-galaxy collection install --no-deps --force -p $(INSTALLED) .build/dist/k8s-seccomp_default-*.tar.gz
	SECCOMP_INSTALLED=$(INSTALLED) $(PY) -m pytest -q -ra tests/installed

# One pytest run for unit and integration tests, last, so its summary line closes the output.
test: deps venv link profiles-check changelog sanity lint installed
	$(PY) -m pytest -q -ra tests/unit tests/integration

profiles: venv link
	$(PY) tools/generate_profiles.py

profiles-check: venv link
	$(PY) tools/generate_profiles.py --check

demo: deps venv link
	$(PY) tools/demo.py

# Every benchmark runs and prints its tables; the target fails afterwards if any of them missed its target.
BENCHMARKS := audit_scan inventory kep_table rollout parser_fuzz
bench: deps venv link
	@missed=""; for bench in $(BENCHMARKS); do $(PY) benchmarks/$$bench.py || missed="$$missed $$bench"; done; \
	  if [ -n "$$missed" ]; then echo "make bench: targets missed in:$$missed"; exit 1; fi

# docs/variables.md from the roles' argument specs (tests/unit/test_docs_variables.py checks it is current).
docs: venv
	$(PY) tools/role_variables.py

changelog: venv
	$(VENV)/bin/antsibull-changelog lint

clean:
	rm -rf .build $(VENV) tests/output
