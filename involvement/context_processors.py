from django.conf import settings


def trust(request):
    """The trust's name and involvement team contact, and whether its pages use NHS.UK's
    Frutiger font (settings.FRUTIGER_FONT), for every template.

    The NHS organisation header shows "Anytown" large and "NHS Foundation Trust" small, so the
    name is split where its NHS descriptor starts.
    """
    name = settings.TRUST_NAME
    organisation, sep, descriptor = name.partition(" NHS ")
    if not sep:
        organisation, descriptor = name, ""
    else:
        descriptor = f"NHS {descriptor}"
    return {
        "trust_name": name,
        "trust_organisation": organisation,
        "trust_descriptor": descriptor,
        "involvement_email": settings.TRUST_INVOLVEMENT_EMAIL,
        "involvement_phone": settings.TRUST_INVOLVEMENT_PHONE,
        "frutiger_font": settings.FRUTIGER_FONT,
    }
