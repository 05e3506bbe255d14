"""The `cxloop` command, run as a person would: the installed console script in a fresh process.

Subprocesses always use SQLite in a throw-away data folder (DATABASE_URL is removed from their environment),
so they never touch the database of the test run.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import http.server
import json
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from cxloop import __version__
from cxloop.cli import main
from cxloop.demo.steps import STEPS

REPO = Path(__file__).resolve().parents[3]
CXLOOP = Path(sys.executable).parent / "cxloop"
STRONG_PASSWORD = "correct horse battery staple"
DEMO_DOMAIN = "hearthandthread.example"

_SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DEFAULT_FROM_EMAIL",
    "DJANGO_SETTINGS_MODULE",
    "LOG_LEVEL",
}


def cli_env(**variables: str) -> dict[str, str]:
    """The caller's environment without any CX Loop setting, plus `variables`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _SETTINGS_VARIABLES and not name.startswith(("CXLOOP_", "EMAIL_", "SECURE_"))
    }
    env.update(variables)
    return env


def cxloop(*args: str, stdin=subprocess.DEVNULL, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CXLOOP), *args],
        env=cli_env(**variables),
        cwd=REPO,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def query(data_dir: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(f"file:{data_dir / 'cxloop.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


# --- version ------------------------------------------------------------------------------------
def test_version_prints_name_and_version(capsys):
    main(["version"])

    assert capsys.readouterr().out == f"cxloop {__version__}\n"


def test_installed_console_script_prints_version():
    assert CXLOOP.exists(), "the cxloop console script is not installed in this environment"

    result = cxloop("version")

    assert result.returncode == 0
    assert result.stdout == f"cxloop {__version__}\n"


def test_unknown_command_exits_with_usage():
    result = cxloop("frobnicate")

    assert result.returncode == 2
    assert "usage: cxloop" in result.stderr


def test_port_outside_tcp_range_is_refused(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["demo", "--port", "70000", "--no-browser"])

    assert stopped.value.code == 2
    assert "--port 70000 is not a TCP port" in capsys.readouterr().err


# --- createadmin --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    """A data folder migrated once per module: copying it spares each test a full migration."""
    folder = tmp_path_factory.mktemp("migrated")
    result = cxloop("migrate", "--data-dir", str(folder))
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def data_dir(migrated_template, tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(migrated_template, folder)
    return folder


def test_createadmin_creates_staff_user_owning_a_new_workspace_in_a_new_folder(tmp_path):
    result = cxloop(
        "createadmin",
        "--email",
        "A@B.example",
        "--password",
        STRONG_PASSWORD,
        "--workspace",
        "X Co",
        "--data-dir",
        str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Created a@b.example, owner of workspace")
    assert query(tmp_path, "SELECT email, is_staff, is_superuser FROM accounts_user") == [
        ("a@b.example", 1, 1)
    ]
    assert query(tmp_path, "SELECT name, slug FROM accounts_workspace") == [("X Co", "x-co")]
    assert query(
        tmp_path,
        "SELECT m.role FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id WHERE u.email = ?",
        "a@b.example",
    ) == [("owner",)]


def test_created_admin_can_log_in_with_the_password(data_dir):
    cxloop(
        "createadmin", "--email", "a@b.example", "--password", STRONG_PASSWORD, "--data-dir", str(data_dir)
    )
    check = (
        "from django.contrib.auth import authenticate; "
        f"print(authenticate(username='a@b.example', password={STRONG_PASSWORD!r}) is not None, "
        "authenticate(username='a@b.example', password='wrong password!') is not None)"
    )

    result = cxloop("manage", "--data-dir", str(data_dir), "shell", "--no-imports", "-c", check)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_createadmin_without_workspace_creates_only_the_user(data_dir):
    result = cxloop(
        "createadmin",
        "--email",
        "a@b.example",
        "--data-dir",
        str(data_dir),
        CXLOOP_ADMIN_PASSWORD=STRONG_PASSWORD,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "Created a@b.example.\n"
    assert query(data_dir, "SELECT count(*) FROM accounts_workspace") == [(0,)]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "too short"),
        ("password1234", "too common"),
        ("8472910365", "entirely numeric"),
        ("a@b.example", "too similar to the email"),
    ],
)
def test_createadmin_refuses_a_weak_password_saying_why(password, reason, data_dir):
    result = cxloop(
        "createadmin", "--email", "a@b.example", "--password", password, "--data-dir", str(data_dir)
    )

    assert result.returncode != 0
    assert "password refused" in result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert query(data_dir, "SELECT count(*) FROM accounts_user") == [(0,)]


def test_createadmin_refuses_an_email_already_in_use(data_dir):
    args = (
        "createadmin",
        "--email",
        "a@b.example",
        "--password",
        STRONG_PASSWORD,
        "--data-dir",
        str(data_dir),
    )
    cxloop(*args)

    result = cxloop(*args)

    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_createadmin_without_password_and_terminal_fails_plainly(data_dir):
    result = cxloop("createadmin", "--email", "a@b.example", "--data-dir", str(data_dir))

    assert result.returncode != 0
    assert "no password" in result.stderr
    assert "CXLOOP_ADMIN_PASSWORD" in result.stderr


# --- demo ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR as a server binds: connections closed in TIME_WAIT do not hold the port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def loopback_health_server():
    """A stand-in web server on the loopback address answering 200 to everything; yields its URL."""

    class Healthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/health"
    server.shutdown()
    server.server_close()


def test_demo_start_up_check_ignores_a_proxy_from_the_environment(loopback_health_server, monkeypatch):
    from cxloop.cli import _wait_healthy

    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen's cached opener would hide the proxy

    _wait_healthy(loopback_health_server, procs=[], timeout=5)


class Demo:
    """`cxloop demo` in its own process group, its output read line by line on a thread."""

    BANNER = ("URL: ", "Login: ", "API key: ")

    def __init__(self, data_dir: Path, port: int, log: Path):
        self.log = log
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [str(CXLOOP), "demo", "--port", str(port), "--data-dir", str(data_dir), "--no-browser"],
            env=cli_env(),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def banner(self, timeout: float = 90) -> dict[str, str]:
        """The values of the URL, Login and API key lines, once all three are printed."""
        found: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(self.BANNER):
            remaining = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.0, remaining))
            except queue.Empty:
                pytest.fail(f"no demo banner within {timeout:.0f} s; stderr:\n{self.log.read_text()[-3000:]}")
            if line is None:
                pytest.fail(f"cxloop demo ended before its banner; stderr:\n{self.log.read_text()[-3000:]}")
            for prefix in self.BANNER:
                if line.startswith(prefix):
                    found[prefix.rstrip(": ")] = line[len(prefix) :]
        return found

    def interrupt(self, timeout: float = 20) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the whole process group. Returns the exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def group_is_gone(self, timeout: float = 5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def start_demo(tmp_path):
    """start_demo(data_dir, port) -> Demo; whatever is left running is killed after the test."""
    started: list[Demo] = []

    def _start(data_dir: Path, port: int) -> Demo:
        demo = Demo(data_dir, port, tmp_path / f"demo-{len(started)}.log")
        started.append(demo)
        return demo

    yield _start
    for demo in started:
        demo.kill()


def http_opener() -> urllib.request.OpenerDirector:
    """No proxy (the demo is on the loopback address), cookies kept like a browser."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def get_json(opener, url: str, headers: dict | None = None) -> dict:
    with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def log_in(opener, base_url: str, email: str, password: str) -> tuple[str, str]:
    """Fill in the login form like a browser; returns (final URL, page HTML)."""
    with opener.open(base_url + "login/", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "email": email, "password": password, "next": ""}
    ).encode()
    with opener.open(base_url + "login/", data=data, timeout=10) as response:
        return response.url, response.read().decode()


def test_demo_serves_the_product_stops_on_ctrl_c_and_restarts_with_the_same_login(tmp_path, start_demo):
    data_dir, port = tmp_path / "demo-data", free_port()

    # First start: migrates, seeds, serves, prints how to get in.
    demo = start_demo(data_dir, port)
    banner = demo.banner()
    base_url = banner["URL"]
    email, password = banner["Login"].split(" / ")
    opener = http_opener()

    assert base_url == f"http://127.0.0.1:{port}/"
    assert email == f"maya@{DEMO_DOMAIN}"
    assert banner["API key"].startswith("cxl_")
    assert get_json(opener, base_url + "api/v1/health") == {"status": "ok"}
    me = get_json(opener, base_url + "api/v1/me", {"Authorization": f"Bearer {banner['API key']}"})
    assert me["workspace"]["slug"] == "hearth-and-thread"
    assert me["scopes"] == ["read", "write"]
    final_url, home = log_in(opener, base_url, email, password)
    assert final_url == base_url
    assert "Hearth &amp; Thread" in home

    # Ctrl-C stops the server and the worker and frees the port.
    assert demo.interrupt() == 0
    assert demo.group_is_gone()
    assert port_is_free(port)

    # Second start on the same folder: same login, same key, nothing seeded twice.
    again = start_demo(data_dir, port)
    assert again.banner() == banner
    assert again.interrupt() == 0

    assert query(data_dir, "SELECT slug FROM accounts_workspace") == [("hearth-and-thread",)]
    assert query(data_dir, "SELECT count(*) FROM accounts_user WHERE email LIKE ?", f"%@{DEMO_DOMAIN}") == [
        (5,)
    ]
    active_demo_keys = "SELECT count(*) FROM accounts_apikey WHERE name = ? AND revoked_at IS NULL"
    assert query(data_dir, active_demo_keys, "Demo key (cxloop demo)") == [(1,)]
    recorded = query(data_dir, "SELECT name FROM core_seedstep ORDER BY id")
    assert recorded == [(step.__name__,) for step in STEPS]


def test_demo_refuses_a_port_in_use(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = cxloop("demo", "--port", str(port), "--data-dir", str(tmp_path), "--no-browser")

    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert not (tmp_path / "cxloop.sqlite3").exists()
