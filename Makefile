# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# Extra requirements for a compatibility run, e.g. EXTRA_REQUIREMENTS='wagtail<7.5'.
EXTRA_REQUIREMENTS ?=
BIN := $(VENV)/bin

.PHONY: demo test install bench soak messages schema subscriptions dist

$(BIN)/.masa-installed: setup.cfg pyproject.toml engine/build.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python engine/build.py build/engine   # durable-rules for Python 3.13+ (engine/build.py)
	$(BIN)/pip install --quiet --find-links build/engine -e '.[test,bench]' $(EXTRA_REQUIREMENTS)
	touch $@

install: $(BIN)/.masa-installed

demo: install
	bash scripts/demo.sh

test: install
	bash scripts/services.sh
	bash scripts/chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A release (CHANGELOG.md): Masa's wheel and sdist and the engine's sdist for Python 3.13+ in dist/,
# checked by twine; publish all three to the same index.
dist: install
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python engine/build.py dist
	$(BIN)/python -m twine check --strict dist/*

# Benchmarks (bench/README.md): `make bench`, or `make bench BENCH_ARGS=--smoke` for the CI size.
bench: install
	bash scripts/services.sh
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Soak with faults (bench/soak.py): 10 minutes at 40 deliveries/s (~200 store events/s) on Celery, or `make soak SOAK_ARGS=--smoke`
# (SOAK_ARGS="--worker embedded": on two masa_worker processes).
soak: install
	bash scripts/services.sh
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# The admin's translations (plugin/locale): compile the .po files after editing them (needs gettext's msgfmt).
messages:
	cd plugin && for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "$${po%.po}.mo" "$$po"; done

# Generated files: the rule-pack JSON Schema (plugin/packs/pack.schema.json, assembled from the step
# kinds, event types, guards and conditions) and the Saleor subscription queries
# (plugin/saleor/graphql/subscription_*.graphql, from the Saleor event declarations): write them
# after adding one (`schema` and `subscriptions` are the same command).
schema subscriptions: install
	PYTHONPATH=.:example DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m django masa_generate
