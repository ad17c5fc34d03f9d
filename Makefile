# Linli: two commands. `make demo` runs a demo community; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
RUN_DIR := $(CURDIR)/.linli
ANVIL_PORT ?= 8545
ANVIL_HOST ?= 127.0.0.1

# ape-vyper finds vyper, ape-foundry finds anvil, both only through PATH. An anvil
# already on PATH (foundryup) comes first; npm's is the fallback.
export PATH := $(BIN):$(PATH):$(CURDIR)/node_modules/.bin
export APE_DATA_FOLDER := $(CURDIR)/.ape

.PHONY: install demo stop test test-fast fuzz bench clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The pages' JavaScript libraries (served from node_modules by the backend) and anvil.
# anvil is an optional dependency: npm installs it on Linux x64 and skips it elsewhere,
# where an anvil already on PATH (foundryup on macOS) is used.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

demo: install
	@scripts/demo.sh start

stop:
	@scripts/demo.sh stop

# The parts of the suite, for `make test PART=…` (several: PART="fees services"):
# a folder under tests/ by its name, or one of these groups.
PART ?=
PART_contracts := tests/contracts tests/stateful tests/fees tests/assembly tests/culture tests/activities tests/services tests/suggestions tests/consent tests/scripts tests/district
PART_backend := tests/backend tests/vault tests/web
PART_machines := -m in_process tests
TEST_TARGETS = $(foreach part,$(PART),$(or $(PART_$(part)),tests/$(part)))

# Every test (what CI runs, with HYPOTHESIS_PROFILE=ci for the deep state machines) in two
# shards at once, one per core, each with its own anvil and database (scripts/test_shards.sh);
# or the PART named, in one session. The end of the output gives the slowest tests and the
# time per folder. The shards are balanced by that table: shard 1 takes the API, vault and
# service folders, shard 2 every other folder (a new folder lands there by itself). Measured
# on a quiet machine (.ci/run, 1,886 tests): shard 1 890 s and shard 2 1,175 s before
# services and activities (128 s) moved to shard 1.
SHARD_1 := tests/backend tests/vault tests/directory tests/web tests/notices tests/notify tests/safe \
	tests/consent tests/suggestions tests/services tests/activities
SHARD_2 := $(filter-out $(SHARD_1) tests/utils tests/__pycache__,$(patsubst %/,%,$(wildcard tests/*/)))
test: install
ifeq ($(strip $(PART)),)
	scripts/test_shards.sh "$(SHARD_1)" "$(SHARD_2)" $(PYTEST_ARGS)
else
	ape test --network ethereum:local:foundry --durations=25 $(TEST_TARGETS) $(PYTEST_ARGS)
endif

# The quick local loop: the local hypothesis depth, the contract tests unless PART names
# others (make test-fast PART=backend).
test-fast: install
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} ape test --network ethereum:local:foundry --durations=10 \
		$(or $(TEST_TARGETS),$(PART_contracts)) $(PYTEST_ARGS)

# The CI depth with fresh random draws (CI's own runs are derandomized): the state machines
# and the property tests, as often as you like; a failure prints the case to reproduce.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz ape test --network ethereum:local:foundry -m in_process tests $(PYTEST_ARGS)
	HYPOTHESIS_PROFILE=fuzz ape test --network ethereum:local:foundry -m "not in_process" \
		tests/fees/test_calendar.py tests/culture/test_works_cid.py $(PYTEST_ARGS)

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules .ape .build .linli
