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
    _selection_arguments(report, "report")
    report.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="D",
        help="one report set per value of dimension D in the responses, or per month "
        "(--by month); repeat for both, e.g. --by region --by month; writes an index.html",
    )
    report.add_argument(
        "--pdf", action="store_true", help="also print each report to PDF (needs Chromium)"
    )
    report.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks run at once (default: the number of cores)",
    )
    report.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder (default: WS/reports/<period>/<segment>/<lang>; "
        "with --by the root of those folders)",
    )

    poster = commands.add_parser(
        "poster", help="print a journey map as an A3 poster (PDF or SVG) for the workshop wall"
    )
    poster.add_argument("workspace", metavar="WS", help="workspace folder")
    poster.add_argument(
        "--journey",
        default="",
        metavar="ID",
        help="the journey's id (needed when there are several)",
    )
    _selection_arguments(poster, "poster")
    poster.add_argument("--format", default="pdf", choices=["pdf", "svg"], help="default: pdf")
    poster.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="file to write (default: WS/reports/<period>/<segment>/<lang>/poster-<journey>.pdf)",
    )

    check = commands.add_parser("check", help="load every source and print its data quality")
    check.add_argument("workspace", metavar="WS", help="workspace folder")
    check.add_argument("--format", default="table", choices=["table", "json"], dest="output")

    metrics = commands.add_parser("metrics", help="print every KPI with n, interval and flags")
    metrics.add_argument("workspace", metavar="WS", help="workspace folder")
    metrics.add_argument(
        "--by", action="append", default=[], metavar="D", help="dimension (repeatable)"
    )
    metrics.add_argument("--grain", choices=["week", "month", "quarter", "year"], default=None)
    metrics.add_argument("--period", default="", metavar="P", help='e.g. "2026-Q3"; default all')
    metrics.add_argument("--compare", default="", metavar="P2", help="period to compare with")
    metrics.add_argument(
        "--format", default="table", choices=["table", "csv", "json"], dest="metrics_format"
    )

    drivers = commands.add_parser("drivers", help="key drivers: importance of each touchpoint")
    drivers.add_argument("workspace", metavar="WS", help="workspace folder")
    drivers.add_argument(
        "--outcome", default=None, metavar="C", help="nps, csat, ces or satisfied (default: first)"
    )
    drivers.add_argument(
        "--missing",
        default="auto",
        choices=["auto", "listwise", "pairwise"],
        help="answers missing for some ratings: auto (listwise when complete answers are plenty)",
    )
    drivers.add_argument("--performance", default="mean", choices=["mean", "top2"])
    drivers.add_argument("--resamples", type=int, default=200, help="bootstrap resamples")
    drivers.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    drivers.add_argument(
        "--format", default="table", choices=["table", "csv", "json"], dest="drivers_format"
    )

    init = commands.add_parser("init", help="start a workspace from a journey template")
    init.add_argument("directory", metavar="DIR", help="a new or empty folder")
    init.add_argument(
        "--template",
        default="retail",
        metavar="T",
        help="journey template: retail, ecommerce, saas, banking, airline (default: retail)",
    )
    init.add_argument("--name", default="", help="the programme's name (default: the folder's)")
    init.add_argument("--lang", default="en", choices=["en", "de", "da"], help="its language")
    _who_argument(init)

    export = commands.add_parser("export", help="write the workbook's content as YAML files")
    export.add_argument("workspace", metavar="WS", help="workspace folder")
    export.add_argument("directory", metavar="DIR", help="folder to write into")

    import_ = commands.add_parser("import", help="read YAML files written by 'export'")
    import_.add_argument("workspace", metavar="WS", help="workspace folder")
    import_.add_argument("directory", metavar="DIR", help="folder 'export' wrote")
    _who_argument(import_)

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


def _selection_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """--period, --segment and --lang: which data a report or poster shows, in which language."""
    parser.add_argument(
        "--period",
        default="",
        metavar="P",
        help='"2026", "2026-Q3", "2026-09", "last-month", … (default: all data)',
    )
    parser.add_argument("--segment", default="", metavar="D=V", help="e.g. region=Hamburg")
    parser.add_argument(
        "--lang",
        default="",
        choices=["en", "de", "da"],
        help=f"{what} language (default: the workspace's)",
    )


def _who_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--who",
        default="",
        metavar="NAME",
        help="name recorded in the workbook's history (default: your login name)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "report":
            return _report(args)
        if args.command == "check":
            return _check(args)
        if args.command == "metrics":
            return _metrics(args)
        if args.command == "drivers":
            return _drivers(args)
        if args.command == "poster":
            return _poster(args)
        if args.command in ("init", "export", "import"):
            return _workbook_command(args)
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
    from cxlib.exchange import seed_demo_workbook
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
    seed_demo_workbook(summary.directory)
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
    """Build one report set, or with --by one per value and an index.

    Exit status 2 for options that contradict each other (--by with --segment, two --by
    dimensions, --jobs below 1); 1 for what depends on the workspace: a --by dimension it lacks,
    a period without responses, a segment value no response has (checked before any notebook
    runs), or a report that failed — with --by, the others are still built and each failure is
    one line: the set, the notebook and the error.
    """
    from cxlib.report import UsageError, build_report_sets, build_reports
    from cxlib.report_progress import BatchProgress

    if args.jobs is not None and args.jobs < 1:
        print(f"cx-workbook: error: --jobs must be 1 or more; got {args.jobs}.", file=sys.stderr)
        return 2
    options = {
        "notebooks": args.notebook,
        "period": args.period,
        "segment": args.segment,
        "language": args.lang,
        "out": args.out,
        "pdf": args.pdf,
        "jobs": args.jobs,
    }
    try:
        if not args.by:
            for report in build_reports(args.workspace, progress=_progress, **options):
                print(report.html.resolve())
                if report.pdf is not None:
                    print(report.pdf.resolve())
            return 0
        progress = BatchProgress(sys.stderr)
        batch = build_report_sets(args.workspace, by=args.by, progress=progress, **options)
        progress.close()
    except UsageError as error:
        print(f"cx-workbook: error: {error.one_line()}", file=sys.stderr)
        return 2
    for report in batch.reports:
        print(report.html.resolve())
        if report.pdf is not None:
            print(report.pdf.resolve())
    print(batch.index.resolve())
    for failure in batch.failures:
        print(
            f"cx-workbook: error: {failure.label}, {failure.notebook}: {failure.error}",
            file=sys.stderr,
        )
    return 1 if batch.failures else 0


def _metrics(args: argparse.Namespace) -> int:
    from cxlib.kpis import render_rows, workspace_metrics
    from cxlib.workspace import load_workspace

    rows = workspace_metrics(
        load_workspace(args.workspace),
        by=args.by,
        grain=args.grain,
        period=args.period,
        compare=args.compare,
    )
    print(render_rows(rows, args.metrics_format))
    if args.metrics_format != "json":  # JSON carries them in "left_out"
        for item in rows.attrs.get("left_out", []):  # the ones the options left out
            if item["reason"].startswith(("missing_dimension", "no_series", "needs_period")):
                note = f"cx-workbook: note: left out {item['kpi']} ({item['reason']})"
                print(note, file=sys.stderr)
    return 0


def _drivers(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cxlib.drivers import choose_missing, default_outcome, key_drivers, render
    from cxlib.errors import ParameterError, did_you_mean
    from cxlib.sources import load_table
    from cxlib.workspace import load_workspace

    workspace = load_workspace(args.workspace)
    frame = load_table(workspace, "responses").frame
    ratings = [c for c in frame.columns if c.startswith("rating_")]
    if not ratings:
        raise ParameterError(
            "the responses have no touchpoint ratings to analyse.",
            hint="Map them under 'sources: responses: ratings:' in workspace.yaml.",
        )
    columns = [c for c in frame.columns if not c.startswith("_") and c not in ratings]
    outcome = args.outcome or default_outcome(columns)
    if outcome not in columns:
        raise ParameterError(
            f"unknown outcome {outcome!r}; columns there are: {', '.join(columns)}."
            + did_you_mean(outcome, columns)
        )
    result = key_drivers(
        frame,
        outcome=outcome,
        drivers=ratings,
        missing=choose_missing(frame, outcome, ratings) if args.missing == "auto" else args.missing,
        performance=args.performance,
        scale=workspace.sources["responses"][0].rating_scale,
        resamples=args.resamples,
        seed=args.seed,
    )
    names = [c.removeprefix("rating_") for c in result.rows["driver"]]
    result = replace(result, rows=result.rows.assign(driver=names))
    print(render(result, args.drivers_format))
    return 0


def _check(args: argparse.Namespace) -> int:
    import json

    from cxlib.i18n import Translator
    from cxlib.quality import report_row
    from cxlib.sources import check_workspace
    from cxlib.workspace import load_workspace

    result = check_workspace(load_workspace(args.workspace))
    tr = Translator("en")
    rows = [report_row(report, tr) for report in result.reports]
    errors = [{"table": t, "path": str(p), "error": e.one_line()} for t, p, e in result.errors]
    if args.output == "json":
        print(
            json.dumps(
                {"schema_version": 1, "rows": rows, "errors": errors}, indent=2, ensure_ascii=False
            )
        )
    else:
        for row in rows:
            print(_check_text(row))
    for error in errors:
        print(f"cx-workbook: error: {error['error']}", file=sys.stderr)
    return 0 if result.ok else 1


def _check_text(row: dict[str, object]) -> str:
    """One file's quality report as a few readable lines."""
    lines = [
        f"{row['table']}: {row['path']} ({row['encoding']})",
        f"  rows read {row['rows_read']:,}, kept {row['rows_kept']:,}"
        + (f", {row['deduplicated']:,} repeated rows merged" if row["deduplicated"] else ""),
    ]
    for title, key in (("dropped", "dropped"), ("flagged", "warnings")):
        for reason, detail in row[key].items():  # type: ignore[attr-defined]
            lines.append(
                f"  {title}: {reason}: {detail['count']:,} (lines "
                f"{', '.join(map(str, detail['rows']))})"
            )
    for reason, count in row["coerced"].items():  # type: ignore[attr-defined]
        lines.append(f"  changed: {reason}: {count:,}")
    if row["unused_columns"]:
        lines.append(f"  unused columns: {', '.join(row['unused_columns'])}")  # type: ignore[arg-type]
    return "\n".join(lines)


def _who(args: argparse.Namespace) -> str:
    import getpass

    if args.who:
        return str(args.who)
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without /etc/passwd entry)
        return "cx-workbook"


def _workbook_command(args: argparse.Namespace) -> int:
    from cxlib import exchange
    from cxlib.workbook import Workbook
    from cxlib.workspace import load_workspace

    if args.command == "init":
        config = exchange.init_workspace(
            args.directory,
            template=args.template,
            name=args.name,
            language=args.lang,
            who=_who(args),
        )
        print(f"Workspace: {config.parent.resolve()} (journey template '{args.template}')")
        print(f"Next: put your survey export in {config.parent / 'data'}, map its columns in")
        print(f"{config}, then run: cx-workbook check {args.directory}")
        return 0
    workspace = load_workspace(args.workspace, require_files=False)
    with Workbook.open(workspace) as workbook:
        if args.command == "export":
            for path in exchange.export_workbook(workbook, args.directory):
                print(path.resolve())
            return 0
        result = exchange.import_workbook(workbook, args.directory, who=_who(args))
    added = ", ".join(_count(n, kind) for kind, n in result.added.items() if n) or "nothing"
    updated = ", ".join(_count(n, kind) for kind, n in result.updated.items() if n) or "nothing"
    print(f"Imported: added {added}; updated {updated}; {result.unchanged} unchanged.")
    return 0


def _poster(args: argparse.Namespace) -> int:
    from cxlib.journey_poster import export_poster

    path = export_poster(
        args.workspace,
        journey=args.journey,
        period=args.period,
        segment=args.segment,
        language=args.lang,
        fmt=args.format,
        out=args.out,
    )
    print(path.resolve())
    return 0


def _count(n: int, kind: str) -> str:
    return f"{n} {kind}" + ("" if n == 1 else "s")


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
