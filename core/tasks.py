"""Celery tasks. There is one: every kind of job goes through `job_run`, which reads the Job row."""

from celery import shared_task


@shared_task(name="core.job_run", ignore_result=True)
def job_run_task(job_id: int) -> None:
    from .jobs import job_run

    job_run(job_id)
