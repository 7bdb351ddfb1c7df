"""A local SparkSession for the opt-in PySpark job (``make test-spark``; see docs/spark.md).

These tests import pyspark, so the main suite ignores this folder (``--ignore=tests/spark`` in
pyproject.toml); ``make test-spark`` runs it in its own virtualenv with an explicit path.
The session runs on this machine only (``local[2]``, bound to 127.0.0.1, no UI), and its time
zone is deliberately neither UTC nor a workspace's zone: cxlib must not depend on it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

try:
    import pyspark
    from pyspark.sql import SparkSession
except ImportError as error:  # pragma: no cover - only outside `make test-spark`
    raise pytest.UsageError(
        "tests/spark needs pyspark and Java 17+: run `make test-spark` (see docs/spark.md)."
    ) from error

# the reference cases of the main engine tests (tests/test_*.py) are imported from there
TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

#: The session's zone: not UTC and not the workspaces' zones used in the cases.
SESSION_TIME_ZONE = "America/New_York"
_TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local SparkSession for the whole run: 2 cores, 2 shuffle partitions, loopback only."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    scratch = tmp_path_factory.mktemp("spark")
    started = time.perf_counter()
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("cxlib-tests")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.session.timeZone", SESSION_TIME_ZONE)
            .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
            .config("spark.local.dir", str(scratch / "local"))
            .getOrCreate()
        )
    except Exception as error:  # the JVM did not start
        pytest.fail(
            f"could not start a local SparkSession ({error}). PySpark {pyspark.__version__} "
            "needs Java 17 or newer on PATH: on Debian, apt-get install -y default-jre-headless."
        )
    session.sparkContext.setLogLevel("ERROR")
    _TIMINGS["start"] = time.perf_counter() - started
    yield session
    session.stop()


@pytest.fixture
def to_spark(spark: Any) -> Callable[[pd.DataFrame], Any]:
    """A pandas frame as a Spark DataFrame, through Arrow (nullable ints stay nullable)."""
    import pyarrow as pa

    def convert(frame: pd.DataFrame) -> Any:
        return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))

    return convert


@pytest.fixture
def assert_same() -> Callable[[pd.DataFrame, pd.DataFrame], None]:
    """Same columns, keys, flags and counts; numbers within 1e-9 (absolute)."""

    def check(got: pd.DataFrame, expected: pd.DataFrame) -> None:
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=1e-9)

    return check


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "start" in _TIMINGS:
        terminalreporter.write_line(
            f"PySpark {pyspark.__version__}: local SparkSession started in "
            f"{_TIMINGS['start']:.1f} s (session time zone {SESSION_TIME_ZONE})"
        )
