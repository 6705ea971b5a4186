"""The app config of ``djangotailoring.tracking``."""

from __future__ import annotations

from importlib.util import find_spec

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

__all__ = ["TrackingConfig"]


class TrackingConfig(AppConfig):
    name = "djangotailoring.tracking"
    label = "tracking"
    verbose_name = _("Event tracking")
    # Pinned so that a project's DEFAULT_AUTO_FIELD never creates migrations for this app.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from djangotailoring.tracking import (
            announcing,
            contextdata,
            deletedtypes,
            deletedusers,
            denormalizing,
            handlerchecks,
            receivers,
            routing,
        )
        from djangotailoring.tracking import checks as tracking_checks

        routing.connect()
        announcing.connect()
        receivers.connect()
        contextdata.connect()
        deletedusers.connect()
        deletedtypes.connect()
        denormalizing.connect()
        if find_spec("celery") is not None:
            from djangotailoring import taskpropagation

            taskpropagation.connect()
        checks.register(tracking_checks.check_settings)
        handlerchecks.register()
