"""Backup and restore of the whole product: the database and every file under MEDIA_ROOT
(evidence, inspection attachments, issued document PDFs, job results) in one .tar.gz.

Layout of the archive:
- `data.json`: `dumpdata --all` with natural foreign keys, in JSON, so a backup taken on SQLite
  restores on PostgreSQL and back. Content types and permissions are left out: `migrate` builds
  them on the target, and the natural keys point at them by name rather than by id.
- `media/<path>`: each file, its path relative to MEDIA_ROOT.
- `manifest.json` (last): format, app version, date, database vendor, the latest migration of
  every app, the row count of every model and the size and SHA-256 of every file.

`restore` reads and verifies the whole archive before it touches the database or MEDIA_ROOT,
then checks what it loaded against the manifest, so a truncated or altered archive is refused
instead of half-restored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

FORMAT = 1
DATA = "data.json"
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
# Rebuilt by `migrate` on the target and referred to by natural key: never copied.
REGENERATED = {"contenttypes.contenttype", "auth.permission"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


def _models():
    """Every table Django manages, many-to-many tables included, in a stable order."""
    found = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    return sorted(found, key=lambda m: m._meta.label_lower)


def _label(model) -> str:
    return model._meta.label_lower


def row_counts() -> dict[str, int]:
    return {_label(m): m._base_manager.count() for m in _models() if _label(m) not in REGENERATED}


def _app_version() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _migrations_applied() -> dict[str, str]:
    loader = MigrationLoader(connection)
    latest: dict[str, str] = {}
    for app_label, name in sorted(loader.applied_migrations):
        latest[app_label] = max(latest.get(app_label, ""), name)
    return latest


def _media_files(media_root: Path, skip: Path | None) -> list[Path]:
    if not media_root.is_dir():
        return []
    files = [p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink() and p != skip]
    return sorted(files)


class _HashingReader(io.RawIOBase):
    """Hashes a file while tarfile copies it, so every file is read once."""

    def __init__(self, handle):
        self.handle, self.sha256 = handle, hashlib.sha256()

    def read(self, size=-1):
        data = self.handle.read(size)
        self.sha256.update(data)
        return data

    def readable(self):
        return True


def backup_create(output: Path) -> dict:
    """Write the archive to `output`; return its manifest."""
    output = Path(output).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / DATA
        # One consistent snapshot for the data and the counts, while the site stays in use.
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            counts = row_counts()
            call_command(
                "dumpdata", all=True, natural_foreign=True, exclude=sorted(REGENERATED), format="json",
                output=str(data_path), verbosity=0,
            )
            migrations = _migrations_applied()
        manifest = {
            "format": FORMAT,
            "app_version": _app_version(),
            "django": django.get_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "migrations": migrations,
            "counts": counts,
            "files": {},
        }
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(data_path, arcname=DATA)
            for path in _media_files(media_root, skip=output):
                relative = path.relative_to(media_root).as_posix()
                info = archive.gettarinfo(str(path), arcname=MEDIA_PREFIX + relative)
                with path.open("rb") as handle:
                    reader = _HashingReader(handle)
                    archive.addfile(info, reader)
                manifest["files"][relative] = {"size": info.size, "sha256": reader.sha256.hexdigest()}
            body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(dt.datetime.now().timestamp())
            archive.addfile(info, io.BytesIO(body))
    os.replace(partial, output)  # never a half-written file under the final name
    return manifest


@dataclass
class RestoreReport:
    manifest: dict
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0


def _safe_relative(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"Tệp trong bản sao lưu có đường dẫn không hợp lệ: {name}")
    return path.as_posix()


def database_is_empty() -> bool:
    return not any(n for n in row_counts().values())


def _read_archive(source: Path, staging: Path) -> tuple[dict, Path, dict[str, tuple[int, str]]]:
    """Extract data.json and the media files into `staging`, hashing each file on the way."""
    manifest, data_path, seen = None, None, {}
    try:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                if member.name == MANIFEST:
                    manifest = json.load(archive.extractfile(member))
                elif member.name == DATA:
                    data_path = staging / DATA
                    with archive.extractfile(member) as handle, data_path.open("wb") as out:
                        shutil.copyfileobj(handle, out, CHUNK)
                elif member.name.startswith(MEDIA_PREFIX) and member.isfile():
                    relative = _safe_relative(member.name[len(MEDIA_PREFIX):])
                    target = staging / "media" / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    with archive.extractfile(member) as handle, target.open("wb") as out:
                        while chunk := handle.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                    seen[relative] = (member.size, digest.hexdigest())
                elif not member.isdir():
                    raise BackupError(f"Mục không mong đợi trong bản sao lưu: {member.name}")
    except (tarfile.TarError, EOFError, OSError, json.JSONDecodeError) as error:
        raise BackupError(f"Không đọc được bản sao lưu {source}: {error}") from error
    if manifest is None or data_path is None:
        raise BackupError(f"{source} không phải bản sao lưu của hệ thống (thiếu {MANIFEST} hoặc {DATA}).")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Định dạng bản sao lưu {manifest.get('format')} không được hỗ trợ (cần {FORMAT}).")
    expected = {name: (f["size"], f["sha256"]) for name, f in manifest["files"].items()}
    if seen != expected:
        wrong = sorted(set(seen.items()) ^ set(expected.items()))
        names = sorted({name for name, _ in wrong})
        raise BackupError("Tệp trong bản sao lưu không khớp danh mục (thiếu, thừa hoặc sai SHA-256): " + ", ".join(names[:20]))
    return manifest, data_path, seen


def _check_migrations(manifest: dict) -> None:
    """A backup made by a newer version of the code cannot be loaded into this one."""
    loader = MigrationLoader(connection)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in loader.disk_migrations]
    if unknown:
        raise BackupError("Bản sao lưu được tạo bởi phiên bản mới hơn (migration chưa có: " + ", ".join(unknown) + ").")


def restore(source: Path, *, replace: bool) -> RestoreReport:
    """Restore `source` into the configured database and MEDIA_ROOT. Refuses a database that holds
    data unless `replace` (then everything in it is deleted first)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"Không có tệp {source}.")
    call_command("migrate", interactive=False, verbosity=0)
    if not replace and not database_is_empty():
        raise BackupError("Cơ sở dữ liệu đang có dữ liệu. Dùng --yes để xóa hết và khôi phục từ bản sao lưu.")
    media_root = Path(settings.MEDIA_ROOT).resolve()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside MEDIA_ROOT, so moving the files into place is a rename on the same disk.
    with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".restore-") as tmp:
        staging = Path(tmp)
        manifest, data_path, files = _read_archive(source, staging)
        _check_migrations(manifest)
        with transaction.atomic():
            if not database_is_empty():
                call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(data_path), verbosity=0)
            counts = row_counts()
            expected = manifest["counts"]
            wrong = {label: (expected.get(label, 0), n) for label, n in counts.items() if n != expected.get(label, 0)}
            if wrong:  # rolls the load back
                raise BackupError(
                    "Số bản ghi sau khi khôi phục không khớp danh mục: "
                    + "; ".join(f"{label} {a} → {b}" for label, (a, b) in sorted(wrong.items()))
                )
        for relative in files:
            target = media_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / "media" / relative, target)
    # Read back from MEDIA_ROOT: what is on disk now is what the manifest lists.
    for relative, (_size, sha256) in files.items():
        digest = hashlib.sha256()
        with (media_root / relative).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            raise BackupError(f"Tệp {relative} sau khi khôi phục không khớp SHA-256.")
    return RestoreReport(manifest=manifest, counts=counts, files=len(files), bytes=sum(size for size, _ in files.values()))
