"""A tiny shop: products that events can refer to."""

from __future__ import annotations

from django.db import models

from djangotailoring.tracking.fields import EventRelation


class Product(models.Model):
    name = models.CharField(max_length=100)
    events = EventRelation()

    def __str__(self) -> str:
        return self.name
