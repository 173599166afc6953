# The shop's two everyday commands: `make run` and `make test` (both from a fresh clone).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
ADMIN_EMAIL ?= owner@example.com
PORT ?= 8000

.PHONY: run test bench lint venv clean translations messages static-assets

# Translations: the .po catalogues are in git, the compiled .mo files are built here (git ignores them).
TRANSLATIONS := storefront/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

translations: $(MO_FILES)

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After changing user-facing text: re-extract, then translate the new entries in every messages.po.
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --add-location=file --sort-by-file -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete

# Brotli/gzip variants of the static text files (git ignores them; the app makes any missing one itself).
static-assets: venv
	$(FLASK) compress-static

# The demo shop is in Portland, Oregon: its opening hours and the admin's "today" are Pacific time.
run: export SHOP_TIMEZONE ?= America/Los_Angeles
# Links in pushes and emails sent by the job worker point here.
run: export SHOP_URL ?= http://127.0.0.1:$(PORT)
run: venv translations static-assets
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	$(FLASK) create-admin --email $(ADMIN_EMAIL)
	@echo "Shop: http://127.0.0.1:$(PORT)/   Admin: http://127.0.0.1:$(PORT)/admin/"
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers 2 wsgi:app

test: venv translations static-assets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv translations static-assets  # full suite, ~15-25 min; `make bench BENCH_ARGS=--quick` for a 2-minute check (bench/README.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

.PHONY: bench-lighthouse
bench-lighthouse: venv translations static-assets  # Lighthouse 12 on /, a category, a product and /cart (see bench/README.md)
	$(BIN)/python bench/lighthouse.py

.PHONY: bench-analytics
bench-analytics: venv  # POST /e events/s under wrk and report page times over 1M events (bench/events.py, bench/reports.py)
	$(BIN)/python bench/events.py
	$(BIN)/python bench/reports.py

lint: venv
	$(BIN)/ruff check storefront tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
