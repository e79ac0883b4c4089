"""What a reader may be shown, as one filter on search documents: applied
inside the keyword query and to every candidate found by meaning, so no
hit ever comes from outside it."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from netdesk.knowledge.models import Audience, DocumentKind, SearchDocument
from netdesk.knowledge.search.types import Reader
from netdesk.tickets.selectors import tickets_visible_to


def visible(reader: Reader, *, kinds: Sequence[str], include_unpublished: bool = False) -> Q:
    """Documents of `kinds` the reader may see. The public sees live public
    articles only; an agent live articles, the resolved tickets they may
    see, macros offered to none of the groups or to one of theirs.
    `include_unpublished` (editors' search) adds articles not live yet."""
    if reader.public or reader.user is None:
        if DocumentKind.ARTICLE not in kinds:
            return Q(pk__in=[])
        return Q(kind=DocumentKind.ARTICLE, live=True, audience=Audience.PUBLIC)
    user = reader.user
    allowed = Q(pk__in=[])
    if DocumentKind.ARTICLE in kinds:
        article = Q(kind=DocumentKind.ARTICLE)
        allowed |= article if include_unpublished else article & Q(live=True)
    if DocumentKind.TICKET in kinds:
        allowed |= Q(
            kind=DocumentKind.TICKET,
            live=True,
            object_id__in=tickets_visible_to(user).values("id"),
        )
    if DocumentKind.MACRO in kinds:
        # Subqueries, not joins: a macro of two of the user's groups is one row.
        offered = SearchDocument.groups.through.objects
        to_some = offered.values("searchdocument_id")
        to_mine = offered.filter(supportgroup__in=user.support_groups.all()).values(
            "searchdocument_id"
        )
        allowed |= Q(kind=DocumentKind.MACRO, live=True) & (~Q(pk__in=to_some) | Q(pk__in=to_mine))
    return allowed
