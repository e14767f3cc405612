# ReadyTable: `make run` starts the app on the embedded default (SQLite, in-memory channel
# layer, demo data); `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast install install-dev browser css bench screenshots migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The web server, the queue clock (run_timers: auto notify, auto no-show, getting-close
# messages, and a screen refresh each minute) and the outbox worker (send_messages: texts,
# web push, email), stopped together.
run: migrate
	$(BIN)/python manage.py seed_demo
	@echo "ReadyTable on http://$(HOST):$(PORT)/  (staff: http://$(HOST):$(PORT)/restaurant/login/ admin / admin123)"
	@$(BIN)/python manage.py run_timers & timers=$$!; \
	  $(BIN)/python manage.py send_messages & sender=$$!; \
	  trap 'kill $$timers $$sender 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser tests" >&2; exit 1; fi; }

test: install-dev browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Everything but the browser tests, for a quick loop while coding.
test-fast: install-dev
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

css:
	npm ci --no-audit --no-fund && npm run build:css

# Scripts that print figures (bench/fanout.py: the two Redis channel layers, a few minutes;
# it runs its own redis-server). Long ones run on their own: bench/notify_timing.py (the study
# behind the notify buffer's default, about 15 minutes), bench/foresight.py, and
# bench/live_load.py (the live queue under load against the bare server, 15-30 minutes;
# bench/bare_server.py is the server it starts, not a bench).
bench: install-dev
	@for script in bench/*.py; do \
	  case $$script in bench/screenshots.py|bench/notify_timing.py|bench/foresight.py|bench/live_load.py|bench/bare_server.py|bench/release_unconfirmed.py) continue;; esac; \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; done

# docs/screenshots/*.png from the demo data: diner pages at phone size, staff screens at desktop size.
screenshots: install-dev browser
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) staticfiles test_db.sqlite3*
