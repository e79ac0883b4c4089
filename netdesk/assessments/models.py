"""Assessment cycles after the synthesis method: a written exam, behavioural
ratings by assessors, structured interviews and KPI evidence from the
agent's own work, combined into a level per skill and an overall grade.
The tables keep the names they had when competency held these models."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AssessmentCycle(models.Model):
    name = models.CharField(max_length=120)
    framework = models.ForeignKey(
        "competency.Framework", on_delete=models.PROTECT, related_name="cycles"
    )
    period_start = models.DateField(help_text="KPI evidence is read from this period")
    period_end = models.DateField()
    # Weights, hurdles and the grade scheme: see netdesk/assessments/synthesis.py.
    synthesis = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "competency_assessmentcycle"

    def __str__(self) -> str:
        return self.name


class AssessmentState(models.TextChoices):
    OPEN = "open", "Collecting evidence"
    SYNTHESISED = "synthesised", "Synthesised"
    VALIDATED = "validated", "Validated"


class Assessment(models.Model):
    cycle = models.ForeignKey(AssessmentCycle, on_delete=models.CASCADE, related_name="assessments")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments"
    )
    skills = models.ManyToManyField("competency.Skill", related_name="+")
    state = models.CharField(
        max_length=20, choices=AssessmentState.choices, default=AssessmentState.OPEN
    )
    grade = models.CharField(max_length=40, blank=True, default="")
    grade_inputs = models.JSONField(default=dict, blank=True)
    override_reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "competency_assessment"
        constraints = [
            models.UniqueConstraint(fields=["cycle", "agent"], name="assessment_once_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.agent}"


class ExamQuestion(models.Model):
    """Multiple choice, per skill and level; auto-scored."""

    skill = models.ForeignKey(
        "competency.Skill", on_delete=models.CASCADE, related_name="questions"
    )
    level = models.PositiveSmallIntegerField()
    text = models.TextField()
    choices = models.JSONField(help_text="list of answer texts")
    correct = models.PositiveSmallIntegerField(help_text="index of the right answer")

    class Meta:
        db_table = "competency_examquestion"

    def __str__(self) -> str:
        return f"{self.skill.code} L{self.level}: {self.text[:60]}"


class ExamAttempt(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="exams")
    skill = models.ForeignKey("competency.Skill", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    questions = models.ManyToManyField(ExamQuestion, related_name="+")
    answers = models.JSONField(default=dict, blank=True, help_text="question id → chosen index")
    pass_mark = models.FloatField(default=0.7, help_text="share of right answers to pass")
    score = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "competency_examattempt"

    def __str__(self) -> str:
        return f"Exam {self.skill.code} L{self.level} for {self.assessment}"


class RatingKind(models.TextChoices):
    OBSERVATION = "observation", "Behavioural observation"
    INTERVIEW = "interview", "Structured interview"


class Rating(models.Model):
    """An assessor's 1–5 rating of one indicator (anchored scale)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    indicator = models.ForeignKey(
        "competency.Indicator", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=RatingKind.choices)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True, default="")
    rated_at = models.DateTimeField()

    class Meta:
        db_table = "competency_rating"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator", "kind", "assessor"], name="rating_once"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessor} rated {self.indicator} {self.score}"


class SkillResult(models.Model):
    """The synthesised level of one skill in one assessment, with its inputs."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    skill = models.ForeignKey("competency.Skill", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    inputs = models.JSONField(default=dict, help_text="each component, its weight, the hurdles")
    hurdles_failed = models.JSONField(default=list, blank=True)
    override_level = models.PositiveSmallIntegerField(null=True, blank=True)
    override_reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "competency_skillresult"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "skill"], name="skill_result_once")
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.skill.code}: L{self.level}"
