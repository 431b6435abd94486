from django.urls import path

from . import views

app_name = "opportunities"

urlpatterns = [
    path("", views.home, name="home"),
    path("opportunities/", views.opportunity_list, name="list"),
    path("opportunities/<slug:slug>/", views.opportunity_detail, name="detail"),
    path("events/", views.events, name="events"),
    path("events.ics", views.events_feed, name="events_feed"),
    path("events/<int:pk>.ics", views.event_calendar, name="event_calendar"),
    path("lay-partners/", views.lay_partners, name="lay_partners"),
    path("glossary/", views.glossary, name="glossary"),
    path("impact/", views.impact_list, name="impact_list"),
    path("impact/feed/", views.impact_feed, name="impact_feed"),
    path("impact/<int:year>/", views.impact_year, name="impact_year"),
    path("impact/<slug:slug>/", views.impact_detail, name="impact_detail"),
]
