from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = "Opportunities"

    def ready(self):
        from involvement.page_cache import forget_when_changed

        from .models import (
            GlossaryTerm,
            ImpactRecord,
            ImpactUpdate,
            Meeting,
            NamedLayPartner,
            Opportunity,
            PaymentLevel,
            Programme,
            SearchSynonym,
            Site,
        )

        # Everything the public pages show of this app: stored pages go when any of it changes.
        # Synonyms change what a search finds, so a kept search page would be out of date.
        forget_when_changed(
            Programme, Opportunity, Meeting, GlossaryTerm, SearchSynonym, Site, PaymentLevel
        )
        # "You said, we did" shows on its own pages, the home page and opportunity pages.
        forget_when_changed(ImpactRecord, ImpactUpdate, NamedLayPartner)
