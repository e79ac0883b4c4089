"""Network inventory the desk needs to place customers on the network:
areas, and elements with their upstream dependency."""

from __future__ import annotations

from django.db import models


class Area(models.Model):
    """A service area or site (a town, a district, a PoP), with coordinates."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ElementKind(models.TextChoices):
    CORE_ROUTER = "core_router", "Core router"
    AGGREGATION_SWITCH = "aggregation_switch", "Aggregation switch"
    OLT = "olt", "OLT"
    DSLAM = "dslam", "DSLAM"
    CMTS = "cmts", "CMTS"
    BASE_STATION = "base_station", "Base station"
    MICROWAVE_LINK = "microwave_link", "Microwave link"
    CPE = "cpe", "ONT / CPE"
    OTHER = "other", "Other"


class NetworkElement(models.Model):
    """A device customers' services depend on. `upstream` is the element it
    hangs off, so the chain of upstreams is a customer's path to the core."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40, choices=ElementKind.choices)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)
    upstream = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="downstream"
    )
    management_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
