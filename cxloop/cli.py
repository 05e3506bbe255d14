"""The `cxloop` command: start the demo, serve, run the worker, migrate, create an admin, and more.

cxloop demo [--port N] [--data-dir DIR] [--no-browser]
cxloop serve [--host H] [--port N] [--workers N]
cxloop worker
cxloop migrate
cxloop createadmin --email E [--password P] [--workspace NAME]
cxloop version
cxloop manage <django command> ...
cxloop eval [--datasets DIR] [--tasks T,...] [--models M,...] [--quick] [--json]
cxloop analyze [--input FILE] [--output FILE] [--taxonomy TEMPLATE|none] [--batch-size N] [--quiet]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cxloop import __version__


def _fail(message: str, code: int = 2) -> None:
    print(f"cxloop: {message}", file=sys.stderr)
    raise SystemExit(code)


def _setup_django(data_dir: str | None = None) -> None:
    if data_dir:
        os.environ["CXLOOP_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxloop.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        _fail(f"configuration error: {exc}")


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        _fail("the database is not up to date: run `cxloop migrate` first.")


# --- commands ----------------------------------------------------------------------------------
def cmd_version(args) -> None:
    print(f"cxloop {__version__}")


def cmd_migrate(args) -> None:
    _setup_django(args.data_dir)
    _migrate(verbosity=1)


def cmd_manage(args) -> None:
    _setup_django(args.data_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cxloop manage", *args.rest])


def cmd_createadmin(args) -> None:
    _setup_django(args.data_dir)
    import getpass

    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from cxloop.accounts.models import User
    from cxloop.accounts.services import user_create, workspace_create
    from cxloop.core.exceptions import ServiceError

    password = args.password or os.environ.get("CXLOOP_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            _fail("no password: pass --password or set CXLOOP_ADMIN_PASSWORD when not run interactively.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            _fail("the passwords differ.")
    try:
        # With the would-be user, so a password that resembles the email or name is refused too.
        validate_password(password, User(email=args.email.strip().lower(), name=args.name or ""))
    except ValidationError as exc:
        _fail("password refused: " + " ".join(exc.messages))
    _migrate()
    try:
        user = user_create(email=args.email, password=password, name=args.name or "", is_staff=True)
        workspace = workspace_create(name=args.workspace, owner=user) if args.workspace else None
    except ServiceError as exc:
        _fail(exc.message)
    print(f"Created {user.email}" + (f", owner of workspace “{workspace.name}”." if workspace else "."))


def cmd_import(args) -> None:
    import json

    _setup_django(args.data_dir)
    from cxloop.accounts.models import Workspace
    from cxloop.core.exceptions import ServiceError
    from cxloop.feedback import imports
    from cxloop.feedback.mapping import MappingError, validate_mapping
    from cxloop.feedback.presets import PRESETS

    _require_migrated()
    path = Path(args.file)
    if not path.is_file():
        _fail(f"{path} is not a file.")
    workspace = Workspace.objects.filter(slug=args.workspace).first()
    if workspace is None:
        _fail(f"no workspace with the identifier {args.workspace!r} (see Settings › Workspace).")
    if args.preset:
        if args.preset not in PRESETS:
            _fail(f"unknown preset {args.preset!r}; known: {', '.join(PRESETS)}")
        mapping = PRESETS[args.preset]["mapping"]
    elif args.mapping:
        try:
            mapping = json.loads(Path(args.mapping).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            _fail(f"cannot read the mapping {args.mapping}: {exc}")
    else:
        _fail("give --mapping M.json or --preset NAME.")
    try:
        validate_mapping(mapping)
        job = imports.import_from_path(workspace=workspace, user=None, path=path)
    except (MappingError, ServiceError) as exc:
        _fail(getattr(exc, "message", str(exc)))
    job.mapping, job.dry_run = mapping, args.dry_run
    job.save(update_fields=["mapping", "dry_run"])

    def progress(j):
        print(
            f"\r{j.processed_rows:,} rows · {j.created_count:,} new · {j.existing_count:,} already there · "
            f"{j.error_count:,} errors",
            end="",
            file=sys.stderr,
            flush=True,
        )

    job = imports.import_run(job_id=job.pk, progress=progress)
    print(file=sys.stderr)
    verb = "would be created (dry run)" if job.dry_run else "created"
    print(
        f"{job.status}: {job.processed_rows} rows, {job.created_count} {verb}, {job.existing_count} already "
        f"there, {job.skipped_count} skipped, {job.error_count} with errors."
    )
    if job.error:
        print(f"error: {job.error}", file=sys.stderr)
    if job.error_count:
        report = path.with_suffix(".errors.csv")
        with open(report, "w", newline="") as fh:
            fh.writelines(imports.import_report_csv(job))
        print(f"Per-row report: {report}")
    raise SystemExit(0 if job.status == "done" else 1)


def cmd_eval(args) -> None:
    import json

    from cxloop.analysis.ml import evaluate

    folder = Path(args.datasets).expanduser() if args.datasets else evaluate.default_datasets_dir()
    try:
        report = evaluate.run_eval(
            folder,
            args.tasks,
            columns=args.models,
            quick=args.quick,
            progress=lambda line: print(f"… {line}", file=sys.stderr, flush=True),
        )
    except (ValueError, evaluate.DatasetError) as exc:
        _fail(str(exc))
    print(json.dumps(report, indent=2) if args.json else evaluate.format_report(report))
    failed = evaluate.failed_columns(report)
    if failed:
        _fail(f"{len(failed)} column(s) failed: {'; '.join(failed)}", code=1)


def _template_reader(template: str):
    """pipeline.read with the themes of an industry template (cxloop/analysis/taxonomies.py)."""
    from functools import partial

    from cxloop.analysis.ml import pipeline
    from cxloop.analysis.taxonomies import TEMPLATES, template_theme_model

    if template not in TEMPLATES:
        _fail(f"--taxonomy {template!r} is not a template; choose from: {', '.join(TEMPLATES)}, none.")
    return partial(pipeline.read, themes=template_theme_model(template))


def cmd_analyze(args) -> None:
    from cxloop.analysis.ml import analyze

    if not 1 <= args.batch_size <= analyze.MAX_BATCH_SIZE:
        _fail(f"--batch-size {args.batch_size} is out of range (1-{analyze.MAX_BATCH_SIZE}).")
    read = None
    if args.taxonomy != "none":
        read = _template_reader(args.taxonomy)
    from_stdin = args.input in (None, "-")
    to_stdout = args.output in (None, "-")
    if not from_stdin and not to_stdout:
        try:
            same = Path(args.input).resolve() == Path(args.output).resolve() or (
                Path(args.output).exists() and os.path.samefile(args.input, args.output)
            )
        except OSError:
            same = False
        if same:
            _fail("--input and --output are the same file: the output would overwrite the input.")
    try:
        source = sys.stdin.buffer if from_stdin else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        _fail(f"cannot read {args.input}: {exc.strerror or exc}")
    try:
        sink = sys.stdout.buffer if to_stdout else open(args.output, "wb")  # noqa: SIM115
    except OSError as exc:
        if not from_stdin:
            source.close()
        _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    if from_stdin and not args.quiet and sys.stdin.isatty():
        print("cxloop analyze: reading JSON lines from standard input (Ctrl-D to end)", file=sys.stderr)

    started = time.monotonic()
    try:
        stats = analyze.analyze_stream(
            analyze.iter_lines(source),
            lambda line: sink.write(line.encode("utf-8")),
            read=read,
            batch_size=args.batch_size,
            flush=sink.flush,
        )
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except OSError as exc:
        _fail(f"analysis stopped: {exc.strerror or exc}", code=1)
    finally:
        if not from_stdin:
            source.close()
        if not to_stdout:
            sink.close()
    if not args.quiet:
        elapsed = time.monotonic() - started
        texts, errors = stats.analysed + stats.invalid, stats.errors
        print(
            f"cxloop analyze: {texts:,} text{'s' * (texts != 1)}, {errors:,} error{'s' * (errors != 1)} "
            f"in {elapsed:.1f} s ({texts / max(elapsed, 1e-9):,.0f} texts/s)",
            file=sys.stderr,
        )


def cmd_worker(args) -> None:
    _setup_django(args.data_dir)
    _require_migrated()
    from django.core.management import call_command

    from cxloop.metrics.tasks import ensure_tick

    ensure_tick()  # the scheduler of metric alerts and reports (cxloop/metrics/tasks.py)
    call_command("db_worker", queue_name="*", interval=args.interval, reload=False, startup_delay=False)


def _gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "cxloop.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-" if os.environ.get("CXLOOP_ACCESS_LOG") else "/dev/null",
        "--error-logfile",
        "-",
        "--no-control-socket",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]


def cmd_serve(args) -> None:
    _setup_django(args.data_dir)  # fails early on bad settings, before gunicorn forks
    _require_migrated()
    _check_port_free(args.host, args.port)
    os.execv(sys.executable, _gunicorn_argv(args.host, args.port, args.workers))


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            _fail(f"port {port} on {host} is in use: choose another with --port.")


def _wait_healthy(url: str, procs: list[subprocess.Popen], timeout: float = 60) -> None:
    # Our own loopback server: never through a proxy from the environment (http_proxy without no_proxy).
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a process stopped during start-up (exit code {proc.returncode})")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the web server did not answer {url} within {timeout:.0f} s")


def _stop_all(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cmd_demo(args) -> None:
    data_dir = (
        Path(args.data_dir or os.environ.get("CXLOOP_DATA_DIR") or "cxloop-demo-data").expanduser().resolve()
    )
    host, port = "127.0.0.1", args.port
    base_url = f"http://{host}:{port}"
    # The demo serves plain HTTP on the loopback address: no HTTPS-only cookies or redirects there.
    os.environ["CXLOOP_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("CXLOOP_HTTPS", "false")
    os.environ.setdefault("CXLOOP_BASE_URL", base_url)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    _check_port_free(host, port)
    _setup_django()
    print(f"Preparing the demo in {data_dir} …", flush=True)
    _migrate()
    from cxloop.demo.seed import seed_demo

    creds = seed_demo(data_dir=data_dir, out=lambda line: print(line, flush=True))

    env = dict(os.environ)
    procs = [
        subprocess.Popen(_gunicorn_argv(host, port, args.workers), env=env),
        subprocess.Popen([sys.executable, "-m", "cxloop.cli", "worker"], env=env),
    ]
    stopping = False

    def _on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        _wait_healthy(f"{base_url}/api/v1/health", procs)
    except RuntimeError as exc:
        _stop_all(procs)
        _fail(str(exc), code=1)
    print(f"URL: {base_url}/")
    print(f"Login: {creds.email} / {creds.password}")
    print(f"API key: {creds.api_key}")
    print(
        "Other demo users (same password): tom@ (admin), priya@ (analyst), luis@ (agent), ella@ (viewer)"
        " at hearthandthread.example. Press Ctrl-C to stop.",
        flush=True,
    )
    if not args.no_browser:
        import webbrowser

        webbrowser.open(f"{base_url}/login/")
    exit_code = 0
    while not stopping:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            print(
                f"cxloop: a demo process stopped (exit code {dead[0].returncode}); stopping the rest.",
                file=sys.stderr,
            )
            exit_code = 1
            break
        time.sleep(0.5)
    _stop_all(procs)
    print("Stopped.", flush=True)
    raise SystemExit(exit_code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxloop", description="CX Loop: self-hosted customer experience.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_: str, data_dir: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        if data_dir:
            p.add_argument("--data-dir", help="data folder (default: $CXLOOP_DATA_DIR or ./data)")
        return p

    add("version", cmd_version, "print the version", data_dir=False)
    p = add("demo", cmd_demo, "start the product with demo data: web server and worker", data_dir=False)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", help="data folder (default: ./cxloop-demo-data)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--workers", type=int, default=2, help="web server processes (default 2)")
    p = add("serve", cmd_serve, "run the web server (gunicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1)))
    p = add("worker", cmd_worker, "run the background worker (Django Tasks, database queue)")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between polls when idle")
    add("migrate", cmd_migrate, "create or upgrade the database tables")
    p = add("createadmin", cmd_createadmin, "create an administrator (and optionally their workspace)")
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="or set CXLOOP_ADMIN_PASSWORD; asked for when omitted")
    p.add_argument("--name", default="")
    p.add_argument("--workspace", help="create a workspace with this name, owned by the admin")
    p = add("import", cmd_import, "import feedback or events from a CSV, XLSX or JSONL file")
    p.add_argument("file")
    p.add_argument("--workspace", required=True, help="the workspace's identifier (slug)")
    p.add_argument("--mapping", help="a mapping JSON file (see cxloop/feedback/mapping.py)")
    p.add_argument(
        "--preset", help="a ready-made mapping: generic_reviews, zendesk_tickets, app_store_reviews"
    )
    p.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    p = add(
        "eval",
        cmd_eval,
        "measure the text analysis against baselines on the public data sets",
        data_dir=False,
    )
    p.add_argument(
        "--datasets",
        metavar="DIR",
        help="the data sets folder (default: shared/datasets beside the repository)",
    )
    p.add_argument(
        "--tasks",
        metavar="T,...",
        help="comma-separated tasks or groups (default: all; a wrong name lists them)",
    )
    p.add_argument(
        "--models", metavar="M,...", help="comma-separated columns (default: all; a wrong name lists them)"
    )
    p.add_argument("--quick", action="store_true", help="subsample every data set for a fast smoke run")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p = add(
        "analyze",
        cmd_analyze,
        'read texts as JSON lines ({"id", "text"}) and write their analysis as JSON lines',
        data_dir=False,
    )
    p.add_argument("--input", metavar="FILE", help="JSON lines to read (default or -: standard input)")
    p.add_argument("--output", metavar="FILE", help="where to write (default or -: standard output)")
    p.add_argument(
        "--batch-size", type=int, default=256, metavar="N", help="texts read together (1-10000, default 256)"
    )
    p.add_argument(
        "--taxonomy",
        default="online_retail",
        metavar="TEMPLATE",
        help="the industry template whose themes are looked for: online_retail (default), saas, banking, "
        "telecom, hospitality, or none",
    )
    p.add_argument("--quiet", action="store_true", help="no summary on standard error")
    p = add("manage", cmd_manage, "run any Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "port", None) is not None and not 1 <= args.port <= 65535:
        _fail(f"--port {args.port} is not a TCP port (1-65535).")
    args.func(args)


if __name__ == "__main__":
    main()
