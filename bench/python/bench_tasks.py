"""The no-op task of the Python benchmarks, for Caudex and for RQ alike."""

from caudex import task


@task("noop")
def noop(payload):
    """Does nothing: the benchmark measures the queue, not the task."""
    return None
