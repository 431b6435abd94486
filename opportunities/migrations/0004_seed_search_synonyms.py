"""A few synonyms to start with: words people search with that the trust's pages do not use.
Staff edit them in the admin afterwards; this adds only those not there already."""

from django.db import migrations

SYNONYMS = {
    "kids": "children, young people",
    "child": "children",
    "childrens": "children",
    "children's": "children",
    "elderly": "older people",
    "old people": "older people",
    "pensioners": "older people",
    "a&e": "emergency, urgent care",
    "a and e": "emergency, urgent care",
    "casualty": "emergency, urgent care",
    # PostgreSQL's English stemmer leaves "gps" as it is, so "gp" would not find "GPs".
    "gp": "gps, general practice, primary care",
    "gps": "gp, general practice, primary care",
    "doctor": "gp, gps, general practice",
    "teenagers": "young people",
    "teens": "young people",
    "youth": "young people",
}


def add_synonyms(apps, schema_editor):
    SearchSynonym = apps.get_model("opportunities", "SearchSynonym")
    for term, words in SYNONYMS.items():
        SearchSynonym.objects.get_or_create(term=term, defaults={"words": words})


def remove_synonyms(apps, schema_editor):
    SearchSynonym = apps.get_model("opportunities", "SearchSynonym")
    SearchSynonym.objects.filter(term__in=SYNONYMS).delete()


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0003_search_synonyms")]

    operations = [migrations.RunPython(add_synonyms, remove_synonyms)]
