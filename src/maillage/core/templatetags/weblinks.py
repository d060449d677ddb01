"""`{{ value|http_url }}`: the value when it may be linked (absolute http(s) URL), else "".
Used for every link to an address stored from data, old rows included."""

from django import template

from maillage.core.weblinks import http_url as _http_url

register = template.Library()


@register.filter
def http_url(value: object) -> str:
    return _http_url(value)
