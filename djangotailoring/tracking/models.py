"""The :class:`Event` model: schema only (creation rules live in ``creation.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from djangotailoring.limits import NAME_MAX_LENGTH, NOTE_MAX_LENGTH, OBJECT_ID_MAX_LENGTH
from djangotailoring.tracking.eventdata import EventDataField
from djangotailoring.tracking.fields import EventObjectField, ObjectIdField
from djangotailoring.tracking.loading import load_instance
from djangotailoring.tracking.placement import links_constrained, links_on_delete
from djangotailoring.tracking.querysets import EventQuerySet

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["Event", "WrittenBatch"]


class Event(models.Model):
    """A single, named, timestamped thing that happened, optionally tied to a user and an object.

    Setting ``event.request = request`` before saving makes the request available to the
    log record of the event; it is never persisted.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        default=None,
        # Beside the users: SET_NULL with a constraint; on TRACKING_DATABASE: neither can
        # cross databases (see djangotailoring.tracking.placement).
        on_delete=links_on_delete(),
        db_constraint=links_constrained(),
        related_name="+",
        # Covered by the (user, name, timestamp) index.
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    timestamp = models.DateTimeField(_("timestamp"), default=timezone.now)
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True, default="")
    related_content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("related object type"),
        null=True,
        blank=True,
        default=None,
        on_delete=links_on_delete(),
        db_constraint=links_constrained(),
        related_name="+",
        # Covered by the (related_content_type, related_object_id) index.
        db_index=False,
    )
    related_object_id = ObjectIdField(
        _("related object id"), max_length=OBJECT_ID_MAX_LENGTH, null=True, blank=True, default=None
    )
    related_object = EventObjectField("related_content_type", "related_object_id")
    data = EventDataField(_("data"), default=dict, blank=True)

    objects: ClassVar[EventQuerySet[Event]] = EventQuerySet.as_manager()  # type: ignore[assignment]

    request: HttpRequest | None = None

    class Meta:
        app_label = "tracking"
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ("-timestamp", "-id")
        get_latest_by = ("timestamp", "id")
        indexes = (
            models.Index(
                fields=["related_content_type", "related_object_id"],
                name="tracking_event_related_idx",
            ),
            models.Index(fields=["user", "name", "timestamp"], name="tracking_event_user_name_idx"),
            models.Index(fields=["name", "timestamp"], name="tracking_event_name_ts_idx"),
            models.Index(fields=["timestamp", "id"], name="tracking_event_ts_idx"),
        )

    def __str__(self) -> str:
        return f"{self.name} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Any, values: Any, *, fetch_mode: Any = None
    ) -> Event:
        """Django's ``from_db``, without ``__init__`` when nothing can tell (see ``loading``).

        ``fetch_mode`` is Django 6.1's (``QuerySet.fetch_mode()``), passed on as given.
        """
        return load_instance(cls, db, field_names, values, fetch_mode)

    @classmethod
    def events_related_to(cls, related_object: models.Model) -> EventQuerySet[Event]:
        """All events whose ``related_object`` is ``related_object``."""
        return cls.objects.related_to(related_object)


class WrittenBatch(models.Model):
    """A marker committed with every batch that ``EventHandler`` writes.

    A batch is written together with its marker in one transaction, so a retried or
    replayed batch whose marker exists is known to be committed already and is skipped:
    batches are persisted exactly once even when a commit's outcome was unknown.
    """

    id = models.CharField(primary_key=True, max_length=40)
    written_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        app_label = "tracking"
        verbose_name = _("written batch")
        verbose_name_plural = _("written batches")

    def __str__(self) -> str:
        return self.id
