# Two commands: `make run` serves the app with demo data; `make test` runs the whole suite.
.PHONY: run test setup lint

run:
	bash scripts/setup.sh run
	bash scripts/run.sh

setup:
	bash scripts/setup.sh test

lint: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports

test: setup lint
	.venv/bin/python -m pytest
