# NetDesk: `make demo` runs the product with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export NETDESK_DATA_DIR ?= $(CURDIR)/var

.PHONY: install dev demo test test-sqlite test-postgres test-browser lint typecheck bench bench-soak bench-mail bench-channels bench-kb bench-alarms fuzz scale-test clean

$(BIN)/netdesk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/netdesk

$(VENV)/.dev: $(BIN)/netdesk
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

dev: $(VENV)/.dev

demo: install
	$(BIN)/netdesk migrate --no-input
	$(BIN)/netdesk demo

# The whole suite on SQLite and, side by side with it, on a throwaway
# PostgreSQL cluster (skipped, with a message, when PostgreSQL's server
# binaries are absent); scripts/test-both.sh says why and how to run them in turn.
test: dev lint
	@MAKE="$(MAKE)" scripts/test-both.sh

test-sqlite: dev
	NETDESK_DATABASE_URL= $(BIN)/pytest

test-postgres: dev
	@scripts/with-postgres.sh $(BIN)/pytest -m "not browser"; rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "test-postgres: SKIPPED, PostgreSQL is not installed"; \
	else exit $$rc; fi

lint: dev
	$(BIN)/ruff check netdesk tests bench scripts
	$(BIN)/ruff format --check netdesk tests bench scripts
	$(BIN)/mypy netdesk tests conftest.py
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_shape.py
	NETDESK_DATABASE_URL= $(BIN)/netdesk makemigrations --check --dry-run >/dev/null
	NETDESK_DATABASE_URL= $(BIN)/netdesk check

# Load (both databases), then service levels on the loaded SQLite database,
# then the NOC (its own network of 1,000,000 subscribers).
BENCH_DIR ?= var/bench
bench: dev
	$(BIN)/python bench/run.py --data-dir $(BENCH_DIR)/tickets
	NETDESK_DATA_DIR=$(BENCH_DIR)/tickets $(BIN)/python bench/sla.py
	# SLA recompute of 1,000,000 open tickets: first, unchanged, policy changed, 1 % changed.
	$(BIN)/python bench/sla.py --open-tickets 1000000 --data-dir $(BENCH_DIR)/open
	$(BIN)/python bench/noc.py --data-dir $(BENCH_DIR)/noc
	$(BIN)/python bench/routing_latency.py --agents 500 --skills 50 --rules 20 --tickets 200
	# Ticket exports: the loaded SQLite database as it is, then PostgreSQL.
	$(BIN)/python bench/ticket_export.py --data-dir $(BENCH_DIR)/tickets --skip-load
	scripts/with-postgres.sh $(BIN)/python bench/ticket_export.py
	# Dashboards: the rollup backfill and each chart at a million tickets (PostgreSQL).
	scripts/with-postgres.sh $(BIN)/python bench/dashboard.py
	# The queue by due time beside by priority, 1,000,000 tickets (PostgreSQL).
	scripts/with-postgres.sh $(BIN)/python bench/queue_due.py
	# The desk's mixed workload at a fixed rate, 50/75/90 % of capacity: latency
	# (coordinated omission corrected) and memory; the loaded SQLite database, then PostgreSQL.
	$(BIN)/python bench/mixed_load.py --data-dir $(BENCH_DIR)/tickets --skip-load
	scripts/with-postgres.sh $(BIN)/python bench/mixed_load.py

# Ten minutes of the mixed workload at 75 % of capacity: does the memory of
# the web workers and the background worker grow? (1,000,000 tickets, SQLite;
# reuses the database `make bench` loaded when it is there.)
bench-soak: dev
	$(BIN)/python bench/mixed_load.py --data-dir $(BENCH_DIR)/tickets --levels "" --soak 600 \
	  $(if $(wildcard $(BENCH_DIR)/tickets/netdesk.sqlite3),--skip-load)

# Mail: 10,000 notices to a local SMTP server refusing every tenth once, on
# SQLite then on a throwaway PostgreSQL cluster (4 deliverers).
bench-mail: dev
	$(BIN)/python bench/mail_outbound.py
	scripts/with-postgres.sh $(BIN)/python bench/mail_outbound.py --deliverers 4

# Customer channels: web chat (200 visitors, 20 agents; SQLite with one and
# two web workers, then two web processes on a throwaway PostgreSQL cluster),
# then the phone system's and the portal's benches where they exist.
bench-channels: dev
	$(BIN)/python bench/chat_load.py
	@for name in cti_load portal_load; do \
	  if [ -f bench/$$name.py ]; then $(BIN)/python bench/$$name.py || exit 1; \
	  else echo "bench-channels: bench/$$name.py is not there; skipped"; fi; \
	done

# Knowledge base: the embedding model's throughput and memory, retrieval
# quality on the public support tickets against a plain FTS5 baseline, then
# suggest latency with 10,000 and 100,000 articles on SQLite and on a
# throwaway PostgreSQL cluster. Each skips (exit 0) when ../shared/data/tickets
# is absent.
bench-kb: dev
	$(BIN)/python bench/kb_embed.py
	$(BIN)/python bench/kb_eval.py
	$(BIN)/python bench/kb_latency.py
	scripts/with-postgres.sh $(BIN)/python bench/kb_latency.py

# Alarms: the 24V microwave log replayed through the desk's intake on its own
# topology (about half an hour on SQLite), then alarm grouping and root cause
# against the labelled causal graphs. Each skips (exit 0) when its data in
# ../shared/data/alarms is absent.
bench-alarms: dev
	$(BIN)/python bench/alarm_replay.py
	$(BIN)/python bench/alarm_grouping_eval.py
	$(BIN)/python bench/alarm_grouping_eval.py --data ../shared/data/alarms/24V_439N_Microwave

# Scale-out under failures (docs/scale-out.md): a throwaway PostgreSQL
# cluster, two web processes behind HAProxy and two workers, killed with
# SIGKILL and started again while tickets, alarms, mail and service-level
# timers flow; then every count is checked (SCALE_SECONDS of load).
SCALE_SECONDS ?= 180
scale-test: dev
	scripts/with-postgres.sh $(BIN)/python bench/scale_test.py --seconds $(SCALE_SECONDS)

# Ten minutes of schemathesis against the whole API: the suite's examples,
# then new random ones (FUZZ_SECONDS to change the budget).
FUZZ_SECONDS ?= 600
fuzz: dev
	scripts/fuzz-api.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
