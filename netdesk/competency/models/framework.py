"""A competency framework: skills in a hierarchy, each with a proficiency
scale, what each level means and the behaviour that shows it."""

from __future__ import annotations

from django.db import models


class FrameworkState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published (frozen)"
    RETIRED = "retired", "Retired"


class Framework(models.Model):
    """Versioned: a published version is frozen; changes make a new draft
    version that copies it."""

    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    state = models.CharField(
        max_length=20, choices=FrameworkState.choices, default=FrameworkState.DRAFT
    )
    description = models.TextField(blank=True, default="")
    # Where it came from: "built-in", or the file an organisation imported.
    source = models.CharField(max_length=200, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="framework_version_unique")
        ]
        ordering = ["name", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.state != FrameworkState.DRAFT


class SkillCategory(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BEHAVIOURAL = "behavioural", "Behavioural"
    PRODUCT = "product", "Product"
    LANGUAGE = "language", "Language"
    CERTIFICATION = "certification", "Certification"


class Skill(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="skills")
    code = models.CharField(
        max_length=40, help_text="stable within the framework, e.g. CS-COMPLAINT"
    )
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=SkillCategory.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    description = models.TextField(blank=True, default="")
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)
    # Codes of external frameworks this skill maps to, e.g. {"sfia": "CSMG", "ecf": "C.1"}.
    external_codes = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="skill_code_unique"),
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")), name="skill_scale_order"
            ),
        ]
        ordering = ["framework", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LevelDescriptor(models.Model):
    """What proficiency level N of a skill means."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True, default="")
    description = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["skill", "level"], name="level_descriptor_unique")
        ]
        ordering = ["skill", "level"]

    def __str__(self) -> str:
        return f"{self.skill.code} L{self.level}"


class EvidenceKind(models.TextChoices):
    OBSERVATION = "observation", "Observation"
    EXAM = "exam", "Written exam"
    INTERVIEW = "interview", "Structured interview"
    KPI = "kpi", "KPI rule on the agent's own work"
    DOCUMENT = "document", "Document (certificate, record)"


class Indicator(models.Model):
    """A behaviour that shows a skill at a level, and what evidence can show it."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="indicators")
    level = models.PositiveSmallIntegerField()
    text = models.TextField()
    evidence = models.JSONField(default=list, help_text="EvidenceKind values")
    # For evidence "kpi": which desk KPI and what it must reach, e.g.
    # {"kpi": "first_contact_resolution", "at_least": 0.7}.
    kpi_rule = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["skill", "level", "id"]

    def __str__(self) -> str:
        return f"{self.skill.code} L{self.level}: {self.text[:60]}"
