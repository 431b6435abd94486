from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("opportunities/<slug:slug>/interest/", views.express_interest, name="express_interest"),
    path("opportunities/<slug:slug>/interest/sent/", views.interest_sent, name="interest_sent"),
    path("interest/manage/<str:token>/", views.manage, name="manage"),
]
