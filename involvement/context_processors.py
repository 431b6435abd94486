from django.conf import settings


def trust(request):
    """The trust's name and involvement team contact, for every template."""
    return {
        "trust_name": settings.TRUST_NAME,
        "involvement_email": settings.TRUST_INVOLVEMENT_EMAIL,
        "involvement_phone": settings.TRUST_INVOLVEMENT_PHONE,
    }
