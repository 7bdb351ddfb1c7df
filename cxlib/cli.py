"""The ``cx-workbook`` command: a thin shell over the library.

Exit status: 0 ok, 1 a data, workspace or parameter problem (one clear line on stderr, no
traceback), 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cxlib.errors import CxError

DEFAULT_DEMO_DIR = "cx-workbook-demo"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx-workbook",
        description="CX Workbook: customer-experience goals, analysis, journeys and KPIs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="generate a demo workspace and build all its reports")
    demo.add_argument(
        "directory",
        nargs="?",
        default=DEFAULT_DEMO_DIR,
        metavar="DIR",
        help=f"where to create it (default: {DEFAULT_DEMO_DIR})",
    )
    demo.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")
    demo.add_argument("--no-reports", action="store_true", help="only generate the data")

    report = commands.add_parser("report", help="run the notebooks into HTML reports")
    report.add_argument("workspace", metavar="WS", help="workspace folder")
    report.add_argument(
        "--notebook",
        action="append",
        metavar="N",
        help="notebook name or number (repeatable; default: all)",
    )
    report.add_argument(
        "--period",
        default="",
        metavar="P",
        help='"2026", "2026-Q3", "2026-09", "last-month", … (default: all data)',
    )
    report.add_argument("--segment", default="", metavar="D=V", help="e.g. region=Hamburg")
    report.add_argument(
        "--lang",
        default="",
        choices=["en", "de", "da"],
        help="report language (default: the workspace's)",
    )
    report.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: WS/reports/<period>/<segment>/<lang>)",
    )

    serve = commands.add_parser("serve", help="serve the workbook as a Voila app")
    serve.add_argument("workspace", metavar="WS", help="workspace folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8866, help="port (default: 8866)")
    serve.add_argument(
        "--token",
        default=os.environ.get("CX_WORKBOOK_TOKEN"),
        help="access token (default: $CX_WORKBOOK_TOKEN, else a random one); "
        "prefer the variable: a command line is visible to other users",
    )
    serve.add_argument(
        "--no-token",
        action="store_true",
        help="serve without a token (only behind an authenticating proxy)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "report":
            return _report(args)
        return _serve(args)
    except CxError as error:
        print(f"cx-workbook: error: {error.one_line()}", file=sys.stderr)
        return 1
    except OSError as error:  # a file or folder that cannot be read or written
        where = f" '{error.filename}'" if error.filename else ""
        print(f"cx-workbook: error:{where} {error.strerror or error}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _progress(name: str, index: int, total: int) -> None:
    print(f"[{index + 1}/{total}] running {name} …", file=sys.stderr, flush=True)


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cxlib.demo import DEMO_SEED, WORKSPACE_TEMPLATE, generate_demo
    from cxlib.report import build_reports

    if Path(args.directory).exists() and not Path(args.directory).is_dir():
        raise CxError(f"'{args.directory}' is a file, not a folder.", hint="Choose a folder.")
    config = Path(args.directory) / "workspace.yaml"
    if config.exists() and config.read_bytes() != WORKSPACE_TEMPLATE.read_bytes():
        raise CxError(
            f"'{args.directory}' holds a workspace that is not the demo; it is left untouched.",
            hint="Choose another folder for the demo.",
        )
    seed = DEMO_SEED if args.seed is None else args.seed
    summary = generate_demo(args.directory, seed=seed)
    rows = ", ".join(f"{table}: {count:,}" for table, count in summary.rows.items())
    print(f"Demo workspace: {summary.directory.resolve()} ({rows} rows)")
    if args.no_reports:
        return 0
    reports = build_reports(summary.directory, progress=_progress)
    print("Reports:")
    for report in reports:
        print(f"  {report.html.resolve()}")
    print(f"Open the app: cx-workbook serve {args.directory}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from cxlib.report import build_reports

    reports = build_reports(
        args.workspace,
        notebooks=args.notebook,
        period=args.period,
        segment=args.segment,
        language=args.lang,
        out=args.out,
        progress=_progress,
    )
    for report in reports:
        print(report.html.resolve())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from cxlib.app import app_command, serve

    command = app_command(
        args.workspace, host=args.host, port=args.port, token=args.token, no_token=args.no_token
    )
    print(f"CX Workbook app for {args.workspace}: {command.url}", flush=True)
    if args.no_token:
        print(
            "warning: serving without a token; anyone who can reach the port can use it.",
            file=sys.stderr,
            flush=True,
        )
    return serve(command)


if __name__ == "__main__":
    sys.exit(main())
