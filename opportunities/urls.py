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
]
