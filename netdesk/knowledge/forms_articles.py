"""Forms of the article pages: the list's filters, the article form with
its comma lists, an upload, a state change and an agent's "not helpful"."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from netdesk.accounts.models import User
from netdesk.core.dates import DeskDateField
from netdesk.core.errors import ServiceError
from netdesk.core.schemas import MAX_ID
from netdesk.customers.models import AccessTechnology
from netdesk.knowledge.models import ArticleState, Audience, Tag
from netdesk.knowledge.selectors.articles import ArticleFilter, editors
from netdesk.tickets.models import Category

ANY = ("", "Any")
# The longest text an article body may have in the form (the preview takes as much).
BODY_LIMIT = 200_000
# What a search in the list may be (the search index takes whole mails).
QUERY_LIMIT = 2_000


def error_text(error: ServiceError) -> str:
    """The service's message with the value given and what is accepted, so
    the editor sees which of their values was refused and how to fix it."""
    parts = [error.message]
    if error.value not in (None, "") and str(error.value) not in error.message:
        parts.append(f"Given: {error.value}.")
    accepted = error.accepted
    if accepted is not None:
        if isinstance(accepted, list | tuple):
            accepted = ", ".join(str(a) for a in accepted)
        parts.append(f"Accepted: {accepted}.")
    return " ".join(parts)


def attach_error(form: forms.Form, error: ServiceError, renames: dict[str, str]) -> None:
    """Put a service's error next to the field it names (or above the form)."""
    name = renames.get(error.field or "", error.field or "")
    form.add_error(name if name in form.fields else None, error_text(error))


def not_one_of(choices: list[tuple[str, str]]) -> dict[str, str]:
    """A choice field's refusal naming the value given and those accepted."""
    accepted = ", ".join(value for value, _ in choices if value)
    return {"invalid_choice": f"%(value)s is not accepted. Accepted: {accepted}."}


NO_EDITOR = {"invalid_choice": "No person with the edit right has the id given. Given: %(value)s."}


def form_problems(form: forms.Form) -> str:
    """A refused form's errors in one line, each after its field's name."""
    return " ".join(
        f"{name}: {' '.join(str(error) for error in errors)}"
        for name, errors in form.errors.items()
    )


def comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class ArticleFilterForm(forms.Form):
    """The list's filters, read from GET parameters; a wrong value is shown
    next to its field and that filter left out."""

    q = forms.CharField(required=False, max_length=QUERY_LIMIT, label="Search")
    state = forms.ChoiceField(
        choices=[ANY, *ArticleState.choices],
        required=False,
        error_messages=not_one_of(ArticleState.choices),
    )
    audience = forms.ChoiceField(
        choices=[ANY, *Audience.choices],
        required=False,
        error_messages=not_one_of(Audience.choices),
    )
    language = forms.CharField(required=False, max_length=10)
    tag = forms.CharField(required=False, max_length=60)
    product = forms.CharField(required=False, max_length=120)
    technology = forms.ChoiceField(
        choices=[ANY, *AccessTechnology.choices],
        required=False,
        error_messages=not_one_of(AccessTechnology.choices),
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Any", error_messages=NO_EDITOR
    )
    review_due = forms.BooleanField(required=False, label="Review due")
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = editors()  # type: ignore[attr-defined]

    def article_filter(self, *, today: date, ranked_ids: list[int] | None) -> ArticleFilter:
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        owner = data.get("owner")
        return ArticleFilter(
            state=data.get("state") or "",
            audience=data.get("audience") or "",
            language=(data.get("language") or "").strip(),
            tag=(data.get("tag") or "").strip(),
            product=(data.get("product") or "").strip(),
            technology=data.get("technology") or "",
            owner_id=owner.pk if owner is not None else None,
            review_due=bool(data.get("review_due")),
            today=today,
            ranked_ids=ranked_ids,
        )


class CategoryChoice(forms.ModelMultipleChoiceField[Category]):
    """Categories named with their ticket type: two types may share a name."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_ticket_type_display()}: {obj.name}"


class ArticleForm(forms.Form):
    """An article's text and fields. `version` is the version the editor
    opened: saving over a newer one is refused instead of overwriting it."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        max_length=BODY_LIMIT,
        help_text="Markdown. Images and files: ![what it shows](attachment:FILENAME).",
    )
    audience = forms.ChoiceField(
        choices=Audience.choices,
        initial=Audience.INTERNAL,
        error_messages=not_one_of(Audience.choices),
    )
    language = forms.CharField(max_length=10, initial="en", help_text="ISO 639-1, e.g. en, de")
    products = forms.CharField(
        required=False, max_length=2000, help_text="Comma-separated, e.g. Fibre 250, VDSL 100"
    )
    technologies = forms.MultipleChoiceField(
        choices=AccessTechnology.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Access technologies",
        error_messages=not_one_of(AccessTechnology.choices),
    )
    categories = CategoryChoice(
        queryset=Category.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Ctrl or ⌘ and click to choose several.",
    )
    tags = forms.CharField(
        required=False, max_length=2000, help_text="Comma-separated, e.g. dhcp, router-reset"
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, error_messages=NO_EDITOR
    )
    review_on = DeskDateField(required=False, label="Review on")
    note = forms.CharField(
        required=False,
        max_length=300,
        label="Change note",
        help_text="What you changed and why (shown in the history).",
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("ticket_type", "name")
        self.fields["owner"].queryset = editors()  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        """The cleaned fields as article_create / article_update take them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "audience": data["audience"],
            "language": data["language"].strip(),
            "products": comma_list(data["products"]),
            "technologies": list(data["technologies"]),
            "category_ids": [c.pk for c in data["categories"]],
            "tags": comma_list(data["tags"]),
            "owner": data["owner"],
            "review_on": data["review_on"],
        }


def article_initial(article: Any) -> dict[str, Any]:
    """The form's values for an existing article."""
    tags: list[Tag] = list(article.tags.all())
    return {
        "title": article.title,
        "body": article.body,
        "audience": article.audience,
        "language": article.language,
        "products": ", ".join(article.products),
        "technologies": list(article.technologies),
        "categories": [c.pk for c in article.categories.all()],
        "tags": ", ".join(t.name for t in tags),
        "owner": article.owner_id,
        "review_on": article.review_on,
        "version": article.version,
    }


# The service's field names where the form calls them otherwise.
ARTICLE_FIELDS = {"category_ids": "categories", "owner_id": "owner"}


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=BODY_LIMIT)
    article = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=ArticleState.choices)
    note = forms.CharField(required=False, max_length=300)


class FeedbackForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What was missing or wrong?",
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File or image")
