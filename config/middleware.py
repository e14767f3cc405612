"""Answers every HTTP response gets, whatever the view:

- RefuseMalformedRequests: an address with a NUL or another control character in its path
  or its query string is answered 400 before any view looks it up (PostgreSQL cannot even
  compare such a string: "A string literal cannot contain NUL", a 500 otherwise).
- NoStoreAndErrorBodies: pages are never kept by browsers or proxies (`Cache-Control:
  no-store`: a diner's link, a host stand's names and phone numbers), and an error answer
  that a view left empty (a 405 from require_POST, say) gets a page saying what happened.
- FriendlyNotFound: a "not found" a view raised with a sentence written for people (an
  unknown diner link, say) shows the friendly 404 page with that sentence, with DEBUG on
  too: `make run` is what a newcomer sees first, and Django's technical 404 (the URL
  patterns) is for addresses that match no pattern at all.
"""

import unicodedata
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from django.http import Http404
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


def _has_control_character(text):
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _bad_request(request):
    # 400.html stands alone (it also answers requests for unknown hosts).
    response = render(request, "400.html", status=400)
    add_never_cache_headers(response)
    return response


class RefuseMalformedRequests:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if _has_control_character(request.path) or _has_control_character(
            unquote_to_bytes(query).decode("utf-8", "replace")
        ):
            return _bad_request(request)
        return self.get_response(request)


# What an error page says when the view that refused said nothing.
ERROR_WORDS = {
    405: (
        "Not here like this",
        "This address does not answer a {method} request. Go back to the page you came from "
        "and use its buttons.",
    ),
}


class NoStoreAndErrorBodies:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        if (
            response.status_code >= 400
            and not response.streaming
            and not response.content
            and request.method != "HEAD"
        ):
            response = self._with_body(request, response)
        return response

    @staticmethod
    def _with_body(request, response):
        status = response.status_code
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        title, message = ERROR_WORDS.get(
            status, (phrase, "This request could not be completed. Go back and try again.")
        )
        page = render(
            request,
            "error.html",
            {"title": title, "message": message.format(method=request.method)},
            status=status,
        )
        # Keep what the empty answer said in its headers (Allow on a 405, say).
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                page[header] = value
        page.cookies = response.cookies
        return page


class FriendlyNotFound:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from config.urls import not_found, people_message

        if isinstance(exception, Http404) and people_message(exception):
            return not_found(request, exception)
        return None
