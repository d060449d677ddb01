"""Background work through django-tasks: a queued import runs in a real `maillage worker`
process, then the figures refresh it queued; a worker killed mid-import leaves nothing written
and the next worker runs the job again; scheduled sources are harvested when due."""

import csv
import datetime
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from maillage.core.tasks import current_worker_id, fail_tasks_of_dead_workers, worker_active
from maillage.sources import tasks
from maillage.sources.models import HarvestJob, Source

CLI = [sys.executable, "-m", "maillage.cli"]


def _one(database: Path, sql: str, *params: object) -> object:
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchone()[0]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _bnlc_copies(raw_data: Path, target: Path, copies: int) -> None:
    """The real carpooling base, repeated under new ids (an import long enough to kill)."""
    with (raw_data / "bnlc-covoiturage" / "bnlc.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        for copy in range(copies):
            writer.writerows({**r, "id_lieu": f"{r['id_lieu']}-{copy}"} for r in rows)


@pytest.fixture
def child(child_database: Path, tmp_path: Path) -> dict[str, str]:
    """Environment of child `maillage` processes: their own database file and data folder."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{child_database}",
        "MAILLAGE_DATA_DIR": str(tmp_path / "var"),
    }
    subprocess.run([*CLI, "migrate", "--no-input", "-v", "0"], check=True, env=env, timeout=120)
    return env


def _queue_job(env: dict[str, str], path: Path, source: str, dry_run: bool = False) -> int:
    """What the staff page does: a pending job, queued for the worker once committed."""
    code = (
        "from django.db import transaction;"
        "from maillage.sources.models import HarvestJob, Source;"
        "from maillage.sources.tasks import queue_job;"
        f"s, _ = Source.objects.get_or_create(name={source!r}, defaults={{'backend': 'bnlc'}});"
        "\nwith transaction.atomic():\n"
        f"    job = HarvestJob.objects.create(source=s, dry_run={dry_run}, file_name={str(path)!r})\n"
        "    queue_job(job)\n"
        "print(job.pk)"
    )
    out = subprocess.run(
        [*CLI, "shell", "-c", code], check=True, env=env, timeout=60, capture_output=True
    )
    return int(out.stdout.decode().split()[-1])


@pytest.mark.real_data
def test_a_queued_import_runs_in_the_worker_which_then_refreshes_the_figures(
    raw_data, child, child_database, tmp_path
):
    sample = tmp_path / "bnlc-200.csv"
    lines = (raw_data / "bnlc-covoiturage" / "bnlc.csv").read_text("utf-8").splitlines()
    sample.write_text("\n".join(lines[:201]) + "\n", "utf-8")
    job_id = _queue_job(child, sample, "worker-test")
    assert _one(child_database, "select status from sources_harvestjob where id=?", job_id) == (
        "pending"
    )

    run = subprocess.run(
        [*CLI, "worker", "--until-idle"], env=child, timeout=300, capture_output=True, check=False
    )
    said = run.stderr.decode()
    assert run.returncode == 0, said[-800:]
    assert f"Import n° {job_id} (worker-test)" in said
    status, rows, attempts = (
        _one(child_database, f"select {c} from sources_harvestjob where id=?", job_id)
        for c in ("status", "rows", "attempts")
    )
    assert status in ("done", "done-with-errors")
    assert (rows, attempts) == (200, 1)
    # The import's inventory change queued one refresh, which the same worker ran.
    with sqlite3.connect(child_database) as db:
        done = db.execute(
            "select task_path, status from django_tasks_database_dbtaskresult "
            "where enqueued_at >= (select created_at from sources_harvestjob where id = ?) "
            "order by enqueued_at",
            [job_id],
        ).fetchall()
    assert done == [
        ("maillage.sources.tasks.run_harvest_job", "SUCCESSFUL"),
        ("maillage.indicators.tasks.refresh_figures", "SUCCESSFUL"),
    ]
    computed = _one(child_database, "select max(computed_at) from indicators_indicatorrun")
    changed = _one(child_database, "select changed_at from indicators_datachange")
    assert computed is not None
    assert computed >= changed
    assert _one(child_database, "select progress_at from sources_harvestjob where id=?", job_id)


@pytest.mark.real_data
def test_a_worker_killed_mid_import_publishes_nothing_and_the_next_worker_runs_it_again(
    raw_data, child, child_database, tmp_path
):
    big = tmp_path / "bnlc-x20.csv"
    _bnlc_copies(raw_data, big, 20)
    before = _one(child_database, "select count(*) from catalog_initiative")
    job_id = _queue_job(child, big, "killed-worker")

    worker = subprocess.Popen(
        [*CLI, "worker"], env=child, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    rows = 0
    while rows < 4000 and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)
        # Another connection sees the progress: each batch commits with its row count.
        rows = int(_one(child_database, "select rows from sources_harvestjob where id=?", job_id))  # type: ignore[call-overload]
    assert rows >= 4000, "the import never got going"
    worker.send_signal(signal.SIGKILL)  # a crash: no chance to clean up
    worker.wait(timeout=30)
    published = "select count(*) from catalog_initiative where published"
    assert _one(child_database, published) == before  # written, but nothing public
    assert _one(child_database, "select status from sources_harvestjob where id=?", job_id) == (
        "running"
    )

    # A new worker (the machine restarted, `make run` again) finds the job of the dead one.
    again = subprocess.run(
        [*CLI, "worker", "--until-idle"], env=child, timeout=600, capture_output=True, check=False
    )
    assert again.returncode == 0, again.stderr.decode()[-800:]
    status, attempts, error = (
        _one(child_database, f"select {c} from sources_harvestjob where id=?", job_id)
        for c in ("status", "attempts", "error")
    )
    assert status == "done-with-errors"  # the base has one row outside France
    assert attempts == 2
    assert error == ""  # the interruption is history: the job ended well
    assert _one(child_database, "select count(*) from catalog_initiative") == before + 20 * 2472
    with sqlite3.connect(child_database) as db:
        statuses = [s for (s,) in db.execute(
            "select status from django_tasks_database_dbtaskresult where task_path like "
            "'%run_harvest_job' and json_extract(args_kwargs, '$.args[0]') = ? "
            "order by enqueued_at", [job_id],
        )]  # fmt: skip
    assert statuses == ["FAILED", "SUCCESSFUL"]  # the dead worker's run, then the new one


@pytest.mark.django_db
def test_a_dead_workers_task_and_job_are_closed_or_queued_again(
    referential, django_capture_on_commit_callbacks
):
    source = Source.objects.create(name="orphan", backend="bnlc")
    here = socket.gethostname()
    dead = _dead_pid()
    from_worker = HarvestJob.objects.create(
        source=source, status="running", host=here, pid=dead, attempts=1
    )
    from_cli = HarvestJob.objects.create(
        source=Source.objects.create(name="cli", backend="bnlc"),
        status="running",
        host=here,
        pid=dead,
    )
    elsewhere = HarvestJob.objects.create(
        source=Source.objects.create(name="remote", backend="bnlc"),
        status="running",
        host="another-machine",
        pid=dead,
        attempts=1,
    )
    alive = HarvestJob.objects.create(
        source=Source.objects.create(name="alive", backend="bnlc"),
        status="running",
        host=here,
        pid=os.getpid(),
        attempts=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.requeue_jobs_of_dead_workers(sender=None)
    for job in (from_worker, from_cli, elsewhere, alive):
        job.refresh_from_db()
    assert from_worker.status == "pending"
    assert "relancé" in from_worker.error
    assert from_cli.status == "failed"
    assert "interrompu (processus arrêté)" in from_cli.error
    assert elsewhere.status == "running"  # another machine's process is not judged from here
    assert alive.status == "running"
    queued = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert queued.args_kwargs["args"] == [from_worker.pk]

    # After the last attempt the job is closed, with the count.
    from_worker.status, from_worker.attempts = "running", tasks.MAX_ATTEMPTS
    from_worker.pid, from_worker.host = dead, here
    from_worker.save()
    tasks.requeue_jobs_of_dead_workers(sender=None)
    from_worker.refresh_from_db()
    assert from_worker.status == "failed"
    assert f"interrompu {tasks.MAX_ATTEMPTS} fois" in from_worker.error

    # The queue's own row of a dead worker's task is closed too.
    queued.status = TaskResultStatus.RUNNING
    queued.worker_ids = [f"{here[:40]}:{dead}"]
    queued.save()
    assert fail_tasks_of_dead_workers() == 1
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.FAILED
    assert "processus de travail arrêté" in queued.traceback


@pytest.mark.django_db
def test_scheduled_sources_are_harvested_when_due(
    referential, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "lieux.csv"
    path.write_text("id_lieu\n1\n", "utf-8")
    now = timezone.now()
    due = Source.objects.create(
        name="due", backend="bnlc", location=str(path), harvest_every_days=30
    )
    later = Source.objects.create(
        name="later",
        backend="bnlc",
        location=str(path),
        harvest_every_days=30,
        next_harvest_at=now + datetime.timedelta(days=3),
    )
    Source.objects.create(
        name="gone", backend="bnlc", location=str(tmp_path / "absent.csv"), harvest_every_days=7
    )
    Source.objects.create(name="manual", backend="bnlc", location=str(path))
    said: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_due_harvests(sender=None, say=said.append)
    jobs = {job.source.name: job for job in HarvestJob.objects.select_related("source")}
    assert set(jobs) == {"due", "gone"}
    assert jobs["due"].status == "pending"
    assert not jobs["due"].dry_run
    assert jobs["gone"].status == "failed"
    assert "n'est plus là" in jobs["gone"].error
    queued = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert queued.args_kwargs["args"] == [jobs["due"].pk]
    due.refresh_from_db()
    assert due.next_harvest_at is not None
    assert abs(due.next_harvest_at - (now + datetime.timedelta(days=30))) < datetime.timedelta(
        minutes=1
    )
    assert any("« due »" in line for line in said)
    # Not due again while its job waits, nor before its date.
    tasks.queue_due_harvests(sender=None)
    assert HarvestJob.objects.count() == 2
    later.refresh_from_db()
    assert tasks.due_sources(later.next_harvest_at) == [later]


@pytest.mark.django_db
def test_a_pending_job_says_when_no_worker_is_running(admin_client, referential):
    source = Source.objects.create(name="waiting", backend="bnlc")
    job = HarvestJob.objects.create(source=source, dry_run=True)
    assert not worker_active()
    html = admin_client.get(f"/imports/{job.pk}/").content.decode()
    assert "Aucun processus de travail n'est actif" in html
    from maillage.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(
        worker_id=current_worker_id(),
        host="h",
        pid=1,
        started_at=timezone.now(),
        seen_at=timezone.now(),
    )
    html = admin_client.get(f"/imports/{job.pk}/").content.decode()
    assert "Aucun processus de travail" not in html
    assert "attend son tour" in html
