"""gunicorn settings both apps of ``bench_answer_page.py`` are served with, beside its command line.

Each worker is warmed before it takes requests, as ``deploy/gunicorn.conf.py``
warms a deployed one (:func:`elicit.app.warm`: the core imported, templates
compiled, what is loaded set aside from the garbage collector); the bare
endpoint's workers go through the same.
"""


def post_worker_init(worker) -> None:  # noqa: ANN001
    """Warm the new worker's app (:func:`elicit.app.warm`)."""
    from elicit.app import warm

    warm(worker.wsgi)
