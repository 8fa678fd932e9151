"""Import benchmark: this upload pipeline against django-import-export 4.4.3, side by side.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--rounds 2] [--formats xlsx,csv]
    .venv/bin/python bench/import_bench.py --rss [--rss-rows 1000000] [--formats xlsx,csv]
        (--formats xlsx-shared: an xlsx with its texts in shared strings, as Excel saves it;
        ods and xls too: an .xls sheet holds at most 65,535 rows below its header, so an xls
        file has that many rows at most)

1. Speed: the same generated members file (xlsx and csv, cached in --cache-dir) imported end to
   end into an empty members table, in alternating rounds: this pipeline (upload_create, then
   jobs.runner.execute in this process, as an RQ horse would) and django-import-export in bulk
   mode (the file read with tablib, then ModelResource.import_data in one transaction). Each round
   prints seconds and rows/s; the figure is the ratio of the medians, theirs / ours (how many
   times faster this pipeline is). Our pipeline's own split (read, validate, write) is printed
   from its "uploads.importing" log line.
2. --rss: the peak RSS of a fresh process (this script, started cold) that imports a large xlsx
   and a large csv through this pipeline, as reported by the process itself (ru_maxrss).

Uses DATABASE_URL when set, otherwise SQLite, and an embedded Redis, in a temporary directory
under --cache-dir. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, cast
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

# The test files' helpers (and openpyxl with them) are imported only where a file is generated
# or import-export runs: the cold process of --rss measures what a worker holds, not them.

DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # queueproject.settings' UPLOAD_MAX_BYTES default
RSS_CHILD_TIMEOUT = 900


@dataclass
class Run:
    seconds: float
    rows: int
    detail: str = ""


class PipelineLog(logging.Handler):
    """Keeps the "uploads.importing" log lines of the last run."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def take(self) -> str:
        text = "; ".join(self.lines)
        self.lines.clear()
        return text


PIPELINE_LOG = PipelineLog()


# -- the files ---------------------------------------------------------------------------------


def member_rows(count: int) -> Iterator[list[Any]]:
    """`count` valid rows with distinct ID numbers. tests.uploads.files.members() repeats its ID
    numbers every 30,000 rows (birth date and serial both cycle), so it cannot make more."""
    from tests.uploads.files import MEMBER_HEADER, member_row, sa_id

    born_at = MEMBER_HEADER.index("date_of_birth")
    for n in range(count):
        row = member_row(n)
        citizen, serial = divmod(n // 15000, 10000)
        born = dt.date.fromisoformat(row[born_at])
        row[0] = sa_id(born, serial=serial, citizen=citizen)
        yield row


XLS_MAX_ROWS = 65_535  # BIFF8: 65,536 rows per sheet, the header included


def data_file(file_type: str, count: int, cache: Path) -> Path:
    """The members file of `count` rows, generated once."""
    from tests.uploads.files import MEMBER_HEADER, write_csv, write_xls, write_xlsx

    if file_type == "xls":
        count = min(count, XLS_MAX_ROWS)
    name = f"members-{count}-shared.xlsx" if file_type == SHARED else f"members-{count}.{file_type}"
    path = cache / name
    if path.exists():
        return path
    began = time.perf_counter()
    part = path.with_name(f"{path.name}.part")
    rows = chain([MEMBER_HEADER], member_rows(count))
    if file_type == SHARED:
        write_shared_strings_xlsx(part, rows, count + 1)
    elif file_type == "xlsx":
        write_xlsx(part, {"Members": cast("list[list[Any]]", rows)})  # it only iterates them
    elif file_type == "ods":
        write_ods_stream(part, rows)
    elif file_type == "xls":
        write_xls(part, {"Members": list(rows)})
    else:
        write_csv(part, rows)
    part.rename(path)
    print(f"generated {path} in {time.perf_counter() - began:.0f} s", flush=True)
    return path


SHARED = "xlsx-shared"  # --formats name of an xlsx as Excel writes it (texts in shared strings)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def write_shared_strings_xlsx(path: Path, rows: Iterator[list[Any]], count: int) -> None:
    """An xlsx as Excel saves one: every text once in xl/sharedStrings.xml, cells t="s" pointing
    at it (openpyxl's write-only mode writes inline strings instead)."""
    index: dict[str, int] = {}
    letters = [chr(65 + i) for i in range(26)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'<worksheet xmlns="{MAIN_NS}"><dimension ref="A1:I{count}"/><sheetData>'.encode()
            )
            for number, row in enumerate(rows, start=1):
                cells = "".join(
                    f'<c r="{letters[i]}{number}" t="s"><v>{index.setdefault(str(v), len(index))}'
                    "</v></c>"
                    for i, v in enumerate(row)
                )
                sheet.write(f'<row r="{number}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(f'<sst xmlns="{MAIN_NS}" uniqueCount="{len(index)}">'.encode())
            for text in index:
                strings.write(f"<si><t>{xml_escape(text)}</t></si>".encode())
            strings.write(b"</sst>")
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Members" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def write_ods_stream(path: Path, rows: Iterator[list[Any]]) -> None:
    """An .ods as LibreOffice writes one (texts as string cells), streamed: odfpy builds the
    whole document in memory, too slow for a million rows."""
    mime = "application/vnd.oasis.opendocument.spreadsheet"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
        book.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            f'manifest:1.0"><manifest:file-entry manifest:full-path="/" '
            f'manifest:media-type="{mime}"/></manifest:manifest>',
        )
        with book.open("content.xml", "w", force_zip64=True) as content:
            content.write(
                f"<office:document-content {ODS_NS}><office:body><office:spreadsheet>"
                '<table:table table:name="Members">'.encode()
            )
            for row in rows:
                cells = "".join(
                    '<table:table-cell office:value-type="string">'
                    f"<text:p>{xml_escape(str(value))}</text:p></table:table-cell>"
                    for value in row
                )
                content.write(f"<table:table-row>{cells}</table:table-row>".encode())
            content.write(
                b"</table:table></office:spreadsheet></office:body></office:document-content>"
            )


def megabytes(path: Path) -> str:
    return f"{path.stat().st_size / (1 << 20):.1f} MB"


# -- the environment ---------------------------------------------------------------------------


def setup_environment(tmp: Path) -> object | None:
    tempfile.tempdir = str(tmp)  # upload_create spools here
    server = common.setup_environment(tmp)
    pipeline_logger = logging.getLogger("uploads.importing")
    pipeline_logger.setLevel(logging.INFO)
    pipeline_logger.addHandler(PIPELINE_LOG)
    pipeline_logger.propagate = False
    return server


def stop_server(server: object | None) -> None:
    if server is not None:
        server.stop()  # type: ignore[attr-defined]


def database_name() -> str:
    from django.conf import settings

    return str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]


def truncate() -> None:
    """Empty the members table. On PostgreSQL with TRUNCATE: a DELETE leaves every row dead in
    the table and its indexes until autovacuum comes by, and the next run, ours or theirs, wrote
    into that bloat (10.7 million dead rows were found after a day of runs)."""
    from django.db import connection

    from uploads.models import Member

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(Member._meta.db_table)}")
    else:
        Member.objects.all().delete()


def member_count() -> int:
    from uploads.models import Member

    return Member.objects.count()


# -- this pipeline -----------------------------------------------------------------------------


def run_ours(path: Path) -> Run:
    from jobs import runner
    from jobs.models import JobStatus, QueueJob
    from uploads.services import upload_create

    began = time.perf_counter()
    with path.open("rb") as stream:
        upload = upload_create(stream=stream, original_name=path.name, import_type="members")
    stored = time.perf_counter() - began
    if upload.job is None:
        return Run(time.perf_counter() - began, member_count(), "upload_create queued no job")
    runner.execute(str(upload.job.pk))
    seconds = time.perf_counter() - began
    job = QueueJob.objects.get(pk=upload.job.pk)
    detail = f"upload_create={stored * 1000:.0f} ms; {PIPELINE_LOG.take()}"
    if job.status != JobStatus.COMPLETED:
        detail += f"; job {job.status}: {job.error_message}"
    return Run(seconds, member_count(), detail)


# -- django-import-export ----------------------------------------------------------------------


def member_resource() -> Any:
    """A bulk ModelResource for Member. Text columns import as text; the province name is mapped
    to its code (the column is 3 characters: PostgreSQL refuses the name); no HTML diffs (they
    are only for the admin's confirmation page)."""
    from import_export import fields, resources, widgets

    from tests.uploads.files import MEMBER_HEADER
    from uploads.models import Member
    from uploads.validators import PROVINCES

    codes = {name: code for code, name in PROVINCES.items()}

    class ProvinceWidget(widgets.CharWidget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            text = super().clean(value, row, **kwargs)
            return codes.get(text, text)

    class MemberResource(resources.ModelResource):
        province = fields.Field(
            attribute="province", column_name="province", widget=ProvinceWidget()
        )
        date_of_birth = fields.Field(
            attribute="date_of_birth",
            column_name="date_of_birth",
            widget=widgets.DateWidget(format="%Y-%m-%d"),
        )

        class Meta:
            model = Member
            fields = tuple(MEMBER_HEADER)
            import_id_fields = ["id_number"]
            use_bulk = True
            batch_size = 1000
            skip_unchanged = True
            skip_html_diff = True

    return MemberResource()


def run_theirs(path: Path, file_type: str) -> Run:
    import tablib

    began = time.perf_counter()
    raw = path.read_bytes()
    dataset = tablib.Dataset().load(raw if file_type == "xlsx" else raw.decode(), format=file_type)
    loaded = time.perf_counter() - began
    result = member_resource().import_data(
        dataset, dry_run=False, raise_errors=False, use_transactions=True
    )
    seconds = time.perf_counter() - began
    detail = f"tablib load={loaded * 1000:.0f} ms; totals {dict(result.totals)}"
    return Run(seconds, member_count(), detail + first_error(result))


def first_error(result: Any) -> str:
    if result.base_errors:
        return f"; error: {result.base_errors[0].error!r}"
    if result.row_errors():
        number, errors = result.row_errors()[0]
        return f"; row {number} error: {errors[0].error!r}"
    if result.invalid_rows:
        return f"; invalid row: {result.invalid_rows[0].error!r}"
    return ""


# -- speed -------------------------------------------------------------------------------------


def timed(label: str, run: Any, expected: int) -> float:
    truncate()
    result: Run = run()
    rate = result.rows / result.seconds
    print(f"    {label:<6} {result.seconds:7.2f} s {rate:9.0f} rows/s  ({result.rows:,} rows)")
    print(f"           {result.detail}", flush=True)
    if result.rows != expected:
        print(f"    WARNING: {label} left {result.rows:,} rows in the table, not {expected:,}")
    return result.seconds


def compare(file_type: str, path: Path, rows: int, rounds: int) -> None:
    print(f"{file_type}: {path.name} ({megabytes(path)})", flush=True)
    ours: list[float] = []
    theirs: list[float] = []
    for round_ in range(1, rounds + 1):
        print(f"  round {round_}:")
        ours.append(timed("ours", lambda: run_ours(path), rows))
        theirs.append(timed("theirs", lambda: run_theirs(path, file_type), rows))
    mine, other = statistics.median(ours), statistics.median(theirs)
    print(
        f"  {file_type} median of {rounds}: ours {mine:.2f} s ({rows / mine:.0f} rows/s), "
        f"import-export {other:.2f} s ({rows / other:.0f} rows/s), "
        f"ratio theirs/ours {other / mine:.2f}",
        flush=True,
    )
    truncate()


def speed(args: argparse.Namespace, cache: Path) -> None:
    paths = {t: data_file(t, args.rows, cache) for t in args.formats}
    with tempfile.TemporaryDirectory(prefix="run-", dir=cache) as tmp:
        server = setup_environment(Path(tmp))
        print(
            f"database: {database_name()}, redis: {'embedded' if server else 'REDIS_URL db 14'}, "
            f"rows: {args.rows:,}, rounds: {args.rounds}",
            flush=True,
        )
        for file_type, path in paths.items():
            compare(file_type, path, args.rows, args.rounds)
        stop_server(server)


# -- peak RSS ----------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak RSS. VmHWM where Linux gives it: ru_maxrss carries over the RSS of the
    parent at fork time across exec, so a parent that had just generated a large file (in
    memory) lent the child its peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_child(path: Path, cache: Path) -> None:
    """A cold process: set up, import one file through the pipeline, print JSON figures."""
    with tempfile.TemporaryDirectory(prefix="rss-", dir=cache) as tmp:
        server = setup_environment(Path(tmp))
        truncate()
        baseline = peak_rss_mib()
        run = run_ours(path)
        report = {
            "database": database_name(),
            "baseline_mib": baseline,
            "peak_mib": peak_rss_mib(),
            "seconds": run.seconds,
            "rows": run.rows,
            "detail": run.detail,
        }
        truncate()
        stop_server(server)
    print(json.dumps(report), flush=True)


def rss_run(file_type: str, rows: int, cache: Path) -> None:
    rows = min(rows, XLS_MAX_ROWS) if file_type == "xls" else rows
    path = data_file(file_type, rows, cache)
    env = dict(os.environ)
    size = path.stat().st_size
    if size > DEFAULT_MAX_BYTES and "UPLOAD_MAX_BYTES" not in env:
        env["UPLOAD_MAX_BYTES"] = str(size + 1)
        print(
            f"  note: {path.name} is {megabytes(path)}, over the 100 MB UPLOAD_MAX_BYTES "
            "default; raised to its size for this run"
        )
    argv = [sys.executable, __file__, "--cache-dir", str(cache), "--rss-child", str(path)]
    try:
        proc = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=RSS_CHILD_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"  {file_type}: the child did not finish within {RSS_CHILD_TIMEOUT} s")
        return
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        print(f"  {file_type}: the child failed ({proc.returncode}): {proc.stderr[-2000:]}")
        return
    report = json.loads(lines[-1])
    print(
        f"  {file_type} {rows:,} rows ({megabytes(path)}), {report['database']}: "
        f"peak RSS {report['peak_mib']:.0f} MiB (after setup {report['baseline_mib']:.0f} MiB), "
        f"{report['seconds']:.1f} s, {report['rows']:,} rows imported"
    )
    print(f"      {report['detail']}", flush=True)


# -- main --------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--formats", default="xlsx,csv", type=lambda s: s.split(","))
    parser.add_argument("--rss", action="store_true", help="peak RSS of a cold import instead")
    parser.add_argument("--rss-rows", type=int, default=1_000_000)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/importbench"))
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cache: Path = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    if args.rss_child:
        rss_child(args.rss_child, cache)
    elif args.rss:
        print(f"peak RSS of a cold process importing {args.rss_rows:,} rows:", flush=True)
        for file_type in args.formats:
            rss_run(file_type, args.rss_rows, cache)
    else:
        speed(args, cache)


if __name__ == "__main__":
    main()
