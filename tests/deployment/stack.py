"""The production shape on loopback, for the fault drill: each part started, watched and stopped.

Everything here is the drill's own: a PostgreSQL cluster and a Redis on free ports, an SMTP
server in this process, gunicorn instances, nginx and a supervised email worker. Nothing touches
the machine's PostgreSQL or Redis. Every process starts in a session of its own, so stopping it
stops whatever it started (gunicorn's workers, nginx's), and `Stack.close()` stops them all
whatever happened before.

Over 600 lines: every part of the production shape the drill starts, in one place, so that
`Stack.close()` can be read beside what it stops.
"""

import asyncio
import collections
import contextlib
import http.client
import logging
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from glob import glob
from pathlib import Path

from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# The address the portal answers on: deploy/nginx/involvement.conf's server_name, unchanged.
HOST = "involvement.example.nhs.uk"
LOOPBACK = "127.0.0.1"
# Where deploy/ expects the portal's code; the drill runs it from this work tree instead.
INSTALLED_AT = "/srv/involvement"

TOOLS = {
    "nginx": "the reference proxy, deploy/nginx/involvement.conf",
    "openssl": "a throwaway TLS certificate",
    "redis-server": "the drill's own Redis",
}


def missing_tools():
    """What the drill needs and cannot find, with what each is for."""
    missing = [f"{tool} ({why})" for tool, why in TOOLS.items() if shutil.which(tool) is None]
    if not postgres_bin("initdb"):
        missing.append("PostgreSQL's initdb and pg_ctl (the drill's own cluster)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (PostgreSQL will not run as root)")
    return missing


def postgres_bin(name):
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    return found[-1] if found else shutil.which(name)


def _version_key(path):
    match = re.search(r"/postgresql/(\d+)", path)
    return int(match.group(1)) if match else 0


def wait_for(what, check, timeout, interval=0.1):
    """Call check() until it returns something true; its value, or RuntimeError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = check()
            if value:
                return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout} s")
        time.sleep(interval)


def tail(path, lines=25):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def unit_command(unit):
    """The ExecStart= command line of one of deploy/systemd's units, with the paths of this work
    tree in place of /srv/involvement: the drill runs what is deployed."""
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    match = re.search(r"^ExecStart=(.*)$", text, re.M)
    assert match, f"deploy/systemd/{unit} has no ExecStart="
    venv = Path(sys.executable).parent
    command = match.group(1).replace(f"{INSTALLED_AT}/.venv/bin/", f"{venv}/")
    return command.replace(INSTALLED_AT, str(ROOT)).split()


class Process:
    """One child process in its own session, its output in a log file."""

    def __init__(self, name, command, log, env=None, cwd=ROOT):
        self.name = name
        self.command = [str(part) for part in command]
        self.log = Path(log)
        self.env = env
        self.cwd = cwd
        self.popen = None

    def start(self):
        with open(self.log, "ab") as log:
            self.popen = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the whole process group, then kill it if it has not gone after `timeout`."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in the group (a worker whose parent has gone) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


# PostgreSQL ----------------------------------------------------------------------------------


class Postgres:
    """A cluster of the drill's own: trust authentication on loopback, a free port, its socket in
    its own folder. PostgreSQL refuses to run as root, so as root (CI) it runs as `postgres`."""

    def __init__(self, logs):
        self.port = free_port()
        # Not under pytest's temporary folder, which only root can enter.
        self.dir = Path(tempfile.mkdtemp(prefix="involvement-drill-pg-"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgresql.log"
        self.logs = Path(logs)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgres://postgres@{LOOPBACK}:{self.port}/involvement"

    def _as_owner(self, command):
        command = [str(part) for part in command]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, *command, timeout=60):
        return subprocess.run(
            self._as_owner(command), capture_output=True, text=True, timeout=timeout,
            cwd=self.dir, check=True,
        )

    def start(self):
        self._run(postgres_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        self.options = (
            f"-p {self.port} -c listen_addresses={LOOPBACK} -k {self.dir} "
            # Durability is not what the drill tests; without fsync the migrations run faster.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=60"
        )
        self.start_again()
        self.query("CREATE DATABASE involvement", database="postgres")

    def start_again(self):
        self._run(postgres_bin("pg_ctl"), "-D", self.data, "-l", self.logfile, "-o",
                  self.options, "-w", "-t", "30", "start")

    def stop_fast(self):
        """`pg_ctl stop -m fast`: connections cut, nothing accepted until start_again()."""
        self._run(postgres_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "-t", "30",
                  "stop")

    def restart(self):
        """`pg_ctl restart -m fast`, as an operator would: every connection is cut."""
        self._run(postgres_bin("pg_ctl"), "-D", self.data, "-l", self.logfile, "-m", "fast", "-w",
                  "-t", "30",
                  "restart")

    def accepting(self):
        try:
            self.query("SELECT 1", connect_timeout=1)
        except Exception:
            return False
        return True

    def connect(self, database="involvement", connect_timeout=5):
        import psycopg2

        return psycopg2.connect(host=LOOPBACK, port=self.port, user="postgres",
                                dbname=database, connect_timeout=connect_timeout)

    def query(self, sql, params=None, database="involvement", connect_timeout=5):
        connection = self.connect(database, connect_timeout)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def stop(self):
        if self.data.exists():
            with contextlib.suppress(Exception):
                self._run(postgres_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w",
                          "stop", timeout=30)
        with contextlib.suppress(OSError):
            shutil.copy(self.logfile, self.logs / "postgresql.log")
        shutil.rmtree(self.dir, ignore_errors=True)


# Redis ---------------------------------------------------------------------------------------


class Redis:
    """The drill's Redis, with the memory limit and eviction policy of deploy/redis.conf (a
    smaller limit), nothing saved to disk. Stopped and started again by the drill."""

    def __init__(self, workdir):
        self.port = free_port()
        self.workdir = Path(workdir)
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self.process = None

    def start(self):
        self.process = Process("redis", [
            "redis-server", "--port", self.port, "--bind", LOOPBACK, "--save", "",
            "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru",
            "--dir", self.workdir, "--daemonize", "no",
        ], self.workdir / "redis.log").start()
        wait_for("redis", lambda: self.client().ping(), 10)
        self.started_at = time.monotonic()
        return self

    def client(self):
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=5)

    def stop(self):
        if self.process:
            self.process.stop(signal.SIGTERM, timeout=10)


# SMTP ----------------------------------------------------------------------------------------


class CountingMailbox:
    """An aiosmtpd handler that counts the messages each recipient receives. `delay` slows each
    recipient down (before the message is sent, so a worker killed then has delivered nothing
    for it): the email worker then takes long enough to be killed half-way through a queue."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = collections.Counter()
        self.delay = 0.0
        self.last_at = None  # monotonic time of the last message
        self.last_to = None  # the recipient of the last message accepted
        self.in_flight = None  # the recipient being accepted (slowly) right now

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay:
            # Being handed over now: a worker killed at this moment has not delivered it.
            self.in_flight = address.lower()
            await asyncio.sleep(self.delay)
            self.in_flight = None
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[address.lower()] += 1
                self.last_to = address.lower()
            self.last_at = time.monotonic()
        return "250 Message accepted for delivery"

    def counts(self):
        with self.lock:
            return collections.Counter(self.received)

    def total(self):
        with self.lock:
            return sum(self.received.values())


class Smtp:
    def __init__(self):
        from aiosmtpd.controller import Controller

        # aiosmtpd logs every connection at INFO: hundreds of lines in the drill's output.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.port = free_port()
        self.mailbox = CountingMailbox()
        self.controller = Controller(self.mailbox, hostname=LOOPBACK, port=self.port)
        self.url = f"smtp://{LOOPBACK}:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        with contextlib.suppress(Exception):
            self.controller.stop()


# gunicorn, the email worker and nginx --------------------------------------------------------


class Gunicorn:
    """One instance, started with deploy/systemd/involvement-web@.service's command line."""

    def __init__(self, name, env, workdir):
        self.name = name
        self.port = free_port()
        command = [part.replace("%i", str(self.port))
                   for part in unit_command("involvement-web@.service")]
        self.process = Process(name, command, Path(workdir) / f"{name}.log", env=env)

    def start(self):
        self.process.start()
        return self

    def wait_ready(self, timeout=90):
        """Until it answers /healthz (200, or 503 if the database is down)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.process.running():
                raise RuntimeError(f"{self.name} exited:\n{tail(self.process.log)}")
            connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
            try:
                connection.request("GET", "/healthz", headers={"Host": HOST})
                if connection.getresponse().status in (200, 503):
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer in {timeout} s:\n"
                                   f"{tail(self.process.log)}")
            time.sleep(0.2)

    def stop(self, sig=signal.SIGTERM):
        self.process.stop(sig, timeout=10)


class WorkerSupervisor:
    """Restarts the email worker whenever it exits, after `restart_after` seconds, as systemd's
    Restart=always does (deploy/systemd/involvement-worker.service). Bounded: at most
    `max_starts` starts."""

    def __init__(self, command, env, log, restart_after=1.0, max_starts=60):
        self.command = command
        self.env = env
        self.log = log
        self.restart_after = restart_after
        self.max_starts = max_starts
        self.starts = 0
        self.exits = []  # (monotonic time, return code)
        self.current = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stopping.is_set() and self.starts < self.max_starts:
            self.current = Process("email worker", self.command, self.log, env=self.env).start()
            self.starts += 1
            while self.current.popen.poll() is None and not self._stopping.is_set():
                time.sleep(0.05)
            if self._stopping.is_set():
                # Stopped by stop(), possibly while this one was starting: it goes too.
                self.current.stop(signal.SIGTERM, timeout=10)
                return
            self.exits.append((time.monotonic(), self.current.popen.returncode))
            self._stopping.wait(self.restart_after)

    def wait_started(self, after=0, timeout=30):
        wait_for("the email worker", lambda: self.starts > after and self.current.running(),
                 timeout, interval=0.05)

    def kill(self):
        """kill -9 the worker now running: no chance to finish or tidy up."""
        process = self.current
        os.kill(process.pid, signal.SIGKILL)
        return process.pid

    def stop(self):
        """SIGTERM, as systemd stops it: the worker finishes the email in hand and exits."""
        self._stopping.set()
        self._thread.join(timeout=20)
        if self.current is not None:
            self.current.stop(signal.SIGTERM, timeout=10)


class Nginx:
    """nginx run from a copy of deploy/nginx/involvement.conf that differs only in where it
    listens, where gunicorn is, the certificate, and /srv/involvement (this work tree).
    Each change must find what it replaces, so a reshaped shipped file fails the drill loudly
    rather than being silently untested."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.http_port = free_port()
        self.https_port = free_port()
        self.process = None

    def make_certificate(self):
        self.cert = self.workdir / "cert.pem"
        self.key = self.workdir / "key.pem"
        subprocess.run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
            "-keyout", self.key, "-out", self.cert,
        ], check=True, capture_output=True, timeout=60)

    def site_config(self, upstream_ports):
        # Comments out, so only directives are matched.
        text = re.sub(r"^\s*#.*\n", "", (DEPLOY / "nginx" / "involvement.conf").read_text(),
                      flags=re.M)

        def replace(pattern, repl, expected):
            nonlocal text
            text, count = re.subn(pattern, repl, text, flags=re.M)
            assert count == expected, (
                f"deploy/nginx/involvement.conf: expected {expected} of {pattern!r}, found "
                f"{count}; the drill changes only these lines"
            )

        # IPv6 listeners are left out: loopback IPv6 may be off in a container.
        replace(r"^\s*listen \[::\]:(80|443)\b.*\n", "", 2)
        replace(r"^(\s*listen )80;", rf"\g<1>{LOOPBACK}:{self.http_port};", 1)
        replace(r"^(\s*listen )443 ", rf"\g<1>{LOOPBACK}:{self.https_port} ", 1)
        replace(r"^(\s*server )127\.0\.0\.1:8001\b", rf"\g<1>{LOOPBACK}:{upstream_ports[0]}", 1)
        replace(r"^(\s*server )127\.0\.0\.1:8002\b", rf"\g<1>{LOOPBACK}:{upstream_ports[1]}", 1)
        replace(r"^(\s*ssl_certificate\s+)\S+;", rf"\g<1>{self.cert};", 1)
        replace(r"^(\s*ssl_certificate_key\s+)\S+;", rf"\g<1>{self.key};", 1)
        text = text.replace(f"{INSTALLED_AT}/", f"{ROOT}/")
        assert INSTALLED_AT not in text
        return text

    def write_config(self, upstream_ports):
        self.make_certificate()
        site = self.workdir / "involvement.conf"
        site.write_text(self.site_config(upstream_ports))
        temp = self.workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        # As root, nginx's workers would otherwise switch to `nobody`, who cannot read the
        # drill's folders.
        user = "user root;" if os.geteuid() == 0 else ""
        self.config = self.workdir / "nginx.conf"
        self.config.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log info;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.workdir}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
""")
        result = subprocess.run(
            ["nginx", "-t", "-c", self.config, "-p", self.workdir, "-e",
             self.workdir / "nginx-error.log"], capture_output=True, text=True, timeout=30,
        )
        assert result.returncode == 0, f"nginx -t refused the configuration:\n{result.stderr}"

    def start(self):
        self.process = Process("nginx", [
            "nginx", "-c", self.config, "-p", self.workdir, "-e",
            self.workdir / "nginx-error.log",
        ], self.workdir / "nginx.out").start()

        def listening():
            with socket.create_connection((LOOPBACK, self.https_port), timeout=1):
                return True

        wait_for("nginx", listening, 15)
        return self

    def stop(self):
        if self.process:
            # QUIT: finish what is in hand, then stop.
            self.process.stop(signal.SIGQUIT, timeout=10)


# Visitors ------------------------------------------------------------------------------------

_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE  # the drill's certificate is its own, made a minute ago


class Response:
    def __init__(self, status, headers, body, started, ended, error=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.started = started
        self.ended = ended
        self.error = error

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def text(self):
        return self.body.decode("utf-8", "replace")


class Visitor:
    """One visitor to the portal through nginx: its own source address (any of 127.0.0.0/8,
    which Linux routes to loopback, so nginx's $remote_addr is that address), its own cookies,
    and one kept-alive HTTPS connection. `forwarded_for`, if given, is sent as the visitor's own
    X-Forwarded-For, as a spoofing client would."""

    def __init__(self, port, source=LOOPBACK, forwarded_for=None, cookies=True, timeout=30,
                 scheme="https"):
        self.port = port
        self.source = source
        self.forwarded_for = forwarded_for
        self.keep_cookies = cookies
        self.cookies = {}
        self.timeout = timeout
        self.scheme = scheme
        self.connection = None
        self.used = False

    def _connect(self):
        if self.scheme == "https":
            self.connection = http.client.HTTPSConnection(
                LOOPBACK, self.port, timeout=self.timeout, context=_TLS,
                source_address=(self.source, 0),
            )
        else:
            self.connection = http.client.HTTPConnection(
                LOOPBACK, self.port, timeout=self.timeout, source_address=(self.source, 0),
            )
        self.used = False

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method, path, body=None, headers=None):
        headers = {"Host": HOST, "User-Agent": "involvement-fault-drill", **(headers or {})}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        for attempt in (1, 2):
            if self.connection is None:
                self._connect()
            reused = self.used
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                self.used = True
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest) as error:
                self.close()
                # A kept-alive connection that nginx closed meanwhile: a browser sends again on
                # a new one. Only GETs, and only then: anything else is an error.
                if attempt == 1 and reused and method in ("GET", "HEAD"):
                    continue
                return Response(None, [], b"", started, time.monotonic(), error=error)
            except (OSError, http.client.HTTPException) as error:
                self.close()
                return Response(None, [], b"", started, time.monotonic(), error=error)
        headers_list = response.getheaders()
        if self.keep_cookies:
            for name, value in headers_list:
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
        return Response(response.status, headers_list, data, started, time.monotonic())

    def get(self, path):
        return self.request("GET", path)

    def answer_interest_questions(self, slug, email, name="Drill Visitor", form_page=None):
        """Answer the interest form's question pages as a browser does (the first page's GET
        gives the CSRF cookie and token; each answer's POST redirects to the next page), up
        to "Check your answers". Returns its GET's response, or the first response that did
        not answer as the pages should."""
        page = form_page or self.get(interest_step_path(slug, "name"))
        if page.status != 200:
            return page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text())
        assert token, "the form page has no CSRF token"
        answers = interest_answers(email, name)
        path = interest_step_path(slug, "name")
        for _ in range(20):
            step = path.rstrip("/").rsplit("/", 1)[1]
            if step == "check-answers":
                return self.get(path)
            fields = [("csrfmiddlewaretoken", token.group(1))] + [
                (field, value) for field, value in answers if field in STEP_FIELDS[step]
            ]
            response = self.request("POST", path, body=urllib.parse.urlencode(fields),
                                    headers=form_post_headers(slug, step))
            if response.status != 302:
                return response
            path = urllib.parse.urlsplit(response.header("Location")).path
        raise AssertionError("the question pages went round in a circle")

    def send_interest_form(self, slug, email, name="Drill Visitor", form_page=None):
        """Answer every question page, then press "Send". Returns Send's response, or the
        first response that did not answer as the pages should."""
        check = self.answer_interest_questions(slug, email, name, form_page)
        if check.status != 200 or 'name="submission_key"' not in check.text():
            return check
        return self.request("POST", interest_step_path(slug, "check-answers"),
                            body=interest_form_body(check),
                            headers=form_post_headers(slug, "check-answers"))


def interest_step_path(slug, step):
    return f"/opportunities/{slug}/interest/{step}/"


# The question pages' fields, by page (applications/forms.py INTEREST_STEPS), for the pages
# these answers are asked.
STEP_FIELDS = {
    "name": ["full_name"],
    "contact": ["preferred_contact", "email", "phone"],
    "age": ["age_band"],
    "connection": ["connections"],
    "why": ["why_interested"],
    "anything-else": ["experience"],
    "access-needs": ["access_needs"],
    "availability": ["availability"],
}


def interest_answers(email, name="Drill Visitor"):
    """A valid expression of interest (as tests/public_forms.py's answers)."""
    return [
        ("full_name", name), ("email", email), ("phone", ""), ("preferred_contact", "email"),
        ("age_band", "25_64"), ("connections", "patient"),
        ("why_interested", "I was a patient here and would like to help."),
    ]


def interest_form_body(page):
    """What "Send" posts from a "Check your answers" page: its token and submission key, the
    privacy notice agreed to and the box to leave empty left empty."""
    html = page.text()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    key = re.search(r'name="submission_key" value="([^"]+)"', html)
    assert token and key, "the page has no CSRF token or submission key"
    return urllib.parse.urlencode([
        ("csrfmiddlewaretoken", token.group(1)), ("submission_key", key.group(1)),
        ("website", ""), ("privacy_consent", "on"),
    ])


def form_post_headers(slug, step="name"):
    # Over HTTPS Django checks that a POST comes from the site's own origin.
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"https://{HOST}",
        "Referer": f"https://{HOST}{interest_step_path(slug, step)}",
    }


# The whole stack -----------------------------------------------------------------------------


class Stack:
    """PostgreSQL, Redis, SMTP, two gunicorn instances, nginx and the supervised email worker,
    all on loopback, configured as deploy/env.example says production is."""

    def __init__(self, workdir, log=print):
        self.workdir = Path(workdir)
        self.log = log
        self.static = self.workdir / "static"
        self.postgres = Postgres(self.workdir)
        self.redis = Redis(self.workdir)
        self.smtp = Smtp()
        self.nginx = Nginx(self.workdir)
        self.web = []
        self.worker = None
        self.worker_command_name = None
        self.env = None

    def production_env(self):
        import secrets

        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "involvement.settings",
            # Collected into the drill's folder, never into the work tree.
            "STATIC_ROOT": str(self.static),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
            "SITE_URL": f"https://{HOST}",
            # nginx alone in front of gunicorn.
            "TRUSTED_PROXY_COUNT": "1",
            "DATABASE_URL": self.postgres.url,
            "CONN_MAX_AGE": "60",
            "CACHE_URL": self.redis.url,
            "EMAIL_URL": self.smtp.url,
            "TASKS_BACKEND": "django_tasks_db.backend.DatabaseBackend",
            # An email left half-sent by a worker killed outright is queued again after this
            # long (production: 5 minutes). The settings insist on more than twice
            # EMAIL_TIMEOUT, so the SMTP timeout is short too; the drill's server answers in
            # well under a second.
            "EMAIL_WORKER_STALE_SECONDS": "10",
            "EMAIL_TIMEOUT": "4",
            "LOG_LEVEL": "INFO",
        }

    def manage(self, *args, log_name):
        return Process(log_name, [sys.executable, "manage.py", *args],
                       self.workdir / f"{log_name}.log", env=self.env).start()

    def start_services(self):
        """Everything but gunicorn and the worker: the proxy is up before the portal is."""
        self.postgres.start()
        self.redis.start()
        self.smtp.start()
        self.env = self.production_env()
        self.web = [Gunicorn(f"gunicorn-{n}", self.env, self.workdir) for n in (1, 2)]
        self.nginx.write_config([web.port for web in self.web])
        self.nginx.start()

    def prepare_database_and_static_files(self):
        """What a deploy runs before starting the portal, in the README's order."""
        for args in (["collectstatic", "--no-input", "-v", "0"],
                     ["migrate", "--no-input", "-v", "0"], ["load_trust_content"]):
            started = time.monotonic()
            step = self.manage(*args, log_name=args[0])
            if step.popen.wait(timeout=300) != 0:
                raise RuntimeError(f"manage.py {args[0]} failed:\n{tail(step.log)}")
            self.log(f"manage.py {args[0]}: {time.monotonic() - started:.1f} s")

    def start_portal(self):
        for web in self.web:
            web.start()
        for web in self.web:
            web.wait_ready()
        self.worker = WorkerSupervisor(
            self.worker_command(), self.env, self.workdir / "email-worker.log"
        ).start()
        self.worker.wait_started()

    def worker_command(self):
        """deploy/systemd/involvement-worker.service's command, polling every 0.2 s. While
        `manage.py email_worker` does not exist yet, django-tasks' own db_worker stands in, so
        the rest of the drill still runs; the drill reports which it used."""
        command = unit_command("involvement-worker.service")
        found = subprocess.run(
            [sys.executable, "manage.py", "help", "email_worker"], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=120,
        )
        if found.returncode == 0:
            self.worker_command_name = "email_worker"
            return [*command, "--interval", "0.2"]
        self.worker_command_name = "db_worker (email_worker is missing)"
        python, manage = command[0], command[1]
        return [python, manage, "db_worker", "--no-reload", "--no-startup-delay",
                "--interval", "0.2"]

    def logs(self):
        """The last lines of every log, for a failure report."""
        names = ["nginx-error.log", "gunicorn-1.log", "gunicorn-2.log", "email-worker.log",
                 "postgresql.log", "redis.log", "migrate.log", "collectstatic.log"]
        parts = []
        for name in names:
            text = tail(self.workdir / name, 15)
            if text:
                parts.append(f"--- {name} (last lines)\n{text}")
        return "\n".join(parts)

    def close(self):
        """Stop everything, whatever state it is in. Each part on its own: one failing to stop
        does not leave the others running."""
        parts = [
            ("worker", lambda: self.worker and self.worker.stop()),
            ("nginx", self.nginx.stop),
            *[(web.name, web.stop) for web in self.web],
            ("redis", self.redis.stop),
            ("smtp", self.smtp.stop),
            ("postgres", self.postgres.stop),
        ]
        for name, stop in parts:
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                self.log(f"could not stop {name}: {error!r}")
