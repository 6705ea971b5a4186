"""The table every measured request reads one row from."""

from __future__ import annotations

from django.db import models


class Page(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.title
