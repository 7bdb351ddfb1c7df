# CX Workbook: the two set-up commands of the README, and the steps they are made of.
#   make demo   set up the environment, generate the demo workspace, build all its reports
#   make test   set up the environment (Debian's chromium and postgresql included) and run the
#               whole test suite

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= cx-workbook-demo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint system-packages

$(VENV)/.runtime: pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@# byte-compile cxlib as installing a wheel would (an editable install does not, and with
	@# PYTHONDONTWRITEBYTECODE set nothing else will): every report kernel imports it
	$(BIN)/python -m compileall -q cxlib
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/cx-workbook demo $(DEMO_DIR)

# Debian packages the tests use: chromium (browser tests), postgresql (store tests on a real server,
# started by the tests on a loopback port), poppler-utils (the PDF report test reads the PDF)
system-packages:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium fonts-dejavu-core"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.test system-packages lint
	$(BIN)/pytest

# PySpark: an opt-in job with its own virtualenv (Java and a large wheel), see docs/spark.md.
#   make test-spark   check Java, set up .venv-spark/ with pyspark, run tests/spark
SPARK_VENV ?= .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin
PYSPARK ?= pyspark>=4.0,<5

.PHONY: test-spark java-check

java-check:
	@java -version >/dev/null 2>&1 || { \
	  echo "test-spark needs Java 17 or newer (PySpark 4 runs on the JVM); 'java -version' failed."; \
	  echo "On Debian/Ubuntu: sudo apt-get install -y default-jre-headless"; \
	  echo "Elsewhere: install a JRE 17 or 21 and put its java on PATH (or set JAVA_HOME)."; \
	  exit 1; }
	@major=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	if [ -n "$$major" ] && [ "$$major" -lt 17 ]; then \
	  echo "test-spark needs Java 17 or newer; found Java $$major."; \
	  echo "On Debian/Ubuntu: sudo apt-get install -y default-jre-headless"; \
	  exit 1; \
	fi

$(SPARK_VENV)/.spark: pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/python -m pip install --quiet --upgrade pip
	$(SPARK_BIN)/python -m pip install --quiet -e '.[test]' '$(PYSPARK)'
	touch $@

test-spark: java-check $(SPARK_VENV)/.spark
	$(SPARK_BIN)/pytest tests/spark -p no:cacheprovider
