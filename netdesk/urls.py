from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from netdesk.api import api
from netdesk.core import views as core_views
from netdesk.core.views_live import agent_live

handler400 = "netdesk.core.views.bad_request"
handler404 = "netdesk.core.views.not_found"
handler500 = "netdesk.core.views.server_error"

urlpatterns = [
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz", core_views.healthz, name="healthz"),
    path("live/", agent_live, name="agent_live"),
    path("live/", include("netdesk.notifications.urls_live")),
    path("notifications/", include("netdesk.notifications.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("netdesk.customers.urls")),
    path("reports/subscriptions/", include("netdesk.reports.urls_subscriptions")),
    path("reports/", include("netdesk.reports.urls")),
    path("noc/", include("netdesk.noc.urls")),
    path("competency/", include("netdesk.competency.urls")),
    path("competency/", include("netdesk.assessments.urls")),
    path("competency/", include("netdesk.routing.urls")),
    path("status/", include("netdesk.noc.statuspage.urls")),
    path("channels/", include("netdesk.channels.urls_admin")),
    path("channels/", include("netdesk.channels.urls")),
    path("channels/", include("netdesk.channels.urls_notices")),
    path("portal/", include("netdesk.portal.urls")),
    path("chat/", include("netdesk.chat.urls")),
    path("calls/", include("netdesk.phone.urls")),
    path("kb/", include("netdesk.knowledge.urls")),
    path("triage/", include("netdesk.triage.urls")),
    # The public survey page (/survey/<token>/) and the managers' survey pages.
    path("", include("netdesk.surveys.urls")),
    path("", include("netdesk.tickets.urls")),
]
