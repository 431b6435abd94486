from django.http import Http404


def express_interest(request, slug):
    raise Http404


def interest_sent(request, slug):
    raise Http404


def manage(request, token):
    raise Http404
