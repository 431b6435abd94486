"""Erase everything held about an email address, on the person's request.

Their personal details are removed from every record; counts and anonymised history stay. The
erasure is recorded with who did it (`--by`) and why (`--reason`), never with the person.
"""

from django.core.management.base import BaseCommand, CommandError

from applications.personal_data import Person, erase

from .subject_access import staff_member


class Command(BaseCommand):
    help = "Erase a person's data on their request, by email address."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The email address of the person to erase.")
        parser.add_argument("--by", required=True, help="Your staff username, for the record.")
        parser.add_argument("--reason", required=True, help="Why, for the record.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )

    def handle(self, *args, email, by, reason, yes, **options):
        user = staff_member(by)
        if not reason.strip():
            raise CommandError("Give a reason for the erasure.")
        person = Person(email)
        counts = person.counts()
        if not (counts["expressions"] or counts["alerts"] or counts["next_date_requests"]):
            raise CommandError("Nothing is held about that email address.")
        self.stdout.write(
            f"This will remove the personal details from {counts['expressions']} expressions "
            f"of interest and delete {counts['staff_notes']} staff notes and "
            f"{counts['alerts']} alert sign-ups and {counts['next_date_requests']} requests to "
            "hear about an event's next date. It cannot be undone."
        )
        if not yes and input("Type 'erase' to go ahead: ").strip().lower() != "erase":
            raise CommandError("Nothing was erased.")
        record = erase(person, by=user, reason=reason)
        self.stdout.write(f"Erased. Recorded as personal data request {record.pk}.")
