"""Load a trust's involvement content (programmes, opportunities, glossary) from a JSON file.

    python manage.py load_trust_content [path/to/content.json]

The file looks like::

    {
      "sites":         [{"slug": "...", "name": "...", "address": "...", ...}, ...],
      "programmes":    [{"slug": "...", "name": "...", ...}, ...],
      "opportunities": [{"slug": "...", "programme": "<programme slug>",
                         "site": "<site slug>" or "to be confirmed", ...}, ...],
      "glossary":      [{"term": "...", "slug": "...", "meaning": "...", ...}, ...]
    }

Each entry names model fields. A text field may also be written as a list of lines, which are
joined with newlines (a "" line makes the blank line between paragraphs). Dates are written
2027-05-29.

Only what the trust has said
----------------------------
The pages show every fact here as the trust's, so the file must not fill in what the trust has
not given (`_check_facts`, with an error naming the entry):

- an opportunity in person ("on_site": true) names its site, or says "site": "to be
  confirmed"; one not in person names no site;
- lay partners already in post: a number only on lay partner roles, and only when the trust
  gave one (null when it did not, so no "1 of 2 filled" is made up);
- who can take part and the minimum age: only when given. Left out, a new opportunity says
  "to be confirmed" rather than taking the admin's default of adults; a minimum age needs an
  audience.

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

from opportunities.models import GlossaryTerm, Opportunity, Programme, Site

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "content" / "trust.json"

# Staff decide when an opportunity opens and closes: the file sets its status only when it
# creates the row, so running the loader again (as `make run` does) never reopens a closed one.
SET_ONLY_ON_CREATE = {"status"}

# Written in the file instead of a site's slug while the trust has not said which site.
SITE_TO_BE_CONFIRMED = "to be confirmed"

# What a new opportunity holds when the file does not say: "not known", never the model's
# default (adults, no lay partners in post), which the pages would show as the trust's word.
UNKNOWN_UNLESS_GIVEN = {"audience": "", "minimum_age": None, "lay_partners_in_post": None}

SECTIONS = [
    # (key in the file, model, field the rows are matched on, word for the summary)
    ("sites", Site, "slug", "sites"),
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
        if model is Opportunity:
            self._check_facts(entry, label)
        values = self._values(model, entry, label)

        obj = model.objects.select_for_update().filter(**{lookup: key}).first()
        created = obj is None
        if created:
            obj = model(**{lookup: key})
            if model is Opportunity:
                values = {**UNKNOWN_UNLESS_GIVEN, **values}
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

    @staticmethod
    def _check_facts(entry, label):
        """Refuse an opportunity that states what the trust has not given (see the module
        docstring)."""
        site = entry.get("site")
        if entry.get("on_site"):
            if not site:
                raise CommandError(
                    f'{label}: it is in person ("on_site": true), so say which site: '
                    f'"site": a site\'s slug, or "site": "{SITE_TO_BE_CONFIRMED}".'
                )
        elif site and site != SITE_TO_BE_CONFIRMED:
            raise CommandError(
                f'{label}: names site \'{site}\' but is not in person; set "on_site": true '
                "or remove the site."
            )
        in_post = entry.get("lay_partners_in_post")
        if in_post is not None and entry.get("kind") != Opportunity.Kind.LAY_PARTNER:
            raise CommandError(
                f"{label}: only lay partner roles have lay partners in post; remove "
                '"lay_partners_in_post" or set it to null.'
            )
        if in_post is not None and not isinstance(in_post, int):
            raise CommandError(
                f'{label}: "lay_partners_in_post" must be the number the trust gave, or null '
                "when it gave none."
            )
        if entry.get("minimum_age") is not None and not entry.get("audience"):
            raise CommandError(
                f'{label}: gives a minimum age but not who can take part ("audience"); give '
                "both, or neither if the trust has not said."
            )

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
                if name == "site" and value in (SITE_TO_BE_CONFIRMED, None):
                    value = None
                else:
                    value = self._related(field, value, label)
            elif value is not None:
                try:
                    # As the database will hand it back ("2027-05-29" is a date), so a rerun
                    # sees an unchanged row as unchanged.
                    value = field.to_python(value)
                except ValidationError as error:
                    raise CommandError(
                        f"{label}: '{name}' is not valid: {' '.join(error.messages)}"
                    ) from None
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
