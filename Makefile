# Orders API. `make run` starts the local twin; `make test` runs every test. Both bootstrap .venv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
NODE_TOOLS := .node-tools
DYNALITE := $(NODE_TOOLS)/node_modules/.bin/dynalite
WEB_BUNDLE := web/dist/app.js
ARGS ?=
PYTEST_ARGS ?=

.PHONY: help run test check fmt synth deploy diff destroy bench soak cost clean
.PHONY: web
.PHONY: bootstrap parity

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Two installs: the twin and the CLI alone (make run), or with the test and CDK toolchains too.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,infra]'
	touch $(STAMP)

$(DYNALITE):
	npm install --silent --no-audit --no-fund --prefix $(NODE_TOOLS) dynalite@4

# The browser test's page: amazon-cognito-identity-js from npm (versions pinned by the lockfile,
# install scripts off), bundled by esbuild into one file; no CDN.
$(WEB_BUNDLE): web/package.json web/package-lock.json $(wildcard web/src/*.js web/src/*.html)
	cd web && npm ci --silent && npm run --silent build

web: $(WEB_BUNDLE) ## Build the browser test's page (web/dist) from npm, locally

venv: $(STAMP) ## Create .venv and install everything

run: $(RUN_STAMP) ## Start the local twin on its embedded defaults (installs the twin's packages only)
	$(BIN)/orders-api serve $(ARGS)

test: $(STAMP) $(DYNALITE) $(WEB_BUNDLE) ## Run every test (starts dynalite on loopback for the contract suite)
	DYNALITE_BIN=$(abspath $(DYNALITE)) $(BIN)/python scripts/with_dynalite.py $(BIN)/python -m pytest $(PYTEST_ARGS)

parity: $(STAMP) ## The parity suite: against ORDERS_API_OUTPUTS (a twin's, or cdk-outputs.json), else a twin it starts
	ORDERS_API_PARITY_PROFILE=$${ORDERS_API_PARITY_PROFILE:-$${AWS_PROFILE:-}} $(BIN)/python -m pytest tests/parity $(PYTEST_ARGS)

soak: $(STAMP) ## The reliability suites at soak sizes (ORDERS_SOAK=1): fuzzing, hostile input, crashes, load, faults
	ORDERS_SOAK=1 $(BIN)/python -m pytest tests/e2e/reliability tests/security/test_hostile_input.py --timeout=3600 $(PYTEST_ARGS)

check: $(STAMP) ## Lint, format check and strict type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# AWS: the CDK CLI through npx, with the caller's own AWS credentials; never run in CI.
CDK := npx --yes aws-cdk@2
NODE_MAJOR := $(shell node -p "process.versions.node.split('.')[0]" 2>/dev/null)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(NODE_MAJOR)

synth: $(STAMP) ## Synthesize the CDK app into cdk.out/ (cdk-nag runs; no AWS access needed)
	$(BIN)/python -m infra.app

# Never in CI or tests: it creates IAM policies and deploys the CDKToolkit stack (infra/bootstrap.py).
bootstrap: $(STAMP) ## Once per account/region: CDK bootstrap with a limited execution role (docs/deploy.md)
	$(BIN)/python -m infra.bootstrap --deploy --write cdk.out/bootstrap --cdk "$(CDK)" $(ARGS)

diff: $(STAMP) ## Compare the deployed stack with this code (needs AWS credentials)
	$(CDK) diff $(ARGS)

deploy: $(STAMP) ## Deploy to AWS with your credentials (see docs/deploy.md; ARGS="-c alarmEmail=you@example.com")
	$(CDK) deploy --require-approval broadening $(ARGS)

destroy: $(STAMP) ## Delete the stack; the orders table and the user pool are retained
	@echo "The Orders table (with its orders) and the Cognito user pool (with its users) are RETAINED:"
	@echo "both have deletion protection and a Retain policy. See docs/deploy.md to delete them for good."
	$(CDK) destroy $(ARGS)

bench: $(STAMP) ## Benchmarks, each against a baseline in the same run
	$(BIN)/python -m bench

cost: $(STAMP) ## Regenerate docs/cost.md from the cost model, then print an estimate (ARGS="--scenario bot-abuse")
	$(BIN)/orders-api cost --markdown > docs/cost.md
	$(BIN)/orders-api cost $(ARGS)

clean: ## Remove the virtualenv, caches and local data
	rm -rf $(VENV) $(NODE_TOOLS) .pytest_cache .mypy_cache .ruff_cache cdk.out .orders-api
	rm -rf web/node_modules web/dist test-artifacts
