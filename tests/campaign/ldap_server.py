"""A throwaway OpenLDAP server (Debian's slapd) for the tests.

Started as a child process on a free port of 127.0.0.1, with a temporary
configuration (slapd.conf) and database folder, and stopped with its folder
removed afterwards. It never touches a system slapd: `make setup` installs
the package without configuring one. The directory holds an organisation
``dc=campaign,dc=test`` with people under ``ou=people``, and a read-only
service account the app binds as to search for logins (as intranets do).
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SUFFIX = "dc=campaign,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
PEOPLE = f"ou=people,{SUFFIX}"
SERVICE_DN = f"cn=campaign-app,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
START_SECONDS = 20

CONFIG = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
modulepath {modules}
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args

database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/data
access to attrs=userPassword by anonymous auth by self write by * none
access to * by dn.exact="{service_dn}" read by self read by * none
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlapdServer:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="campaign-slapd-"))
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        if not Path(SLAPD).exists():
            raise RuntimeError("slapd is not installed: run `make setup` (it installs Debian's slapd and ldap-utils)")
        (self.folder / "data").mkdir()
        config = self.folder / "slapd.conf"
        config.write_text(
            CONFIG.format(
                schema=SCHEMA_DIR, modules=MODULE_DIR, folder=self.folder, suffix=SUFFIX, root_dn=ROOT_DN,
                root_password=ROOT_PASSWORD, service_dn=SERVICE_DN,
            )
        )  # fmt: skip
        log = open(self.folder / "slapd.log", "wb")  # noqa: SIM115 - closed with the process
        # -d 0: stay in the foreground (a child we can stop), logging nothing but errors.
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-h", f"{self.uri}/", "-f", str(config)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self._log = log
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited with {self.process.returncode}: {self.log()}")
            try:
                self.bind(ROOT_DN, ROOT_PASSWORD).unbind_s()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"slapd did not answer within {START_SECONDS}s: {self.log()}") from None
                time.sleep(0.1)
        self.seed()
        return self

    def log(self):
        path = self.folder / "slapd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def bind(self, dn, password):
        import ldap

        connection = ldap.initialize(self.uri)
        connection.set_option(ldap.OPT_NETWORK_TIMEOUT, 2)
        connection.simple_bind_s(dn, password)
        return connection

    def seed(self):
        connection = self.bind(ROOT_DN, ROOT_PASSWORD)
        try:
            connection.add_s(SUFFIX, [("objectClass", [b"dcObject", b"organization"]), ("o", [b"campaign"]),
                                      ("dc", [b"campaign"])])  # fmt: skip
            connection.add_s(PEOPLE, [("objectClass", [b"organizationalUnit"]), ("ou", [b"people"])])
            connection.add_s(SERVICE_DN, [
                ("objectClass", [b"organizationalRole", b"simpleSecurityObject"]),
                ("cn", [b"campaign-app"]),
                ("userPassword", [SERVICE_PASSWORD.encode()]),
            ])  # fmt: skip
        finally:
            connection.unbind_s()

    def add_person(self, uid, password, name, mail=""):
        connection = self.bind(ROOT_DN, ROOT_PASSWORD)
        try:
            attributes = [
                ("objectClass", [b"inetOrgPerson"]),
                ("uid", [uid.encode()]),
                ("cn", [name.encode()]),
                ("sn", [name[:1].encode()]),
                ("userPassword", [password.encode()]),
            ]
            if mail:
                attributes.append(("mail", [mail.encode()]))
            connection.add_s(f"uid={uid},{PEOPLE}", attributes)
        finally:
            connection.unbind_s()

    def environment(self, uri=None, timeout=3):
        """The variables an operator sets (docs/deploy.md), pointed at this server or at ``uri``."""
        return {
            "LDAP_SERVER_URI": uri or self.uri,
            "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "LDAP_USER_BASE": PEOPLE,
            "LDAP_USER_FILTER": "(uid=%(user)s)",
            "LDAP_TIMEOUT": str(timeout),
        }

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
