from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("opportunities/<slug:slug>/interest/", views.express_interest, name="express_interest"),
    path("opportunities/<slug:slug>/interest/sent/", views.interest_sent, name="interest_sent"),
    path(
        "opportunities/<slug:slug>/next-date/", views.ask_for_next_date, name="next_date"
    ),
    path(
        "opportunities/<slug:slug>/next-date/sent/", views.next_date_sent,
        name="next_date_sent",
    ),
    # One question a page (after sent/, which is not one).
    path(
        "opportunities/<slug:slug>/interest/<slug:step>/",
        views.express_interest,
        name="interest_step",
    ),
    path("interest/manage/<str:token>/", views.manage, name="manage"),
    path("interest/manage/<str:token>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "interest/manage/<str:token>/bookings/<int:pk>.ics",
        views.booking_calendar,
        name="booking_calendar",
    ),
    path("interest/consent/<str:token>/", views.parent_consent, name="parent_consent"),
    path("events/<int:pk>/register/", views.register_for_event, name="register_for_event"),
    path(
        "events/<int:pk>/register/sent/", views.registration_sent, name="registration_sent"
    ),
    path(
        "bookings/<str:token>/<str:action>/", views.booking_respond, name="booking_respond"
    ),
    path(
        "impact/emails/stop/<str:token>/", views.impact_emails_stop, name="impact_emails_stop"
    ),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/check-your-email/", views.alerts_sent, name="alerts_sent"),
    path("alerts/confirm/<str:token>/", views.alerts_confirm, name="alerts_confirm"),
    path("alerts/manage/<str:token>/", views.alerts_manage, name="alerts_manage"),
    path("alerts/unsubscribe/<str:token>/", views.alerts_unsubscribe, name="alerts_unsubscribe"),
    path("my-involvement/", views.my_involvement, name="my_involvement"),
    path("my-involvement/sign-in/", views.my_involvement_sign_in, name="my_involvement_sign_in"),
    path(
        "my-involvement/sign-in/check-your-email/", views.my_involvement_sent,
        name="my_involvement_sent",
    ),
    path(
        "my-involvement/sign-in/<str:token>/", views.my_involvement_link,
        name="my_involvement_link",
    ),
    path("my-involvement/sign-out/", views.my_involvement_sign_out, name="my_involvement_sign_out"),
    path(
        "my-involvement/meetings/<int:pk>.ics", views.my_involvement_calendar,
        name="my_involvement_calendar",
    ),
    path(
        "my-involvement/claims/new/<int:pk>/", views.claim_new, name="claim_new"
    ),
    path("my-involvement/claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("my-involvement/receipts/<int:pk>/", views.claim_receipt, name="claim_receipt"),
    path(
        "my-involvement/statement/<int:year>/", views.claims_statement, name="claims_statement"
    ),
    path(
        "my-involvement/statement/<int:year>.csv", views.claims_statement_csv,
        name="claims_statement_csv",
    ),
    path("equality-monitoring/", views.equality_monitoring, name="equality"),
    path(
        "equality-monitoring/thank-you/", views.equality_thanks, name="equality_thanks"
    ),
]
