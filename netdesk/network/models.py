"""Network inventory the desk needs to place customers on the network:
areas (sites), elements with their upstream dependency, and the links
between elements."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from netdesk.core.errors import ValidationFailed

KIND_MAX_LENGTH = 40
KIND_PATTERN = re.compile(rf"^[a-z][a-z0-9_]{{0,{KIND_MAX_LENGTH - 1}}}$")
# Separators people write in type names ("Core Router", "core-router",
# "ONT/CPE") all become "_", so the same type is one kind however it is typed.
KIND_SEPARATORS = re.compile(r"[\s\-/.]+")


class ElementKind(models.TextChoices):
    """The kinds most operators have. Suggestions only: an operator may use
    any other short slug (`ftth_splitter`, `dwdm_terminal`, ...)."""

    CORE_ROUTER = "core_router", "Core router"
    AGGREGATION_SWITCH = "aggregation_switch", "Aggregation switch"
    OLT = "olt", "OLT"
    DSLAM = "dslam", "DSLAM"
    CMTS = "cmts", "CMTS"
    BASE_STATION = "base_station", "Base station"
    MICROWAVE_LINK = "microwave_link", "Microwave link"
    CPE = "cpe", "ONT / CPE"
    OTHER = "other", "Other"


class LinkKind(models.TextChoices):
    """Common link media; like element kinds, any short slug is accepted."""

    FIBRE = "fibre", "Fibre"
    MICROWAVE = "microwave", "Microwave"
    COPPER = "copper", "Copper"
    COAX = "coax", "Coax"
    CIRCUIT = "circuit", "Leased circuit"
    OTHER = "other", "Other"


def kind_accepted(field: str = "kind") -> str:
    suggestions = ElementKind.values if field == "kind" else LinkKind.values
    return (
        f"a short slug: a lowercase letter, then lowercase letters, digits or _ "
        f"(at most {KIND_MAX_LENGTH} characters), e.g. {', '.join(suggestions)}"
    )


def kind_slug(raw: str, *, field: str = "kind") -> str:
    """The kind as stored: "Core Router" and "core-router" both give
    "core_router". Raises ValidationFailed naming the field, the value and
    what is accepted when nothing usable is left."""
    slug = KIND_SEPARATORS.sub("_", (raw or "").strip().lower()).strip("_")
    if not KIND_PATTERN.match(slug):
        raise ValidationFailed(
            f"{field} {raw!r} is not accepted; give {kind_accepted(field)}.",
            field=field,
            value=raw,
            accepted=kind_accepted(field),
        )
    return slug


def validate_kind(value: str) -> None:
    """Form and admin validation: the stored value must already be a slug."""
    if not KIND_PATTERN.match(value or ""):
        raise ValidationError(f"{value!r} is not accepted; give {kind_accepted()}.")


class Area(models.Model):
    """A service area or site (a town, a district, a PoP), with coordinates.
    `source` + `external_id` say where an imported area came from, so
    importing the same source again updates it instead of adding another."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    source = models.CharField(
        max_length=80, blank=True, default="", help_text="the inventory it was imported from"
    )
    external_id = models.CharField(
        max_length=120, blank=True, default="", help_text="its id in that inventory"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="area_source_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        _refuse_loop(self, self.parent, "parent")


def _refuse_loop(
    record: Area | NetworkElement, first: Area | NetworkElement | None, field: str
) -> None:
    """Parents (areas) and upstreams (elements) must form trees: following
    them from `first` must never come back to `record`."""
    seen = {record.pk} if record.pk is not None else set()
    current = first
    while current is not None:
        if current.pk in seen:
            raise ValidationError(
                {field: f"{first} leads back to {record}: {field}s must not loop."}
            )
        seen.add(current.pk)
        current = current.parent if isinstance(current, Area) else current.upstream


class NetworkElement(models.Model):
    """A device customers' services depend on. `upstream` is the element it
    hangs off, so the chain of upstreams is a customer's path to the core;
    the upstreams of all elements form a forest (no cycles), which impact
    analysis relies on."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(
        max_length=KIND_MAX_LENGTH,
        validators=[validate_kind],
        help_text=f"any short slug; usual ones: {', '.join(ElementKind.values)}",
    )
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)
    upstream = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="downstream"
    )
    management_ip = models.GenericIPAddressField(null=True, blank=True)
    role = models.CharField(
        max_length=80, blank=True, default="", help_text="the role as the inventory names it"
    )
    vendor = models.CharField(max_length=80, blank=True, default="")
    model = models.CharField(max_length=80, blank=True, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    source = models.CharField(
        max_length=80, blank=True, default="", help_text="the inventory it was imported from"
    )
    external_id = models.CharField(
        max_length=120, blank=True, default="", help_text="its id in that inventory"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="element_source_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """An upstream that leads back to this element would make the
        dependency graph a loop; impact analysis needs a tree."""
        _refuse_loop(self, self.upstream, "upstream")


class Link(models.Model):
    """A physical or leased connection between two elements (a fibre, a
    microwave hop, a circuit). Links describe the mesh; the dependency tree
    used for impact analysis is `NetworkElement.upstream`."""

    a_element = models.ForeignKey(
        NetworkElement, on_delete=models.CASCADE, related_name="links_as_a"
    )
    a_port = models.CharField(max_length=60, blank=True, default="")
    b_element = models.ForeignKey(
        NetworkElement, on_delete=models.CASCADE, related_name="links_as_b"
    )
    b_port = models.CharField(max_length=60, blank=True, default="")
    kind = models.CharField(
        max_length=KIND_MAX_LENGTH,
        validators=[validate_kind],
        default=LinkKind.OTHER,
        help_text=f"any short slug; usual ones: {', '.join(LinkKind.values)}",
    )
    name = models.CharField(max_length=120, blank=True, default="")
    capacity_mbps = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=80, blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="link_source_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        label = f" {self.name}" if self.name else ""
        return f"{self.kind}{label}: {self.a_element} – {self.b_element}"
