"""Request middleware of the project as a whole."""


class ChineseFirstMiddleware:
    """Pages are Chinese until the user chooses English with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language
    header, so an office computer set up in English would greet its users in
    English. The header is dropped before LocaleMiddleware reads it; the
    language cookie set by the switch (and a language prefix, were there one)
    still decide.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
