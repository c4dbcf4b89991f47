from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Vietnamese unless the user chose English with the switch in the header.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many civil
    servants' browsers are set to English; the interface must still open in Vietnamese.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # Only for this request: work the thread does afterwards (an in-process job, a test, a
        # reminder) keeps the default language instead of the last visitor's.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
