"""`make run`'s supervisor (manage.py run_local) with real processes: gunicorn with uvicorn
workers, a real qcluster and the emulator, stopped by repeated signals, by a hard kill of the
supervisor, and after a child dies on its own. Every process it started must be gone afterwards."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .cluster import _database_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    return {p for p in pids if alive(p)}


class RunLocal:
    """manage.py run_local on free ports, in its own session like a terminal's job."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        env = {
            **os.environ,
            **_database_env(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "BREAKER_STATE_PATH": str(tmp_path / "breakers.sqlite3"),
            "WEB_CONCURRENCY": "2",
            "Q_WORKERS": "1",
            "LOG_LEVEL": "WARNING",
        }
        self.log_path = tmp_path / "run_local.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "manage.py", "run_local",
                    "--port", str(self.port),
                    "--emulator-port", str(free_port()),
                    "--gcs-port", str(free_port()),
                ],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_serving(self) -> dict[str, str]:
        """Wait for the log-in page and for both children; returns the page's headers."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=5) as r:
                    if r.status == 200 and self.children():
                        return dict(r.headers)
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"run_local did not serve within 60 s:\n{self.log()}")

    def children(self) -> dict[str, int]:
        """The web server's and the cluster's main PIDs, once both are up."""
        found = {}
        for pid in descendants(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == self.process.pid:
                found["web" if b"gunicorn" in command else "worker"] = pid
        return found if len(found) == 2 else {}

    def everything(self) -> set[int]:
        """run_local and every process below it, once the web workers and the cluster's are up."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tree = descendants(self.process.pid)
            cluster = self.children().get("worker")
            # The cluster's sentinel, pusher, monitor and worker must be up too: django-q2 drops a
            # SIGTERM that comes before its sentinel runs (Cluster.stop returns early), so a kill
            # during its start-up would leave the cluster running (seen on CI under load).
            if len(tree) >= 2 + 2 + 3 and cluster and len(descendants(cluster)) >= 4:
                return tree | {self.process.pid}
            time.sleep(0.3)
        raise AssertionError(f"only {tree} started:\n{self.log()}")

    def stop(self) -> None:
        """Kill run_local and everything below it. The tree is read first: once run_local is dead
        its children belong to init, and a qcluster left running (on the test's queue, with this
        test's emulator address) would take later tests' jobs."""
        tree = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in tree | descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: whatever is still in it
        except ProcessLookupError:
            pass


@pytest.fixture
def run_local(transactional_db, django_db_serialized_rollback, tmp_path):
    # The children use the test database, so it must be committed (transactional_db); serialized
    # rollback puts the content types back afterwards, which later serialized tests rely on.
    started = RunLocal(tmp_path)
    yield started
    started.stop()


def test_it_serves_without_a_server_banner_and_stops_everything_on_repeated_signals(run_local):
    headers = run_local.wait_until_serving()
    processes = run_local.everything()

    # A terminal's impatient user: SIGTERM, then SIGTERM and SIGINT while the first is handled.
    run_local.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    run_local.process.send_signal(signal.SIGTERM)
    run_local.process.send_signal(signal.SIGINT)

    assert run_local.process.wait(timeout=60) == 0, run_local.log()
    assert wait_until_gone(processes, 10) == set(), run_local.log()
    assert "server" not in {name.lower() for name in headers}
    assert "Already stopping" in run_local.log() and "Stopped." in run_local.log()


def test_it_leaves_no_orphans_when_it_is_killed_outright(run_local):
    run_local.wait_until_serving()
    processes = run_local.everything()

    run_local.process.kill()  # SIGKILL: no handler runs; the children hear of it from the kernel
    run_local.process.wait()

    assert wait_until_gone(processes, 40) == set(), run_local.log()


def test_it_stops_the_worker_cluster_when_the_web_server_dies(run_local):
    run_local.wait_until_serving()
    processes = run_local.everything()

    os.killpg(run_local.children()["web"], signal.SIGKILL)

    assert run_local.process.wait(timeout=60) == 1, run_local.log()
    assert "The web server exited with status -9; stopped the rest." in run_local.log()
    assert wait_until_gone(processes, 10) == set(), run_local.log()


def test_a_purchase_completes_end_to_end_against_the_payfast_stand_in(run_local, make_user):
    """`make run`'s PayFast is the emulator's stand-in: log in, subscribe to JIVE, pay on the
    stand-in's page; its ITN reaches the web server, which confirms it and changes the plan."""
    from http.cookiejar import CookieJar
    from urllib.parse import urlencode

    from billing import services

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    thandi = make_user(username="thandi")
    run_local.wait_until_serving()
    base = f"http://127.0.0.1:{run_local.port}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)

    def fields_of(html: str) -> dict[str, str]:
        """The hidden fields of the page's last form (the header's log-out form comes first)."""
        form = html.rsplit("<form", 1)[1]
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))

    def post(url: str, data: dict[str, str]) -> tuple[int, str, str]:
        try:
            with browser.open(url, urlencode(data).encode(), timeout=20) as r:
                return r.status, r.read().decode(), ""
        except urllib.error.HTTPError as answer:  # a redirect, not followed
            return answer.code, answer.read().decode(), answer.headers.get("Location", "")

    login = browser.open(base + "/accounts/login/", timeout=20).read().decode()
    token = fields_of(login)["csrfmiddlewaretoken"]
    assert (
        post(
            base + "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": "thandi", "password": "pw-123456"},
        )[0]
        == 302
    )
    plans = browser.open(base + "/plans/", timeout=20).read().decode()
    status, page, _ = post(
        base + "/plans/JIVE/checkout/", {"csrfmiddlewaretoken": fields_of(plans)["csrfmiddlewaretoken"]}
    )
    assert status == 200, page
    process_url = re.search(r'<form method="post" action="([^"]+)" class="plans-pay">', page)[1]
    assert process_url.endswith("/eng/process") and not process_url.startswith(base)
    status, at_payfast, _ = post(process_url, fields_of(page))
    assert status == 200, at_payfast
    status, _, location = post(process_url + "/pay", fields_of(at_payfast))
    assert (status, location) == (303, base + "/plans/?checkout=done")
    assert services.plan_for(type(thandi).objects.get(pk=thandi.pk)).code == "JIVE"
    assert "you are on JIVE now" in browser.open(location, timeout=20).read().decode()
