"""gunicorn settings for a site that records events; Django's LOGGING stays in settings.py."""

import multiprocessing

bind = "127.0.0.1:8000"
workers = multiprocessing.cpu_count() * 2 + 1
# Recycle workers now and then; in-flight requests finish first (graceful_timeout).
max_requests = 10_000
max_requests_jitter = 1_000
graceful_timeout = 30
# gunicorn's own access log on standard output, next to the events' JSON lines.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s request_id=%({x-request-id}o)s'
