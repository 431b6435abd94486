"""Write everything held about an email address to a zip file (a subject access request).

The export is recorded, with who ran it (`--by`, a staff username), as in the admin.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from applications.personal_data import Person, subject_access_zip, zip_filename


def staff_member(username):
    user = get_user_model().objects.filter(username=username, is_staff=True).first()
    if user is None:
        raise CommandError(f"No member of staff has the username {username!r}.")
    return user


class Command(BaseCommand):
    help = "Download everything held about a person, by email address, as a zip file."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The email address the person asked about.")
        parser.add_argument("--by", required=True, help="Your staff username, for the record.")
        parser.add_argument(
            "--output", type=Path, default=Path("."),
            help="A folder to write the zip file into (default: the current folder).",
        )

    def handle(self, *args, email, by, output, **options):
        user = staff_member(by)
        if not output.is_dir():
            raise CommandError(f"{output} is not a folder.")
        content, record = subject_access_zip(Person(email), by=user)
        path = output / zip_filename(record)
        path.write_bytes(content)
        counts = record.details["counts"]
        self.stdout.write(
            f"Wrote {path}: {counts['expressions']} expressions of interest, "
            f"{counts['bookings']} bookings, {counts['status_history']} status changes, "
            f"{counts['staff_notes']} staff notes, {counts['alerts']} alert sign-ups. "
            "Recorded as personal data request "
            f"{record.pk}."
        )
