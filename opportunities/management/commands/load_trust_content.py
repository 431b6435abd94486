"""Load a trust's involvement content (programmes, opportunities, glossary) from a JSON file.

    python manage.py load_trust_content [path/to/content.json]

The file looks like::

    {
      "programmes":    [{"slug": "...", "name": "...", ...}, ...],
      "opportunities": [{"slug": "...", "programme": "<programme slug>", ...}, ...],
      "glossary":      [{"term": "...", "slug": "...", "meaning": "...", ...}, ...]
    }

Each entry names model fields. A text field may also be written as a list of lines, which are
joined with newlines (a "" line makes the blank line between paragraphs).

The file owns the rows it names and only those: programmes and opportunities are matched on
slug, glossary terms on term. A matching row is brought back to what the file says (fields the
file does not mention are left alone, and status is only set when a row is created); a missing
one is created; rows the file does not name are never touched. Every object is validated with
full_clean() before it is saved, and the whole load runs in one transaction, so a bad file
changes nothing.
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from opportunities.models import GlossaryTerm, Opportunity, Programme

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "content" / "trust.json"

# Staff decide when an opportunity opens and closes: the file sets its status only when it
# creates the row, so running the loader again (as `make run` does) never reopens a closed one.
SET_ONLY_ON_CREATE = {"status"}

SECTIONS = [
    # (key in the file, model, field the rows are matched on, word for the summary)
    ("programmes", Programme, "slug", "programmes"),
    ("opportunities", Opportunity, "slug", "opportunities"),
    ("glossary", GlossaryTerm, "term", "glossary terms"),
]


class Command(BaseCommand):
    help = (
        "Create or update the trust's programmes, opportunities and glossary terms from a JSON "
        "file. Safe to run again: rows are matched on slug (glossary: term) and others are left "
        "alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=str(DEFAULT_PATH),
            help=f"The content file (default: {DEFAULT_PATH}).",
        )

    def handle(self, *args, path, **options):
        data = self._read(Path(path))
        counts = []
        with transaction.atomic():
            for key, model, lookup, label in SECTIONS:
                entries = data.get(key, [])
                created = updated = unchanged = 0
                for index, entry in enumerate(entries):
                    result = self._load(model, lookup, entry, where=f"{key}[{index}]")
                    if result == "created":
                        created += 1
                    elif result == "updated":
                        updated += 1
                    else:
                        unchanged += 1
                counts.append(
                    f"{len(entries)} {label} ({created} created, {updated} updated, "
                    f"{unchanged} unchanged)"
                )
        self.stdout.write(self.style.SUCCESS("Loaded " + ", ".join(counts)))

    # Reading and checking the file -------------------------------------------------------

    def _read(self, path):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"Content file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read content file {path}: {error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"{path} is not valid JSON: {error}") from None

        if not isinstance(data, dict):
            raise CommandError(f"{path}: expected an object with {self._keys()}.")
        unknown = set(data) - {key for key, *_ in SECTIONS}
        if unknown:
            raise CommandError(
                f"{path}: unknown section(s) {', '.join(sorted(unknown))}; expected {self._keys()}."
            )
        for key, _model, lookup, _label in SECTIONS:
            entries = data.get(key, [])
            if not isinstance(entries, list):
                raise CommandError(f"{path}: '{key}' must be a list.")
            seen = set()
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    raise CommandError(f"{path}: {key}[{index}] must be an object.")
                value = entry.get(lookup)
                if not isinstance(value, str) or not value.strip():
                    raise CommandError(f"{path}: {key}[{index}] has no '{lookup}'.")
                if value in seen:
                    raise CommandError(f"{path}: {key} names '{value}' more than once.")
                seen.add(value)
        return data

    @staticmethod
    def _keys():
        return ", ".join(f"'{key}'" for key, *_ in SECTIONS)

    # Loading one row -----------------------------------------------------------------------

    def _load(self, model, lookup, entry, where):
        """Create or update one row; returns 'created', 'updated' or 'unchanged'."""
        key = entry[lookup]
        label = f"{where} ({lookup} '{key}')"
        values = self._values(model, entry, label)

        obj = model.objects.select_for_update().filter(**{lookup: key}).first()
        created = obj is None
        if created:
            obj = model(**{lookup: key})
        else:
            values = {k: v for k, v in values.items() if k not in SET_ONLY_ON_CREATE}
        before = self._snapshot(obj)
        for name, value in values.items():
            setattr(obj, name, value)
        try:
            obj.full_clean()
        except ValidationError as error:
            raise CommandError(f"{label} is not valid: {self._describe(error)}") from None

        if created:
            obj.save()
            return "created"
        if self._snapshot(obj) == before:
            return "unchanged"  # not saved, so updated_at still says when it last changed
        obj.save()
        return "updated"

    def _values(self, model, entry, label):
        fields = {
            field.name: field
            for field in model._meta.concrete_fields
            if field.editable and not field.primary_key
        }
        unknown = set(entry) - set(fields)
        if unknown:
            raise CommandError(f"{label}: unknown field(s) {', '.join(sorted(unknown))}.")
        values = {}
        for name, value in entry.items():
            field = fields[name]
            if isinstance(value, list) and not field.is_relation:
                if not all(isinstance(line, str) for line in value):
                    raise CommandError(f"{label}: '{name}' must be text or a list of lines.")
                value = "\n".join(value)
            if field.is_relation:
                value = self._related(field, value, label)
            values[name] = value
        return values

    def _related(self, field, slug, label):
        target = field.related_model
        try:
            return target.objects.get(slug=slug)
        except target.DoesNotExist:
            raise CommandError(
                f"{label}: no {target._meta.verbose_name} with slug '{slug}'."
            ) from None

    @staticmethod
    def _snapshot(obj):
        return {
            field.attname: getattr(obj, field.attname)
            for field in obj._meta.concrete_fields
            if field.editable and not field.primary_key
        }

    @staticmethod
    def _describe(error):
        if hasattr(error, "message_dict"):
            return "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
        return " ".join(error.messages)
