"""cxlib: the library behind CX Workbook, a Jupyter-based customer-experience workbook."""

from cxlib.errors import CxError, DataError, ParameterError, WorkspaceError
from cxlib.metrics import nps, nps_change
from cxlib.workspace import Workspace, load_workspace

__version__ = "0.1.0"

__all__ = [
    "CxError",
    "DataError",
    "ParameterError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "load_workspace",
    "nps",
    "nps_change",
]
