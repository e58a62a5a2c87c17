"""Several processes behind a real nginx (CONTRACT §F; issue 15 item 5).

Debian's nginx, with a config this test writes (loopback ports, everything in a temporary
folder), in front of two `serve` processes on a fresh PostgreSQL database with Redis as the
message queue, as docs/deploy/ sets them up. Participants are spread over both processes;
hosts on both see every update, in order; after kill -9 of one process its participants are
marked left within 15 s by the other (its presence lease expired), every host's view matches
the database, and the hosts of the dead process reconnect through nginx and resynchronise.

Spreading: the deployment recipe pins a client to a process by its address (`ip_hash`), and
every client here comes from 127.0.0.1, so all would reach one process. This config hashes on
a query parameter instead (`hash $arg_route consistent`), which each client of the test sets,
and nginx names the process it chose in a response header, so the test knows who is where.
The test runs in the SQLite suite too: it makes its own database on the local PostgreSQL then.
"""

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select, text

from tests.conftest import PG_URL, lecture_notice
from tests.e2e.harness import Host, Org, Participant, Server, free_port
from widget_server.domain.models import Call, ProcessLease
from widget_server.domain.models import Participant as Row
from widget_server.services import roster
from widget_server.services.database import Database

pytestmark = pytest.mark.e2e

LOCAL_PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/9"  # a database number of its own
DEATH_NOTICED = 15.0  # seconds: a dead process's participants are left by then (CONTRACT §F)

NGINX_CONF = """
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
    upstream widget {{
        # Test only (see the module's docstring); docs/deploy/nginx.conf uses ip_hash.
        hash $arg_route consistent;
        server 127.0.0.1:{first} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{second} max_fails=1 fail_timeout=30s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://widget;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;  # with its port: same-origin checks
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 120s;
            proxy_connect_timeout 2s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    binary = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)
    if binary is None:
        pytest.fail("nginx is not installed: this test needs Debian's nginx "
                    "(apt-get install nginx-light; .ci/run installs it)")
    return binary


class Nginx:
    """nginx in the foreground (daemon off), its config, pid file and log in `prefix`."""

    def __init__(self, prefix: Path, upstreams: tuple[int, int]) -> None:
        binary = nginx_binary()
        self.prefix = prefix
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = prefix / "nginx.conf"
        # Run by root, nginx's workers would become `nobody`, who cannot enter pytest's folder.
        user = "user root;" if os.geteuid() == 0 else ""
        config.write_text(NGINX_CONF.format(user=user, prefix=prefix, port=self.port,
                                            first=upstreams[0], second=upstreams[1]))
        self.process = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(prefix), "-e", str(prefix / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"nginx did not start: {self.process.stderr.read().decode()}"  # type: ignore[union-attr]
                            f"{self.log()}")
            try:
                requests.get(f"{self.url}/healthz", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"nginx did not answer: {self.log()}")

    def upstream(self, route: int) -> int:
        """The port of the process nginx sends clients with this `route` to."""
        answer = requests.get(f"{self.url}/healthz?route={route}", timeout=5)
        assert answer.status_code == 200, answer.text
        return int(answer.headers["X-Upstream"].rsplit(":", 1)[1])

    def log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish and exit
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stderr is not None:
            self.process.stderr.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new database on the PostgreSQL server of the suite, or on the local one when the
    suite runs on SQLite (several processes need PostgreSQL); dropped afterwards."""
    server = PG_URL or LOCAL_PG
    name = f"ws_nginx_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        admin.dispose()
        pytest.fail(f"this test needs PostgreSQL at {server}: {err}")
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Server, Server, Nginx, Database]]:
    with postgres_database() as url:
        shared = {"WIDGET_SERVER_MESSAGE_QUEUE": REDIS,
                  "WIDGET_SERVER_SIGNING_KEY_FILE": str(tmp_path / "signing_key.json"),
                  "WIDGET_SERVER_TRUSTED_PROXY_HOPS": "1"}
        servers = []
        for name in ("a", "b"):  # the harness gives both the same SECRET_KEY
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name, url, extra_env=shared))
        first, second = servers
        (tmp_path / "nginx").mkdir()
        database = Database(url)
        nginx: Nginx | None = None
        try:
            first.start()
            second.start()
            nginx = Nginx(tmp_path / "nginx", (first.port, second.port))
            yield first, second, nginx, database
        finally:
            if nginx is not None:
                nginx.stop()
            second.stop()
            first.stop()
            database.dispose()


def routes_to(nginx: Nginx, ports: tuple[int, int], each: int) -> dict[int, list[int]]:
    """`each` route values nginx sends to each process."""
    found: dict[int, list[int]] = {port: [] for port in ports}
    for route in range(200):
        port = nginx.upstream(route)
        if len(found[port]) < each:
            found[port].append(route)
        if all(len(routes) == each for routes in found.values()):
            return found
    raise AssertionError(f"nginx spread 200 routes unevenly: {found}")


def view_of(host: Host) -> dict[str, Any]:
    """What a host shows: its roster with every update applied in order."""
    assert host.roster is not None
    people = {p["id"]: (p["present"], p["state"]) for p in host.roster["participants"]}
    seq, gate, summary = host.roster["seq"], host.roster["gate"], host.roster["summary"]
    for update in host.updates:
        assert update["seq"] == seq + 1, f"update {update['seq']} after {seq}"
        seq, gate, summary = update["seq"], update["gate"], update["summary"]
        if "participant" in update:
            person = update["participant"]
            people[person["id"]] = (person["present"], person["state"])
    return {"seq": seq, "people": people, "gate": gate, "summary": summary}


def truth(database: Database, call_id: str) -> dict[str, Any]:
    with database.read_session() as session:
        stored = roster.roster(session, call_id)
    return {"seq": stored["seq"], "gate": stored["gate"], "summary": stored["summary"],
            "people": {p["id"]: (p["present"], p["state"]) for p in stored["participants"]}}


def processes_of(database: Database, ids: list[str]) -> set[str | None]:
    with database.read_session() as session:
        return set(session.scalars(select(Row.process).where(Row.id.in_(ids))))


def test_two_processes_behind_nginx_survive_the_death_of_one(
        deployment: tuple[Server, Server, Nginx, Database]) -> None:
    first, second, nginx, database = deployment
    routes = routes_to(nginx, (first.port, second.port), each=4)
    to_first, to_second = routes[first.port], routes[second.port]
    front = f"{nginx.url}/?route="
    org = Org(first)
    org.server = nginx  # type: ignore[assignment]  # REST through nginx too
    call = org.open_call(lecture_notice())
    widget, host_token = call["widget"]["token"], call["host"]["token"]

    hosts_first = [Host(front + str(to_first[0]), host_token)]
    hosts_second = [Host(front + str(to_second[0]), host_token)]
    on_first = [Participant(front + str(r), widget) for r in to_first[1:]]
    on_second = [Participant(front + str(r), widget) for r in to_second[1:]]
    everyone = on_first + on_second
    for index, person in enumerate(everyone):
        person.join({"display_name": f"Person {index}"})
    # Everyone on the second process lets recording run; one on the first holds it up.
    for person in on_second + on_first[1:]:
        assert person.decide({"recording": "granted"})["ok"]
    assert on_first[0].decide({"recording": "denied"})["ok"]
    first_ids = [p.id for p in on_first if p.id]
    second_ids = [p.id for p in on_second if p.id]
    with database.read_session() as session:
        leases = set(session.scalars(select(ProcessLease.id)))
    first_process, second_process = processes_of(database, first_ids), \
        processes_of(database, second_ids)
    assert len(leases) == 2 and first_process | second_process == leases
    assert len(first_process) == len(second_process) == 1 and first_process != second_process

    # Hosts on both processes saw every update, in order (view_of checks the seq).
    stored = truth(database, call["id"])
    assert stored["gate"]["recording_allowed"] is False
    for host in hosts_first + hosts_second:
        host.wait_for(lambda h=host: h.last_seq == stored["seq"])
        assert view_of(host) == stored
    assert [u["seq"] for u in hosts_first[0].updates] == \
        [u["seq"] for u in hosts_second[0].updates]

    # kill -9 of the first process: nobody is told by it; its lease stops being renewed.
    killed_at = time.monotonic()
    first.kill9()
    host = hosts_second[0]
    host.wait_for(lambda: {u["participant"]["id"] for u in host.updates
                           if u["kind"] == "left"} >= set(first_ids), timeout=DEATH_NOTICED + 5)
    noticed = time.monotonic() - killed_at
    assert noticed <= DEATH_NOTICED, f"left after {noticed:.1f} s"
    stored = truth(database, call["id"])
    present = {pid for pid, (here, _) in stored["people"].items() if here}
    assert present == set(second_ids)
    assert stored["gate"]["recording_allowed"] is True  # the one holding it up is gone
    host.wait_for(lambda: host.last_seq == stored["seq"])
    assert view_of(host) == stored

    # The first process's hosts lost their connection: through nginx again (now to the
    # second process), they resynchronise from their last seq and see what the database holds.
    for old in hosts_first:
        old.wait_for(lambda o=old: not o.client.connected, timeout=10)
        again = Host(front + str(to_first[0]), host_token)
        assert again.roster is not None and again.roster["seq"] == stored["seq"]
        replay = again.resync(old.last_seq)
        assert replay["ok"], replay
        old.updates += replay["updates"]
        assert view_of(old) == stored
        assert view_of(again) == stored
        hosts_second.append(again)

    # A participant of the dead process comes back through nginx and is present again,
    # now through the second process; hosts on it see that.
    back = Participant(front + str(to_first[1]), widget, resume=on_first[0].resume)
    back.join({"display_name": "Person 0"})
    assert back.id == on_first[0].id
    assert processes_of(database, [back.id]) == second_process
    stored = truth(database, call["id"])
    for host in hosts_second:
        host.wait_for(lambda h=host: h.last_seq == stored["seq"])
        assert view_of(host) == stored

    # A clean stop: the second process's participants leave, hosts are told, no lease stays.
    for host in hosts_second:
        host.close()
    second.stop()
    assert second.process is not None and second.process.returncode == 0, second.log()[-2000:]
    with database.read_session() as session:
        assert not session.scalars(select(Row.id).where(Row.present.is_(True))).all()
        assert session.scalar(select(Call.present_count).where(Call.id == call["id"])) == 0
        assert second_process.isdisjoint(session.scalars(select(ProcessLease.id)))
    for person in [*everyone, back]:
        person.close()


def test_the_deployment_recipe_is_a_valid_nginx_config(tmp_path: Path) -> None:
    """docs/deploy/nginx.conf as written, with a throwaway certificate and loopback ports."""
    site = (Path(__file__).resolve().parents[2] / "docs" / "deploy" / "nginx.conf").read_text()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=consent.example.org", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    live = "/etc/letsencrypt/live/consent.example.org/"
    for old, new in ((live + "fullchain.pem", str(tmp_path / "cert.pem")),
                     (live + "privkey.pem", str(tmp_path / "key.pem")),
                     ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{free_port()} ssl http2;")):
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "main.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\n"
        f"http {{ {temp} include {tmp_path / 'site.conf'}; }}\n")
    checked = subprocess.run([nginx_binary(), "-t", "-c", str(tmp_path / "main.conf"), "-p",
                              str(tmp_path), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
