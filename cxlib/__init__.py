"""cxlib: the library behind CX Workbook, a Jupyter-based customer-experience workbook.

The public API is re-exported here and imported lazily, so ``import cxlib`` stays cheap (pandas,
Arrow and Altair load only when a function that needs them is first used).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__version__ = "0.1.0"

if "ipykernel" in sys.modules and "jsonschema" not in sys.modules:  # pragma: no branch
    # Inside a kernel (the workbook notebooks, the Voila app), skip jsonschema's optional IRI
    # grammar: when ``rfc3987_syntax`` is importable, jsonschema compiles its grammars at import
    # (~1.1 s of every kernel start) only to check the "iri" formats, which cxlib never uses.
    # A None entry makes the import fail, and jsonschema then leaves those two checks out.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

#: Public name → the module that defines it.
_EXPORTS = {
    "CxError": "errors",
    "DataError": "errors",
    "ParameterError": "errors",
    "WorkspaceError": "errors",
    "Workspace": "workspace",
    "load_workspace": "workspace",
    "load_table": "sources",
    "check_workspace": "sources",
    "nps": "metrics",
    "enps": "metrics",
    "csat": "metrics",
    "ces": "metrics",
    "compare": "comparisons",
    "nps_change": "comparisons",
    "ticket_times": "service",
    "sla_attainment": "service",
    "repurchase_rate": "loyalty",
    "churn_rate": "loyalty",
    "lifetime_value": "loyalty",
    "rfm": "loyalty",
    "catalogue": "kpis",
    "kpi_series": "kpis",
    "parse_period": "periods",
    "build_reports": "report",
    "generate_demo": "demo",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"cxlib.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'cxlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
