"""App config of the benchmark project: installs the GC hook in every process that loads it."""

from __future__ import annotations

from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "benchmarks.servers.site"
    label = "servers_site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from benchmarks.servers import gcstats

        # Under gunicorn --preload this runs in the arbiter; the hook is inherited by each
        # forked worker, whose counters start from zero (os.register_at_fork).
        gcstats.install(settings.GC_DIR)
